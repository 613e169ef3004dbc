"""The scripted motion of a simulated leader arm: smooth, bounded, never quite repeating."""

from __future__ import annotations

import math

import numpy as np

# (centre, amplitude, frequency Hz) per joint: degrees, gripper 0..100
_SCRIPT = (
    (0.0, 45.0, 0.11),
    (-20.0, 35.0, 0.07),
    (30.0, 40.0, 0.09),
    (10.0, 30.0, 0.13),
    (0.0, 60.0, 0.05),
    (50.0, 45.0, 0.17),
)


def leader_pose(t: float) -> np.ndarray:
    out = np.empty(6, np.float32)
    for k, (c, a, f) in enumerate(_SCRIPT):
        out[k] = c + a * (0.75 * math.sin(2 * math.pi * f * t + k) + 0.25 * math.sin(2 * math.pi * f * 2.7 * t))
    return out
