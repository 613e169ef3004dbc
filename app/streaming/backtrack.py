"""delta_timestamps served from a sliding window over one episode's frames, never by random access.

`Backtrack` walks an iterator while keeping `back` past items and reading `ahead` items in advance,
so the frames at offsets -back..+ahead around the current one are at hand. The window is exactly as
wide as the deltas need (lerobot caps it at 100 frames and silently pads beyond that).

Outside the episode, a delta gets the nearest edge frame and `<key>_is_pad = True`, as lerobot's
LeRobotDataset does (it clamps the index to the episode).
"""

from __future__ import annotations

import math
from collections import deque
from typing import Iterable, Iterator

import numpy as np

from app.dataset.errors import DatasetError

TOLERANCE_S = 1e-4


def delta_offsets(delta_timestamps: dict | None, fps: int, features: dict,
                  tolerance_s: float = TOLERANCE_S) -> dict[str, np.ndarray]:
    """{key: frame offsets} from {key: [seconds, ...]}; each delta must be a multiple of 1/fps."""
    if not delta_timestamps:
        return {}
    if not isinstance(delta_timestamps, dict):
        raise DatasetError("delta_timestamps must be a dict {feature: [seconds, ...]}")
    out = {}
    for key, deltas in delta_timestamps.items():
        if key not in features:
            raise DatasetError(f"delta_timestamps: {key!r} is not a feature of this dataset "
                               f"(features: {', '.join(features)})")
        if isinstance(deltas, (int, float)):
            deltas = [deltas]
        try:
            values = [float(d) for d in deltas]
        except (TypeError, ValueError):
            raise DatasetError(f"delta_timestamps[{key!r}] must be a list of seconds, got {deltas!r}") from None
        if not values:
            raise DatasetError(f"delta_timestamps[{key!r}] is empty")
        offsets = []
        for d in values:
            if not math.isfinite(d):
                raise DatasetError(f"delta_timestamps[{key!r}]: {d} is not a finite number of seconds")
            n = round(d * fps)
            if abs(d - n / fps) > tolerance_s:
                raise DatasetError(
                    f"delta_timestamps[{key!r}]: {d} s is not a multiple of 1/fps = {1 / fps:.6f} s "
                    f"(nearest: {n / fps:.6f} s, tolerance {tolerance_s} s)")
            offsets.append(n)
        out[key] = np.asarray(offsets, dtype=np.int64)
    return out


class Backtrack:
    """Iterate `items`; `at(k)` is the item k steps from the current one, or None past either end.

    Holds at most back + 1 + ahead items. `at` outside [-back, ahead] is a programming error.
    """

    def __init__(self, items: Iterable, back: int, ahead: int):
        if back < 0 or ahead < 0:
            raise ValueError("back and ahead must be >= 0")
        self._it: Iterator = iter(items)
        self.back, self.ahead = back, ahead
        self._buf: deque = deque()
        self._first = 0            # position (in the stream) of _buf[0]
        self._pos = -1             # position of the current item
        self._done = False

    def _fill(self, upto: int) -> None:
        while not self._done and self._first + len(self._buf) <= upto:
            try:
                self._buf.append(next(self._it))
            except StopIteration:
                self._done = True

    def advance(self) -> bool:
        """Move to the next item; False at the end."""
        self._fill(self._pos + 1 + self.ahead)
        if self._pos + 1 >= self._first + len(self._buf):
            return False
        self._pos += 1
        while self._first < self._pos - self.back:
            self._buf.popleft()
            self._first += 1
        return True

    @property
    def position(self) -> int:
        return self._pos

    def at(self, k: int):
        if not -self.back <= k <= self.ahead:
            raise IndexError(f"offset {k} outside the window [-{self.back}, {self.ahead}]")
        i = self._pos + k - self._first
        return self._buf[i] if 0 <= i < len(self._buf) else None

    def first_position(self) -> int:
        return self._first

    def last_position(self) -> int:
        return self._first + len(self._buf) - 1


def with_deltas(frames: Iterable[dict], offsets: dict[str, np.ndarray]) -> Iterator[dict]:
    """One episode's frames with each key in `offsets` replaced by the stack of its neighbours.

    Adds `<key>_is_pad` (bool per delta): True where the neighbour lies outside the episode, whose
    value is then the nearest edge frame's.
    """
    if not offsets:
        yield from frames
        return
    lo = min(int(o.min()) for o in offsets.values())
    hi = max(int(o.max()) for o in offsets.values())
    win = Backtrack(frames, back=max(0, -lo), ahead=max(0, hi))
    while win.advance():
        cur = win.at(0)
        item = dict(cur)     # keys with deltas get new stacked arrays; windows read only those keys
        pos = win.position
        for key, offs in offsets.items():
            values, pad = [], np.zeros(len(offs), dtype=bool)
            for j, k in enumerate(offs):
                k = int(k)
                nb = win.at(k)
                if nb is None:
                    # past an edge: the window has reached it (|edge - pos| < |k|), so take the edge frame
                    pad[j] = True
                    nb = win.at((win.first_position() if k < 0 else win.last_position()) - pos)
                values.append(nb[key])
            item[key] = np.stack([np.asarray(v) for v in values])
            item[f"{key}_is_pad"] = pad
        yield item
