"""Episode health: did every camera deliver a fresh frame on every tick, and did the loop keep time.

Per camera: frames expected (slots of the dataset clock between the first and last tick), captured
(slots filled by a fresh frame), late (fresh but older than one period when taken) and dropped
(expected - captured: a slot filled by duplicating the latest frame, or a missed loop cycle).
Per take: loop jitter and leader-follower lag. Kept in <root>/.studio/health.jsonl, one line per
kept take, where lerobot never looks.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

WARN_DROP_RATIO = 0.001  # 0.1 %
HEALTH_FILE = Path(".studio") / "health.jsonl"
_lock = threading.Lock()


@dataclass
class CameraHealth:
    expected: int = 0
    captured: int = 0
    late: int = 0
    dropped: int = 0

    @property
    def drop_ratio(self) -> float:
        return self.dropped / self.expected if self.expected else 0.0


@dataclass
class EpisodeHealth:
    frames: int = 0  # ticks recorded
    duration_s: float = 0.0
    cameras: dict[str, CameraHealth] = field(default_factory=dict)
    late_ticks: int = 0
    spool_overruns: int = 0  # ticks the spool writer could not take (queue full)
    jitter_p50_ms: float = 0.0
    jitter_p99_ms: float = 0.0
    lag_ms: float = 0.0  # follower behind leader (best-aligning shift)
    tracking_error_deg: float = 0.0  # mean |leader - follower| over joints

    @property
    def worst_drop_ratio(self) -> float:
        return max((c.drop_ratio for c in self.cameras.values()), default=0.0)

    @property
    def warning(self) -> str | None:
        bad = [f"{name}: {c.dropped} of {c.expected} frames dropped ({100 * c.drop_ratio:.2f} %)"
               for name, c in self.cameras.items() if c.drop_ratio > WARN_DROP_RATIO]
        if self.spool_overruns:
            bad.append(f"{self.spool_overruns} ticks lost: the disk could not keep up")
        return "; ".join(bad) or None

    def summary(self) -> str:
        cams = ", ".join(f"{n} {c.captured}/{c.expected}" + (f" ({c.dropped} dropped)" if c.dropped else "")
                         for n, c in self.cameras.items())
        return (f"{self.frames} frames in {self.duration_s:.1f} s; {cams}; jitter p99 {self.jitter_p99_ms:.1f} ms;"
                f" lag {self.lag_ms:.0f} ms")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["warning"] = self.warning
        return d


class HealthMeter:
    """Fed on the spool-writer thread, one call per tick. `on_late()` is called (once per take) the
    first time capture falls behind: a camera's slot gets no fresh frame, or the loop misses a cycle."""

    def __init__(self, cameras: list[str], fps: int, on_late=None):
        self.fps = fps
        self.on_late = on_late
        self.told_late = False
        self.cams = {c: CameraHealth() for c in cameras}
        self._last_index: dict[str, int | None] = {c: None for c in cameras}
        self._t: list[float] = []
        self._periods: list[float] = []
        self._action: list[np.ndarray] = []
        self._state: list[np.ndarray] = []
        self.late_ticks = 0
        self.overruns = 0

    def tick(self, t: float, period: float, late: bool, action, state, frames: dict) -> None:
        """frames: camera -> (index, t_capture) or None when the camera had no frame."""
        if self._t:
            self._periods.append(period)
        self._t.append(t)
        self._action.append(action)
        self._state.append(state)
        self.late_ticks += bool(late)
        behind = bool(late)
        for name, f in frames.items():
            c = self.cams[name]
            if f is None or f[0] == self._last_index[name]:
                behind = behind or f is not None
                continue
            self._last_index[name] = f[0]
            c.captured += 1
            if t - f[1] > 1.0 / self.fps:
                c.late += 1
        if behind and not self.told_late and self.on_late is not None:
            self.told_late = True
            self.on_late()

    def result(self) -> EpisodeHealth:
        n = len(self._t)
        h = EpisodeHealth(frames=n, late_ticks=self.late_ticks, spool_overruns=self.overruns)
        if n == 0:
            return h
        h.duration_s = n / self.fps
        expected = int(round((self._t[-1] - self._t[0]) * self.fps)) + 1
        for name, c in self.cams.items():
            h.cameras[name] = CameraHealth(expected, min(c.captured, expected), c.late,
                                           max(0, expected - c.captured))
        if self._periods:
            err = np.abs(np.asarray(self._periods) - 1.0 / self.fps) * 1000
            h.jitter_p50_ms, h.jitter_p99_ms = float(np.percentile(err, 50)), float(np.percentile(err, 99))
        a, s = np.asarray(self._action, np.float32), np.asarray(self._state, np.float32)
        h.tracking_error_deg = float(np.mean(np.abs(a - s)))
        h.lag_ms = best_lag(a, s) * 1000.0 / self.fps
        return h


def best_lag(action: np.ndarray, state: np.ndarray, max_shift: int = 15) -> int:
    """Shift (in ticks) that best aligns the follower's path with the leader's."""
    n = len(action)
    best, best_err = 0, np.inf
    for k in range(min(max_shift, n - 2) + 1):
        err = float(np.mean(np.abs(state[k:] - action[:n - k])))
        if err < best_err - 1e-6:
            best, best_err = k, err
    return best


def append_health(root: Path | str, record: dict) -> None:
    path = Path(root) / HEALTH_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, separators=(",", ":")) + "\n"
    with _lock, open(path, "a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def read_health(root: Path | str) -> list[dict]:
    path = Path(root) / HEALTH_FILE
    out = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return out
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:  # a line cut by a crash
            continue
    return out
