"""One simulated STS3215 servo: its register memory and where its encoder is.

Starts from the factory values (sts3215.FACTORY); EEPROM writes are kept across power cycles only
while Lock is 0; the id and baud rate are whatever was last written. SimServoBus puts six of them on
a pseudo-terminal.
"""

from __future__ import annotations

from app.rig import feetech_protocol as fp
from app.rig.sts3215 import EEPROM_END, FACTORY, REGISTERS, RESOLUTION, SIGN_BITS

STEPS_PER_DEG = RESOLUTION / 360
# physical reach of each joint in its own units (degrees; gripper 0..100); wrist_roll turns freely
LIMITS = {"shoulder_pan": 110.0, "shoulder_lift": 100.0, "elbow_flex": 97.0, "wrist_flex": 95.0,
          "wrist_roll": 179.0, "gripper": 100.0}
GRIPPER_SPAN = 1400  # raw steps from closed to open


def collide(packets: list[bytes]) -> bytes:
    """What servos answering at the same moment put on the wire: a 0 bit from any of them wins."""
    out = bytearray(packets[0])
    for other in packets[1:]:
        for i, b in enumerate(other[:len(out)]):
            out[i] &= b
    return bytes(out)


def _reg(name: str) -> tuple[int, int]:
    return REGISTERS[name]


class SimServo:
    """One STS3215: factory register values, EEPROM kept only while Lock is 0, id and baud rate as written."""

    def __init__(self, servo_id: int, joint: str, center: int):
        self.joint, self.center = joint, center  # center: raw at the joint's middle
        self.mem = bytearray(256)
        self.saved_eeprom = bytearray(EEPROM_END)
        self.actual = float(center)  # encoder position, raw steps
        self.power_on(factory=True, servo_id=servo_id)

    @property
    def id(self) -> int:
        return self.get("ID")

    def power_on(self, factory: bool = False, servo_id: int = 1) -> None:
        if factory:
            for name, value in FACTORY.items():
                if REGISTERS[name][0] < EEPROM_END:
                    self.put(name, value)
            self.put("ID", servo_id)
            self.saved_eeprom[:] = self.mem[:EEPROM_END]
        self.mem[:EEPROM_END] = self.saved_eeprom
        self.mem[EEPROM_END:] = bytes(256 - EEPROM_END)
        self.put("Maximum_Acceleration", FACTORY["Maximum_Acceleration"])
        self.put("Torque_Limit", self.get("Max_Torque_Limit"))
        self.put("Lock", 1)
        self.put("Present_Voltage", 120)
        self.put("Present_Temperature", 31)
        self.put("Goal_Position", self.present())

    def get(self, name: str) -> int:
        addr, size = _reg(name)
        raw = fp.from_bytes(self.mem[addr:addr + size])
        return fp.decode_sign_magnitude(raw, SIGN_BITS[name]) if name in SIGN_BITS else raw

    def put(self, name: str, value: int) -> None:
        addr, size = _reg(name)
        if name in SIGN_BITS:
            value = fp.encode_sign_magnitude(value, SIGN_BITS[name])
        self.mem[addr:addr + size] = fp.to_bytes(value, size)

    def present(self) -> int:
        return (round(self.actual) - self.get("Homing_Offset")) % RESOLUTION

    def read(self, addr: int, size: int) -> bytes:
        self.put("Present_Position", self.present())
        self.put("Moving", int(self.get("Torque_Enable") and abs(self.goal_actual() - self.actual) > 2))
        return bytes(self.mem[addr:addr + size])

    def write(self, addr: int, data: bytes) -> None:
        ro = {_reg(n)[0] for n in ("Model_Number", "Firmware_Major_Version", "Firmware_Minor_Version")}
        if addr in ro or addr >= _reg("Present_Position")[0] and addr < 71:
            return
        was_on = self.get("Torque_Enable")
        self.mem[addr:addr + len(data)] = data
        if addr < EEPROM_END and self.get("Lock") == 0:
            end = min(EEPROM_END, addr + len(data))
            self.saved_eeprom[addr:end] = self.mem[addr:end]
        if not was_on and self.get("Torque_Enable"):
            self.put("Goal_Position", self.get("Goal_Position"))

    def goal_actual(self) -> float:
        goal = self.get("Goal_Position")
        lo, hi = self.get("Min_Position_Limit"), self.get("Max_Position_Limit")
        if hi > lo and (lo, hi) != (0, RESOLUTION - 1):
            goal = min(max(goal, lo), hi)
        target = goal + self.get("Homing_Offset")
        # the shortest way round from where the encoder is now
        return self.actual + ((target - self.actual + RESOLUTION / 2) % RESOLUTION - RESOLUTION / 2)

    def to_raw(self, value: float) -> float:
        if self.joint == "gripper":
            return self.center + (value - 50.0) / 100.0 * GRIPPER_SPAN
        return self.center + value * STEPS_PER_DEG

    def to_units(self, raw: float) -> float:
        if self.joint == "gripper":
            return 50.0 + (raw - self.center) * 100.0 / GRIPPER_SPAN
        return (raw - self.center) / STEPS_PER_DEG

    def physical_range(self) -> tuple[float, float]:
        lim = LIMITS[self.joint]
        return (self.to_raw(0), self.to_raw(100)) if self.joint == "gripper" else (self.to_raw(-lim), self.to_raw(lim))
