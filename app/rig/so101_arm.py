"""SO-100/SO-101 arms on a Feetech bus, in lerobot's units (so_follower / so_leader, degrees mode).

Units are lerobot's to the bit (joint_units.py). On connect the servos are configured with the registers,
values and order of lerobot 0.6.1 (configure_servos below). The leader's torque stays off (a person moves
it); the follower's torque is on while connected and switched off on disconnect, on a fault, and when the
studio exits.
"""

from __future__ import annotations

import atexit
import logging
import weakref

import numpy as np

from app.rig import calibration as calib
from app.rig import joint_units
from app.rig.arm import Arm, ArmError
from app.rig.calibration import Calibration
from app.rig.feetech_bus import BusError, FeetechBus
from app.rig.samples import JOINT_NAMES
from app.rig.sts3215 import SO101_MOTORS

log = logging.getLogger(__name__)
GRIPPER_ID = SO101_MOTORS["gripper"]
FOLLOWER_GAINS = {"P_Coefficient": 16, "I_Coefficient": 0, "D_Coefficient": 32}  # SOFollowerConfig defaults
GRIPPER_LIMITS = {"Max_Torque_Limit": 500, "Protection_Current": 250, "Overload_Torque": 25}  # "avoid burnout"


class FeetechArm(Arm):
    def __init__(self, name: str, role: str, port: str, calibration: Calibration | None = None,
                 arm_id: str | None = None, timeout: float = 0.03, retries: int = 2,
                 max_step_deg: float | None = None):
        super().__init__(name, role)
        self.port = port
        self.arm_id = arm_id or name
        self.calibration = calibration
        self.max_step_deg = max_step_deg  # followers: largest goal change per write (None: no limit)
        self.bus = FeetechBus(port, timeout=timeout, retries=retries)
        self.ids = [SO101_MOTORS[j] for j in JOINT_NAMES]
        self._last_goal: np.ndarray | None = None

    # -- units ---------------------------------------------------------------------------------------
    def _table(self) -> np.ndarray:
        """(6, 3) of range_min, range_max, drive_mode, in joint order."""
        c = self.calibration
        return np.array([[c[j].range_min, c[j].range_max, c[j].drive_mode] for j in JOINT_NAMES], np.float64)

    def to_units(self, raw: dict[int, int]) -> np.ndarray:
        """float64, as lerobot's _normalize (degrees are not clamped to the calibrated range)."""
        t = self._table()
        return joint_units.normalize([raw[i] for i in self.ids], t[:, 0], t[:, 1], t[:, 2])

    def to_raw(self, units: np.ndarray) -> dict[int, int]:
        t = self._table()
        raw = joint_units.unnormalize(units, t[:, 0], t[:, 1], t[:, 2])
        return dict(zip(self.ids, (int(v) for v in raw)))

    # -- Arm -------------------------------------------------------------------------------------
    def connect(self) -> None:
        try:
            self.bus.open()
            found = self.bus.scan(self.ids)
            if found != self.ids:
                missing = [j for j, i in zip(JOINT_NAMES, self.ids) if i not in found]
                raise ArmError(f"{self.name}: no answer from {', '.join(missing)} on {self.port} "
                               "(power supply on? ids set?)")
            if self.calibration is None:
                self.calibration = calib.load_for(self.role, self.arm_id)
            if self.calibration is None:
                raise ArmError(f"{self.name} is not calibrated: run the calibration wizard "
                               f"(expected {calib.calibration_path(self.role, self.arm_id)})")
            if not calib.servos_match(self.bus, self.calibration):
                log.info("%s: writing calibration to the servos", self.name)
                calib.write_to_servos(self.bus, self.calibration)
            configure_servos(self.bus, self.ids, self.role)
        except BusError as exc:
            self.bus.close()
            raise ArmError(f"{self.name}: {exc}") from exc
        except Exception:
            self.bus.close()
            raise
        self._last_goal = None
        self.connected, self.error = True, None
        if self.role == "follower":  # even if the studio exits without stopping the rig
            atexit.register(_torque_off_at_exit, weakref.ref(self))

    def disconnect(self) -> None:
        try:
            if self.role == "follower" and self.bus.is_open:
                self.torque_off()
        finally:
            self.bus.close()
            self.connected = False

    def torque_off(self) -> None:
        try:
            self.bus.sync_write("Torque_Enable", {i: 0 for i in self.ids})
        except BusError as exc:
            log.warning("%s: could not switch torque off: %s", self.name, exc)

    def read_raw(self) -> dict[int, int]:
        if not self.connected:
            raise ArmError(f"{self.name} is not connected")
        try:
            return self.bus.sync_read("Present_Position", self.ids)
        except BusError as exc:
            self._fault(exc)
            raise ArmError(f"{self.name}: {exc}") from exc

    def read_positions(self) -> np.ndarray:
        return self.to_units(self.read_raw())

    def write_goal(self, positions: np.ndarray) -> None:
        if self.role != "follower":
            raise ArmError(f"{self.name} is a leader: it takes no goals")
        if not self.connected:
            raise ArmError(f"{self.name} is not connected")
        goal = np.asarray(positions, np.float64)
        if self.max_step_deg is not None and self._last_goal is not None:
            goal = self._last_goal + np.clip(goal - self._last_goal, -self.max_step_deg, self.max_step_deg)
        try:
            self.bus.sync_write("Goal_Position", self.to_raw(goal))
        except BusError as exc:
            self._fault(exc)
            raise ArmError(f"{self.name}: {exc}") from exc
        self._last_goal = goal

    def _fault(self, exc: Exception) -> None:
        """Leave the arm safe: torque off if the bus still answers, then give the port back."""
        self.error = str(exc)
        if self.role == "follower" and self.bus.is_open:
            self.torque_off()
        self.bus.close()
        self.connected = False


def _torque_off_at_exit(ref) -> None:
    arm = ref()
    if arm is not None and arm.connected:
        arm.disconnect()


def configure_servos(bus: FeetechBus, ids: list[int], role: str) -> None:
    """lerobot 0.6.1's configure(), register by register and in its order.

    Follower (so_follower.configure): `with bus.torque_disabled()` -> per servo Torque_Enable 0, Lock 0;
    configure_motors(); per servo Operating_Mode 0 and the P/I/D gains, the gripper also Max_Torque_Limit
    500, Protection_Current 250, Overload_Torque 25; then per servo Torque_Enable 1, Lock 1.
    Leader (so_leader.configure): per servo Torque_Enable 0, Lock 0; configure_motors(); Operating_Mode 0.
    Its torque stays off and its Lock 0, as lerobot leaves them.
    One addition: before the follower's torque comes on, its goal is set to where it stands, so it
    does not jump to a goal left over from earlier.
    """
    for i in ids:
        bus.write(i, "Torque_Enable", 0)
        bus.write(i, "Lock", 0)
    configure_motors(bus, ids)
    for i in ids:
        bus.write(i, "Operating_Mode", 0)
        if role != "follower":
            continue
        for name, value in FOLLOWER_GAINS.items():
            bus.write(i, name, value)
        if i == GRIPPER_ID:
            for name, value in GRIPPER_LIMITS.items():
                bus.write(i, name, value)
    if role == "follower":
        bus.sync_write("Goal_Position", bus.sync_read("Present_Position", ids))
        for i in ids:
            bus.write(i, "Torque_Enable", 1)
            bus.write(i, "Lock", 1)


def configure_motors(bus: FeetechBus, ids: list[int]) -> None:
    """lerobot's FeetechMotorsBus.configure_motors() for STS3215 servos: a 2 us answer delay instead of the
    factory 500 us, fastest acceleration, and bit 4 of Phase (multi-turn angle feedback) cleared so
    positions stay within 0..4095."""
    for i in ids:
        bus.write(i, "Return_Delay_Time", 0)
        bus.write(i, "Maximum_Acceleration", 254)
        bus.write(i, "Acceleration", 254)
        phase = bus.read(i, "Phase")
        if phase & 0x10:
            bus.write(i, "Phase", phase & ~0x10)
