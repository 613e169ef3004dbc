"""Feetech's own SDK (pip feetech-servo-sdk, not a dependency) against our simulated servos: proof that
the simulation speaks the real protocol. Skipped unless scservo_sdk is importable."""

import time

import pytest

from app.rig.sim_servo_bus import SimServoBus

scs = pytest.importorskip("scservo_sdk")


def answered(call, port, attempts=5):
    """The SDK waits a fixed ~16 ms for an answer; on a loaded machine our simulated servos (a Python
    thread) may miss that, so a transaction is tried a few times, dropping the late answer in between
    (else the next attempt reads it as its own). Protocol errors still fail."""
    for _ in range(attempts):
        result = call()
        comm = result[1] if len(result) == 3 else result[0]  # (data, comm, error) or (comm, error)
        if comm not in (scs.COMM_RX_TIMEOUT, scs.COMM_RX_CORRUPT):
            return result
        time.sleep(0.05)
        port.ser.reset_input_buffer()
    return result


def test_scservo_sdk_pings_reads_writes_and_syncs_the_simulated_bus():
    sim = SimServoBus("follower")
    port = scs.PortHandler(sim.port)
    try:
        assert port.openPort() and port.setBaudRate(1_000_000)
        ph = scs.PacketHandler(0)
        assert answered(lambda: ph.ping(port, 1), port)[:2] == (777, scs.COMM_SUCCESS)
        assert ph.ping(port, 7)[1] == scs.COMM_RX_TIMEOUT
        assert answered(lambda: ph.read2ByteTxRx(port, 2, 56), port)[0] == sim.servos[2].present()
        answered(lambda: ph.write1ByteTxRx(port, 2, 55, 0), port)
        answered(lambda: ph.write2ByteTxRx(port, 2, 31, scs.SCS_TOSCS(-123, 11)), port)
        assert scs.SCS_TOHOST(answered(lambda: ph.read2ByteTxRx(port, 2, 31), port)[0], 11) == -123
        reader = scs.GroupSyncRead(port, ph, 56, 2)
        for i in range(1, 7):
            reader.addParam(i)
        assert answered(lambda: (reader.txRxPacket(),), port) == (scs.COMM_SUCCESS,)
        assert [reader.getData(i, 56, 2) for i in range(1, 7)] == [s.present() for s in sim.servos.values()]
    finally:
        port.closePort()
        sim.close()
