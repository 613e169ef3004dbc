"""The real driver against the simulated servos over a real pseudo-terminal (real bytes)."""

import time

import pytest

from app.rig.feetech_bus import BusCorrupt, BusDisconnected, BusTimeout, FeetechBus
from app.rig.sim_servo_bus import SimServoBus

IDS = [1, 2, 3, 4, 5, 6]


@pytest.fixture
def sim():
    s = SimServoBus("follower")
    yield s
    s.close()


@pytest.fixture
def bus(sim):
    b = FeetechBus(sim.port, timeout=0.05, retries=2)  # generous: the 2-core test machine is busy
    b.open()
    yield b
    b.close()


def test_ping_scan_and_register_reads(bus, sim):
    assert bus.scan(range(1, 9)) == IDS
    assert bus.read(3, "Model_Number") == 777
    assert bus.read(3, "ID") == 3
    assert bus.read(2, "Present_Position") == sim.servos[2].present()
    assert not bus.ping(7)
    assert bus.counters.timeouts >= 1  # the missing servo 7


def test_register_write_and_sign_magnitude_offset(bus, sim):
    before = bus.read(1, "Present_Position")
    bus.write(1, "Lock", 0)
    bus.write(1, "Homing_Offset", -300)
    assert bus.read(1, "Homing_Offset") == -300
    assert sim.servos[1].mem[31:33] == bytes([0x2C, 0x09])  # 300 | 0x800, little-endian, on the servo
    assert bus.read(1, "Present_Position") == (before + 300) % 4096


def test_sync_write_moves_servos_and_sync_read_sees_them(bus):
    bus.sync_write("Torque_Enable", {i: 1 for i in IDS})
    bus.sync_write("Goal_Position", {i: 1900 + 20 * i for i in IDS})
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        pos = bus.sync_read("Present_Position", IDS)
        if all(abs(pos[i] - (1900 + 20 * i)) <= 2 for i in IDS):
            break
        time.sleep(0.02)
    assert all(abs(pos[i] - (1900 + 20 * i)) <= 2 for i in IDS), pos
    assert len(bus.sync_read_rtt) > 0


def test_silence_times_out_with_counters(bus, sim):
    sim.inject("silence")
    t0 = time.monotonic()
    with pytest.raises(BusTimeout, match="no answer"):
        bus.sync_read("Present_Position", IDS)
    assert time.monotonic() - t0 < 2.0  # bounded: 3 attempts x 50 ms plus draining, not forever
    c = bus.counters
    assert c.timeouts == 3 and c.retries == 2 and c.failures == 1
    sim.clear_faults()
    assert len(bus.sync_read("Present_Position", IDS)) == 6  # recovers on the next transaction


def test_bad_checksum_is_retried_then_rejected(bus, sim):
    sim.inject("bad_checksum", count=1)
    assert len(bus.sync_read("Present_Position", IDS)) == 6
    assert bus.counters.bad_checksums >= 1 and bus.counters.retries >= 1 and bus.counters.failures == 0
    sim.inject("bad_checksum")  # every answer corrupt: the driver gives up rather than trust it
    with pytest.raises(BusCorrupt):
        bus.read(2, "Present_Position")
    assert bus.counters.failures == 1 and bus.counters.bad_checksums >= 3


def test_garbage_bytes_resynchronise_without_retry(bus, sim):
    sim.inject("garbage", count=5)
    for _ in range(5):
        assert len(bus.sync_read("Present_Position", IDS)) == 6
    assert bus.counters.skipped_bytes >= 15 and bus.counters.failures == 0


def test_disappearing_port_then_replug(bus, sim):
    sim.unplug()
    with pytest.raises(BusDisconnected):
        bus.sync_read("Present_Position", IDS)
    assert not bus.is_open and bus.counters.disconnects == 1
    with pytest.raises(BusDisconnected, match="cannot open"):
        bus.open()
    sim.replug()
    bus.open()
    assert bus.scan() == IDS


def test_a_second_user_of_the_port_is_refused(bus, sim):
    other = FeetechBus(sim.port)
    with pytest.raises(BusDisconnected, match="cannot open"):
        other.open()
    bus.close()
    other.open()
    assert other.ping(1)
    other.close()
