"""What devices publish: camera frames and teleop ticks, each stamped with its capture time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

JOINT_NAMES = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper")
FEATURE_NAMES = tuple(f"{j}.pos" for j in JOINT_NAMES)  # as lerobot's so_follower / so_leader


def rig_feature_names(rig) -> tuple[str, ...]:
    """The joint features a rig records (a single pair: the six above; a bimanual rig: twelve)."""
    return tuple(getattr(rig, "feature_names", FEATURE_NAMES))


def rig_robot_type(rig) -> str:
    return getattr(rig, "robot_type", "so_follower")


@dataclass(frozen=True, slots=True)
class Frame:
    camera: str
    image: np.ndarray  # H x W x 3 uint8 RGB; never modified after publication
    index: int  # capture counter of this camera since it was opened
    t_capture: float  # time.monotonic() when the frame was grabbed


@dataclass(frozen=True, slots=True)
class Tick:
    """One cycle of the teleop loop: what the leader commanded and where the follower was."""

    seq: int
    t: float  # time.monotonic() at the start of the cycle
    action: np.ndarray  # float32 (6,), leader positions (degrees; gripper 0..100)
    state: np.ndarray  # float32 (6,), follower positions
    frames: Mapping[str, Frame | None] = field(default_factory=dict)  # latest frame of each camera
    period: float = 0.0  # seconds since the previous cycle started
    late: bool = False  # the cycle started more than one period behind schedule
