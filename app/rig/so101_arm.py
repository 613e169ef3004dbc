"""SO-100/SO-101 arms on a Feetech bus, in lerobot's units (so_follower / so_leader, degrees mode).

Joints: degrees = (raw - mid) * 360 / 4095 with mid = (range_min + range_max) / 2, raw clamped to the
calibrated range. Gripper: 0..100 = (raw - range_min) / (range_max - range_min) * 100 (100 - that when
drive_mode is 1). The leader's torque stays off (a person moves it); the follower's torque is on while
connected and switched off on disconnect, on a fault, and when the studio exits.
"""

from __future__ import annotations

import atexit
import logging
import weakref

import numpy as np

from app.rig import calibration as calib
from app.rig.arm import Arm, ArmError
from app.rig.calibration import Calibration
from app.rig.feetech_bus import BusError, FeetechBus
from app.rig.samples import JOINT_NAMES
from app.rig.sts3215 import RESOLUTION, SO101_MOTORS

log = logging.getLogger(__name__)
MAX_RES = RESOLUTION - 1


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

    # -- units -----------------------------------------------------------------------------------
    def _table(self) -> np.ndarray:
        """(6, 3) of range_min, range_max, drive_mode, in joint order."""
        c = self.calibration
        return np.array([[c[j].range_min, c[j].range_max, c[j].drive_mode] for j in JOINT_NAMES], np.float64)

    def to_units(self, raw: dict[int, int]) -> np.ndarray:
        t = self._table()
        lo, hi, inv = t[:, 0], t[:, 1], t[:, 2]
        r = np.clip(np.array([raw[i] for i in self.ids], np.float64), lo, hi)
        out = (r - (lo + hi) / 2) * 360.0 / MAX_RES
        grip = (r[5] - lo[5]) / (hi[5] - lo[5]) * 100.0
        out[5] = 100.0 - grip if inv[5] else grip
        return out.astype(np.float32)

    def to_raw(self, units: np.ndarray) -> dict[int, int]:
        t = self._table()
        lo, hi, inv = t[:, 0], t[:, 1], t[:, 2]
        u = np.asarray(units, np.float64)
        raw = u * MAX_RES / 360.0 + (lo + hi) / 2
        g = min(max(float(u[5]), 0.0), 100.0)
        raw[5] = ((100.0 - g) if inv[5] else g) / 100.0 * (hi[5] - lo[5]) + lo[5]
        raw = np.clip(np.rint(raw), lo, hi).astype(int)
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
            if self.role == "follower":
                self._prepare_follower()
            else:
                self.bus.sync_write("Torque_Enable", {i: 0 for i in self.ids})
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

    def _prepare_follower(self) -> None:
        bus = self.bus
        for i in self.ids:  # as lerobot's so_follower.configure(): position mode, softer gains
            bus.write(i, "Torque_Enable", 0)
            bus.write(i, "Lock", 0)
            bus.write(i, "Operating_Mode", 0)
            bus.write(i, "P_Coefficient", 16)
            bus.write(i, "I_Coefficient", 0)
            bus.write(i, "D_Coefficient", 32)
        present = bus.sync_read("Present_Position", self.ids)
        bus.sync_write("Goal_Position", present)  # hold where it is: no jump when torque comes on
        bus.sync_write("Torque_Enable", {i: 1 for i in self.ids})
        bus.sync_write("Lock", {i: 1 for i in self.ids})

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
        goal = np.asarray(positions, np.float32)
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
