"""Raw encoder steps <-> joint units, exactly as lerobot 0.6.1 computes them (motors_bus.py, _normalize
and _unnormalize), so a dataset recorded here holds the same numbers lerobot would record.

so_follower / so_leader with use_degrees=True (lerobot's default): joints 1-5 in DEGREES, gripper in
RANGE_0_100. What lerobot does, and so this module:
- DEGREES: (raw - mid) * 360 / 4095 with mid = (range_min + range_max) / 2. No clamping and no drive
  mode: a joint pushed past its calibrated sweep reads past it. Back: int(deg * 4095 / 360 + mid),
  truncated toward zero as Python's int() does.
- RANGE_0_100: raw is bounded to [range_min, range_max] first (lerobot's `bounded_val`), then
  (raw - min) / (max - min) * 100, and 100 - that with drive_mode 1. Back: the value is bounded to 0..100.
- RANGE_M100_100 (use_degrees=False): bounded like RANGE_0_100, then * 200 - 100, negated with drive_mode 1.
Arithmetic is float64 in the same order as lerobot's Python expressions, so results are bit-identical.
"""

from __future__ import annotations

import numpy as np

from app.rig.sts3215 import RESOLUTION

MAX_RES = RESOLUTION - 1
DEGREES, RANGE_0_100, RANGE_M100_100 = "degrees", "range_0_100", "range_m100_100"
SO101_MODES = (DEGREES,) * 5 + (RANGE_0_100,)


def normalize(raw, lo, hi, drive, modes=SO101_MODES) -> np.ndarray:
    """Raw steps (per joint) -> units, float64. lo/hi/drive: per-joint calibration arrays."""
    val = np.asarray(raw, np.float64)
    lo, hi, drive = (np.asarray(a, np.float64) for a in (lo, hi, drive))
    if np.any(hi == lo):
        raise ValueError("invalid calibration: range_min equals range_max")
    out = np.empty_like(val)
    bounded = np.minimum(hi, np.maximum(lo, val))
    for k, mode in enumerate(modes):
        if mode == DEGREES:
            mid = (lo[k] + hi[k]) / 2
            out[k] = (val[k] - mid) * 360 / MAX_RES
        elif mode == RANGE_0_100:
            norm = ((bounded[k] - lo[k]) / (hi[k] - lo[k])) * 100
            out[k] = 100 - norm if drive[k] else norm
        elif mode == RANGE_M100_100:
            norm = (((bounded[k] - lo[k]) / (hi[k] - lo[k])) * 200) - 100
            out[k] = -norm if drive[k] else norm
        else:
            raise ValueError(f"unknown normalisation mode {mode!r}")
    return out


def unnormalize(units, lo, hi, drive, modes=SO101_MODES) -> np.ndarray:
    """Units -> raw steps (int64; may fall outside 0..4095 for degrees past the calibrated range)."""
    vals = [float(v) for v in np.asarray(units, np.float64)]
    out = np.empty(len(vals), np.int64)
    for k, mode in enumerate(modes):
        min_, max_, val = float(lo[k]), float(hi[k]), vals[k]
        if max_ == min_:
            raise ValueError("invalid calibration: range_min equals range_max")
        if mode == DEGREES:
            mid = (min_ + max_) / 2
            out[k] = int((val * MAX_RES / 360) + mid)
        elif mode == RANGE_0_100:
            val = 100 - val if drive[k] else val
            bounded = min(100.0, max(0.0, val))
            out[k] = int((bounded / 100) * (max_ - min_) + min_)
        elif mode == RANGE_M100_100:
            val = -val if drive[k] else val
            bounded = min(100.0, max(-100.0, val))
            out[k] = int(((bounded + 100) / 200) * (max_ - min_) + min_)
        else:
            raise ValueError(f"unknown normalisation mode {mode!r}")
    return out
