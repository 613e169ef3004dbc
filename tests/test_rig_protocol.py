"""Feetech packets byte for byte, sign-magnitude registers, and the resynchronising parser."""

import pytest

from app.rig import feetech_protocol as fp


def test_ping_packet_matches_the_sdk_bytes():
    # scservo_sdk's ping to servo 1: FF FF 01 02 01 ~(1+2+1)
    assert fp.encode_packet(1, fp.Instruction.PING) == bytes([0xFF, 0xFF, 0x01, 0x02, 0x01, 0xFB])


def test_sync_read_and_write_layout():
    pkt = fp.sync_read_request([1, 2, 3], 56, 2)
    assert pkt[:5] == bytes([0xFF, 0xFF, 0xFE, 7, 0x82]) and pkt[5:10] == bytes([56, 2, 1, 2, 3])
    w = fp.sync_write_request(42, 2, {1: fp.to_bytes(2048, 2), 2: fp.to_bytes(100, 2)})
    assert w[4] == 0x83 and w[5:7] == bytes([42, 2]) and w[7:13] == bytes([1, 0x00, 0x08, 2, 100, 0])
    assert fp.checksum(w[2:-1]) == w[-1]
    with pytest.raises(ValueError):
        fp.sync_write_request(42, 2, {1: b"\x00"})


@pytest.mark.parametrize("value", [0, 1, -1, 2047, -2047, -300, 1234])
def test_homing_offset_sign_magnitude_bit_11(value):
    raw = fp.encode_sign_magnitude(value, 11)
    assert raw < 4096 and fp.decode_sign_magnitude(raw, 11) == value
    if value < 0:
        assert raw & 0x800
    with pytest.raises(ValueError):
        fp.encode_sign_magnitude(2048, 11)


def test_parser_skips_noise_rejects_bad_checksums_and_handles_split_packets():
    a = fp.encode_packet(3, 0, b"\x10\x08")
    b = fp.encode_packet(4, 0x20, b"\x01")
    bad = bytearray(fp.encode_packet(5, 0, b"\x00\x00"))
    bad[-1] ^= 0x55
    stream = b"\x00\xff\x42" + a + bytes(bad) + b"\xff" + b
    parser = fp.PacketParser()
    out = []
    for k in range(0, len(stream), 3):  # arrives in small chunks
        out += parser.feed(stream[k:k + 3])
    assert [(p.id, p.code, p.params) for p in out] == [(3, 0, b"\x10\x08"), (4, 0x20, b"\x01")]
    assert parser.bad_checksums == 1 and parser.skipped_bytes >= 3
    assert fp.describe_servo_error(0x20) == "overload"


def test_parser_with_known_answer_length_is_not_fooled_by_a_fake_header():
    real = fp.encode_packet(2, 0, b"\x00\x08")
    parser = fp.PacketParser()
    parser.expect_length = 4
    out = parser.feed(b"\xff\xff\x07\x42\x00" + real)  # noise claiming a 66-byte packet
    assert [p.id for p in out] == [2]
