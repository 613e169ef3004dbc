"""What the teleop loop needs from an arm. Real (Feetech bus) and simulated arms implement it.

Units are lerobot's for so_follower / so_leader: degrees for the five joints, 0..100 for the gripper.
"""

from __future__ import annotations

import numpy as np

from app.rig.samples import JOINT_NAMES


class ArmError(RuntimeError):
    pass


class Arm:
    joint_names = JOINT_NAMES

    def __init__(self, name: str, role: str):
        assert role in ("leader", "follower")
        self.name, self.role = name, role
        self.connected = False
        self.error: str | None = None

    def connect(self) -> None:
        raise NotImplementedError

    def disconnect(self) -> None:
        """Leave the arm safe: a follower's torque is switched off."""
        raise NotImplementedError

    def read_positions(self) -> np.ndarray:
        """(6,) present positions (float32, or float64 as lerobot computes them on a Feetech arm); raise
        ArmError when the arm does not answer."""
        raise NotImplementedError

    def write_goal(self, positions: np.ndarray) -> None:
        """Followers only: command goal positions (already limited by the teleop loop)."""
        raise NotImplementedError
