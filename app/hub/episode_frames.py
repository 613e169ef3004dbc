"""One episode as a viewer sees it: joint rows, and decoded frames per camera kept around the cursor.

The same code serves local and Hub datasets (the reader's filesystem decides). `load` decodes one
frame by timestamp; `prefetch` decodes a run of frames sequentially (far cheaper than seeking per
frame) and checks for cancellation between frames, so a scrub that moves on stops it early.

The frame under the cursor comes first: a prefetch asks for its bytes at once (the network works in
parallel) but decodes only while no `load` is running, so on two cores a seek does not share the
CPU with the decoding of the frames around it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from app.dataset.reader import DatasetReader
from app.hub.tasks import check_cancelled


class EpisodeFrames:
    def __init__(self, reader: DatasetReader, episode: int, capacity: int = 300, warm: bool = True):
        self.reader, self.episode = reader, episode
        # a Hub dataset: once a frame shows, the heads of its other files are fetched in the
        # background, so that a jump to any episode is one round trip (app/hub/remote_fs.py)
        self._warm = getattr(reader.fs, "warm_heads_once", None) if warm else None
        self.info = reader.episodes[episode]
        self.length, self.fps = self.info.length, reader.fps
        self.cameras = list(reader.video_keys)
        self.capacity = capacity                 # frames kept per camera
        self._frames: dict[str, OrderedDict[int, np.ndarray]] = {k: OrderedDict() for k in self.cameras}
        self._lock = threading.Lock()
        self._loading: set[tuple[str, int]] = set()     # frames a `load` is decoding right now
        self._no_loads = threading.Condition(self._lock)
        self.decoded = 0                         # frames decoded (tests and bench count work)

    def rows(self) -> dict[str, np.ndarray]:
        """time (s), and (length, n) float32 arrays for observation.state and action when present."""
        names = [c for c in ("observation.state", "action") if c in self.reader.features]
        table = self.reader.read_episode(self.episode, columns=names)
        out = {"time": np.arange(self.length) / self.fps}
        for c in names:
            out[c] = np.asarray(table.column(c).to_pylist(), dtype=np.float32)
        return out

    def cached(self, key: str, i: int) -> np.ndarray | None:
        with self._lock:
            frame = self._frames[key].get(i)
            if frame is not None:
                self._frames[key].move_to_end(i)
            return frame

    def _store(self, key: str, i: int, frame: np.ndarray) -> None:
        with self._lock:
            cache = self._frames[key]
            cache[i] = frame
            cache.move_to_end(i)
            while len(cache) > self.capacity:
                cache.popitem(last=False)
            self.decoded += 1

    def load(self, key: str, i: int) -> tuple[int, np.ndarray]:
        """Frame i of a camera, decoded once even when asked for twice at the same time (the panel
        warms frame 0 while the rows load, then the viewer asks for it)."""
        with self._lock:
            while (key, i) in self._loading:
                self._no_loads.wait()
            frame = self._frames[key].get(i)
            if frame is not None:
                self._frames[key].move_to_end(i)
                return i, frame
            self._loading.add((key, i))
        try:
            frame = self.reader.frame(self.episode, key, i)
            self._store(key, i, frame)
        finally:
            with self._lock:
                self._loading.discard((key, i))
                self._no_loads.notify_all()
        if self._warm is not None:
            self._warm()
        return i, frame

    def _yield_to_loads(self) -> None:
        with self._lock:
            while self._loading:
                self._no_loads.wait(0.05)
                check_cancelled()

    def missing(self, key: str, start: int, stop: int) -> tuple[int, int] | None:
        """The smallest [a, b) inside [start, stop) holding every frame not cached yet."""
        start, stop = max(0, start), min(self.length, stop)
        with self._lock:
            todo = [i for i in range(start, stop) if i not in self._frames[key]]
        return (todo[0], todo[-1] + 1) if todo else None

    def prefetch(self, key: str, start: int, stop: int) -> int:
        """Decode frames [start, stop) not cached yet; returns how many were added."""
        span = self.missing(key, start, stop)
        if span is None:
            return 0
        added = 0
        frames = self.reader.iter_frames(self.episode, key, *span)     # its bytes are on their way
        self._yield_to_loads()
        for n, frame in enumerate(frames, span[0]):
            check_cancelled()
            self._store(key, n, frame)
            added += 1
            self._yield_to_loads()
        return added
