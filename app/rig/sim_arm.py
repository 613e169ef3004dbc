"""In-process simulated arms (no serial bus): a scripted leader and a first-order follower."""

from __future__ import annotations

import time

import numpy as np

from app.rig.arm import Arm, ArmError
from app.rig.motion import leader_pose


class SimulatedArm(Arm):
    time_constant = 0.08  # seconds: how fast the follower closes the gap to its goal

    def __init__(self, name: str, role: str):
        super().__init__(name, role)
        self.unplugged = False
        self._t0 = time.monotonic()
        self._pos = leader_pose(0.0)
        self._goal = self._pos.copy()
        self._t_last = self._t0

    def connect(self) -> None:
        if self.unplugged:
            raise ArmError(f"{self.name}: port not found")
        self.connected, self.error = True, None

    def disconnect(self) -> None:
        self.connected = False

    def read_positions(self) -> np.ndarray:
        if self.unplugged or not self.connected:
            self.connected = False
            raise ArmError(f"{self.name}: no answer")
        now = time.monotonic()
        if self.role == "leader":
            return leader_pose(now - self._t0)
        alpha = 1.0 - np.exp(-(now - self._t_last) / self.time_constant)
        self._pos = (self._pos + alpha * (self._goal - self._pos)).astype(np.float32)
        self._t_last = now
        return self._pos.copy()

    def write_goal(self, positions: np.ndarray) -> None:
        if self.unplugged or not self.connected:
            raise ArmError(f"{self.name}: no answer")
        self.read_positions()
        self._goal = np.asarray(positions, np.float32).copy()
