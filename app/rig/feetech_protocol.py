"""Feetech STS/SCS serial protocol (protocol 0, as STS3215 servos speak it): packets, checksums, parsing.

Instruction packet:  FF FF id length instruction params... checksum
Status packet:       FF FF id length error      params... checksum
length = len(params) + 2; checksum = ~(id + length + instruction/error + sum(params)) & 0xFF.
Sync read (0x82) and sync write (0x83) go to the broadcast id 0xFE; only sync read is answered,
by one status packet per servo, in the order the ids were listed.

Multi-byte registers are little-endian. A few registers hold sign-magnitude values (Homing_Offset:
sign in bit 11; velocities: bit 15), see sts3215.SIGN_BITS.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

HEADER = b"\xff\xff"
BROADCAST_ID = 0xFE
MAX_ID = 0xFC
MAX_PACKET = 250  # largest value of the length byte we accept


class Instruction(IntEnum):
    PING = 0x01
    READ = 0x02
    WRITE = 0x03
    REG_WRITE = 0x04
    ACTION = 0x05
    SYNC_READ = 0x82
    SYNC_WRITE = 0x83


class ServoError(IntEnum):
    """Bits of a status packet's error byte."""
    VOLTAGE = 0x01
    ANGLE = 0x02
    OVERHEAT = 0x04
    OVERCURRENT = 0x08
    OVERLOAD = 0x20


def describe_servo_error(bits: int) -> str:
    names = [e.name.lower() for e in ServoError if bits & e]
    return ", ".join(names) or "none"


def checksum(body: bytes | bytearray) -> int:
    return ~sum(body) & 0xFF


def encode_packet(servo_id: int, code: int, params: bytes | bytearray | list[int] = b"") -> bytes:
    """An instruction packet (code = instruction) or a status packet (code = error byte)."""
    body = bytes((servo_id, len(params) + 2, code)) + bytes(params)
    return HEADER + body + bytes((checksum(body),))


@dataclass(frozen=True, slots=True)
class Packet:
    id: int
    code: int  # instruction (requests) or error bits (status replies)
    params: bytes


def to_bytes(value: int, size: int) -> bytes:
    return int(value).to_bytes(size, "little", signed=False)


def from_bytes(data: bytes | bytearray) -> int:
    return int.from_bytes(data, "little", signed=False)


def encode_sign_magnitude(value: int, sign_bit: int) -> int:
    limit = (1 << sign_bit) - 1
    if abs(value) > limit:
        raise ValueError(f"{value} does not fit in sign-magnitude with the sign in bit {sign_bit} (max {limit})")
    return (1 << sign_bit) | -value if value < 0 else value


def decode_sign_magnitude(raw: int, sign_bit: int) -> int:
    magnitude = raw & ((1 << sign_bit) - 1)
    return -magnitude if raw & (1 << sign_bit) else magnitude


def read_request(servo_id: int, address: int, size: int) -> bytes:
    return encode_packet(servo_id, Instruction.READ, (address, size))


def write_request(servo_id: int, address: int, data: bytes) -> bytes:
    return encode_packet(servo_id, Instruction.WRITE, bytes((address,)) + data)


def sync_read_request(ids: list[int], address: int, size: int) -> bytes:
    return encode_packet(BROADCAST_ID, Instruction.SYNC_READ, bytes((address, size, *ids)))


def sync_write_request(address: int, size: int, values: dict[int, bytes]) -> bytes:
    params = bytearray((address, size))
    for servo_id, data in values.items():
        if len(data) != size:
            raise ValueError(f"servo {servo_id}: {len(data)} bytes for a {size}-byte register")
        params.append(servo_id)
        params += data
    return encode_packet(BROADCAST_ID, Instruction.SYNC_WRITE, params)


class PacketParser:
    """Byte stream -> packets. Skips noise and resynchronises on the next FF FF header.

    A packet whose checksum does not match is dropped (counted in bad_checksums) and the search
    for a header resumes one byte after the rejected header, so a corrupt length byte cannot
    swallow the packets behind it.
    """

    def __init__(self, accept_broadcast: bool = False):
        self._buf = bytearray()
        # set by a driver that knows the length byte of the answers it waits for: noise that merely
        # looks like a header then cannot make the parser wait for a long packet that never comes
        self.expect_length: int | None = None
        self._max_id = BROADCAST_ID if accept_broadcast else MAX_ID
        self.skipped_bytes = 0
        self.bad_checksums = 0

    def clear(self) -> None:
        self._buf.clear()

    @property
    def pending(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[Packet]:
        buf = self._buf
        buf += data
        out: list[Packet] = []
        while True:
            start = buf.find(HEADER)
            if start < 0:
                keep = 1 if buf[-1:] == b"\xff" else 0  # a header may be split across reads
                self.skipped_bytes += len(buf) - keep
                del buf[: len(buf) - keep]
                return out
            if start:
                self.skipped_bytes += start
                del buf[:start]
            if len(buf) < 4:
                return out
            servo_id, length = buf[2], buf[3]
            if servo_id > self._max_id or not 2 <= length <= MAX_PACKET or (
                    self.expect_length is not None and length != self.expect_length):
                self.skipped_bytes += 1
                del buf[:1]
                continue
            total = length + 4
            if len(buf) < total:
                return out
            body = bytes(buf[2 : total - 1])
            if checksum(body) != buf[total - 1]:
                self.bad_checksums += 1
                self.skipped_bytes += 1
                del buf[:1]
                continue
            out.append(Packet(servo_id, body[2], body[3:]))
            del buf[:total]
