"""Connecting configures the servos exactly as lerobot 0.6.1 does; Feetech's own SDK reads them back.

lerobot's values, from its source (robots/so_follower/so_follower.py configure(), config_so_follower.py,
teleoperators/so_leader/so_leader.py configure(), motors/feetech/feetech.py configure_motors() and
disable_torque()/enable_torque()), are written out literally here rather than imported from the studio.
"""

import time

import pytest

from app.rig.sim_servo_bus import SimServoBus
from app.rig.so101_arm import FeetechArm
from app.rig.sts3215 import FACTORY, REGISTERS

scs = pytest.importorskip("scservo_sdk")
IDS = [1, 2, 3, 4, 5, 6]
GRIPPER = 6

# configure_motors(): every servo, leader included
EVERY_SERVO = {"Return_Delay_Time": 0, "Maximum_Acceleration": 254, "Acceleration": 254, "Operating_Mode": 0}
# so_follower.configure(): position gains (SOFollowerConfig defaults) and the gripper's burnout limits
FOLLOWER = {"P_Coefficient": 16, "I_Coefficient": 0, "D_Coefficient": 32, "Torque_Enable": 1, "Lock": 1}
FOLLOWER_GRIPPER = {"Max_Torque_Limit": 500, "Protection_Current": 250, "Overload_Torque": 25}
LEADER = {"Torque_Enable": 0, "Lock": 0}


def sdk_read(port, ph, servo_id: int, name: str) -> int:
    addr, size = REGISTERS[name]
    read = ph.read1ByteTxRx if size == 1 else ph.read2ByteTxRx
    for _ in range(5):  # the SDK's fixed ~16 ms allowance can miss a busy test machine's answer
        value, comm, err = read(port, servo_id, addr)
        if comm == scs.COMM_SUCCESS:
            return value
        time.sleep(0.05)  # let the late answer arrive and drop it, or the next read takes it for its own
        port.ser.reset_input_buffer()
    raise AssertionError(f"servo {servo_id} did not answer a read of {name}")


def connect_and_read_back(role: str, registers: list[str]) -> dict[int, dict[str, int]]:
    sim = SimServoBus(role)
    arm = FeetechArm(role, role, sim.port, calibration=sim.factory_calibration(), timeout=0.05)
    try:
        arm.connect()
        arm.bus.close()  # hand the port to the SDK with the arm still configured as connect() left it
        port = scs.PortHandler(sim.port)
        assert port.openPort() and port.setBaudRate(1_000_000)
        ph = scs.PacketHandler(0)
        try:
            return {i: {name: sdk_read(port, ph, i, name) for name in registers} for i in IDS}
        finally:
            port.closePort()
    finally:
        sim.close()


def test_factory_servos_differ_from_lerobots_settings():
    """Without this the read-back test below could pass on servos that were never written."""
    for name, value in {**EVERY_SERVO, **FOLLOWER_GRIPPER}.items():
        if name != "Operating_Mode":
            assert FACTORY.get(name, 0) != value, name
    assert FACTORY["Phase"] & 0x10


def test_follower_registers_read_back_with_feetech_sdk_equal_lerobots_values():
    names = [*EVERY_SERVO, *FOLLOWER, *FOLLOWER_GRIPPER, "Phase"]
    got = connect_and_read_back("follower", names)
    for i in IDS:
        expected = {**EVERY_SERVO, **FOLLOWER, **(FOLLOWER_GRIPPER if i == GRIPPER else
                                                  {k: FACTORY[k] for k in FOLLOWER_GRIPPER}),
                    "Phase": FACTORY["Phase"] & ~0x10}
        assert got[i] == expected, f"servo {i}"


def test_leader_registers_read_back_with_feetech_sdk_equal_lerobots_values():
    names = [*EVERY_SERVO, *LEADER, "Phase", "P_Coefficient", "Max_Torque_Limit"]
    got = connect_and_read_back("leader", names)
    for i in IDS:
        # lerobot's leader keeps the factory gains and torque limit, its torque off and its EEPROM unlocked
        assert got[i] == {**EVERY_SERVO, **LEADER, "Phase": FACTORY["Phase"] & ~0x10,
                          "P_Coefficient": FACTORY["P_Coefficient"],
                          "Max_Torque_Limit": FACTORY["Max_Torque_Limit"]}, f"servo {i}"


def expected_follower_writes() -> list[tuple[int, str, int]]:
    """so_follower.configure() as lerobot runs it: torque_disabled() -> configure_motors() -> gains ->
    gripper limits -> enable_torque(); Phase is only written when bit 4 is set (it is, at the factory)."""
    seq = [(i, n, 0) for i in IDS for n in ("Torque_Enable", "Lock")]
    for i in IDS:
        seq += [(i, "Return_Delay_Time", 0), (i, "Maximum_Acceleration", 254), (i, "Acceleration", 254),
                (i, "Phase", FACTORY["Phase"] & ~0x10)]
    for i in IDS:
        seq += [(i, "Operating_Mode", 0), (i, "P_Coefficient", 16), (i, "I_Coefficient", 0), (i, "D_Coefficient", 32)]
        if i == GRIPPER:
            seq += [(i, "Max_Torque_Limit", 500), (i, "Protection_Current", 250), (i, "Overload_Torque", 25)]
    return seq + [(i, n, 1) for i in IDS for n in ("Torque_Enable", "Lock")]


def test_follower_configuration_writes_lerobots_registers_in_lerobots_order_and_survives_a_power_cycle():
    sim = SimServoBus("follower")
    arm = FeetechArm("follower", "follower", sim.port, calibration=sim.factory_calibration(), timeout=0.05)
    try:
        arm.connect()
        names = {addr: name for name, (addr, _) in REGISTERS.items()}
        seq = [(i, names[a], v) for i, a, v in sim.writes if names[a] != "Goal_Position"]
        # the calibration (Homing_Offset and limits) is written first, as lerobot's write_calibration would
        start = next(k for k, w in enumerate(seq) if w[1] == "Return_Delay_Time") - 2 * len(IDS)
        assert seq[start:] == expected_follower_writes()
        arm.disconnect()
        sim.unplug()
        sim.replug()  # power cycle: EEPROM written while unlocked is kept, SRAM is back to factory
        s = sim.servos[GRIPPER]
        assert (s.get("Return_Delay_Time"), s.get("Max_Torque_Limit"), s.get("Torque_Limit"), s.get("Overload_Torque"),
                s.get("Acceleration"), s.get("Maximum_Acceleration")) == (0, 500, 500, 25, 0,
                                                                          FACTORY["Maximum_Acceleration"])
    finally:
        sim.close()
