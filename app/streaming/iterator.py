"""StreamingDataset: iterate the frames of a local or Hub LeRobot v3.0 dataset without downloading it.

    ds = StreamingDataset("lerobot/svla_so101_pickplace", shuffle=True, buffer_size=1000,
                          delta_timestamps={"action": [0, 1/30, 2/30]})
    for frame in ds:            # dict of numpy arrays; images HxWx3 uint8 RGB; "task" a str
        ...

Episodes are read one at a time: their rows in one parquet read (one row group), their camera frames
decoded forward on the fly (decoding.py), neighbours for delta_timestamps from a sliding window
(backtrack.py). A background thread prepares the next frames while the caller works, so network
latency and decoding overlap with training. Shuffling is two-level, as in lerobot's
StreamingLeRobotDataset: a random episode order, then a shuffle buffer over the frames (shuffle.py).
Unlike lerobot 0.6.1, `episodes=` is honoured, video file rollover works, Hub reads are pinned to
the revision's commit, and the delta window is never cut short.
"""

from __future__ import annotations

import itertools
import queue
import re
import threading
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa

from app.dataset.errors import DatasetError
from app.dataset.reader import DatasetReader
from app.streaming.backtrack import TOLERANCE_S, delta_offsets, with_deltas
from app.streaming.decoding import EpisodeVideos
from app.streaming.sharding import Span
from app.streaming.shuffle import shuffle_buffer

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_END = object()


class _Failed:
    def __init__(self, exc: BaseException):
        self.exc = exc


def open_source(source, revision: str = "v3.0", **hub_options) -> DatasetReader:
    """A DatasetReader for a local folder, or for a Hub repo id (read remotely, nothing downloaded)."""
    if isinstance(source, DatasetReader):
        return source
    path = Path(str(source)).expanduser()
    if path.exists():
        if not (path / "meta" / "info.json").is_file():
            raise DatasetError(f"{path} is not a LeRobot dataset (it has no meta/info.json)")
        return DatasetReader(path)
    if isinstance(source, str) and _REPO_ID.match(source):
        from app.hub.remote_fs import open_hub_dataset

        fs = open_hub_dataset(source, revision, **hub_options)
        return DatasetReader(fs.root, fs)
    raise DatasetError(f"{source!r} is neither a dataset folder nor a Hub repo id (owner/name)")


def _column_to_numpy(col: pa.ChunkedArray, feature: dict, length: int) -> np.ndarray:
    dtype = feature["dtype"]
    col = col.combine_chunks()
    if dtype == "string":
        return np.asarray(col.to_pylist(), dtype=object)
    if dtype == "image":
        import cv2

        imgs = [cv2.cvtColor(cv2.imdecode(np.frombuffer(v["bytes"], np.uint8), cv2.IMREAD_COLOR),
                             cv2.COLOR_BGR2RGB) for v in col.to_pylist()]
        return np.stack(imgs)
    while pa.types.is_list(col.type) or pa.types.is_fixed_size_list(col.type) or \
            pa.types.is_large_list(col.type):
        col = col.flatten()
    shape = [int(s) for s in feature.get("shape") or [1]]
    values = col.to_numpy(zero_copy_only=False).astype(dtype, copy=False)
    if shape == [1] and values.size == length:
        return values
    return values.reshape([length] + shape)


class StreamingDataset:
    """Frames of a LeRobot v3.0 dataset, streamed episode by episode (see the module docstring).

    source: a dataset folder, a Hub repo id, or an open DatasetReader. episodes: indices to stream,
    in the given order (shuffled among themselves when shuffle=True). video=False skips decoding.
    prefetch: frames prepared ahead by the background thread (0 = no thread). hub_options go to
    app.hub.remote_fs.open_hub_dataset (endpoint, cache, token, timeout).
    """

    def __init__(self, source, revision: str = "v3.0", episodes=None, shuffle: bool = False,
                 buffer_size: int = 1000, seed: int = 42, delta_timestamps: dict | None = None,
                 video: bool = True, tolerance_s: float = TOLERANCE_S, prefetch: int = 64,
                 **hub_options):
        self.reader = open_source(source, revision, **hub_options)
        r = self.reader
        self.fps = r.fps
        self.features = r.features
        self.video = bool(video)
        self.video_keys = list(r.video_keys) if self.video else []
        self.shuffle, self.seed, self.epoch = bool(shuffle), int(seed), 0
        if int(buffer_size) < 1:
            raise DatasetError(f"buffer_size must be at least 1, got {buffer_size}")
        self.buffer_size = int(buffer_size)
        self.prefetch = max(0, int(prefetch))
        self.episodes = self._check_episodes(episodes)
        self.delta_offsets = delta_offsets(delta_timestamps, self.fps, r.features, tolerance_s)
        skipped = [k for k in self.delta_offsets if k in r.video_keys and not self.video]
        if skipped:
            raise DatasetError(f"delta_timestamps asks for {', '.join(skipped)} but video decoding is off")
        self.row_columns = [k for k, ft in r.features.items() if ft["dtype"] != "video"]
        self.last_videos: EpisodeVideos | None = None     # decoder of the latest iteration (counters)

    def _check_episodes(self, episodes) -> list[int]:
        n = len(self.reader.episodes)
        if episodes is None:
            return list(range(n))
        try:
            eps = [int(e) for e in episodes]
        except (TypeError, ValueError):
            raise DatasetError(f"episodes must be a list of episode indices, got {episodes!r}") from None
        bad = [e for e in eps if not 0 <= e < n]
        if bad:
            raise DatasetError(f"episodes {bad} do not exist (the dataset has episodes 0..{n - 1})")
        if len(set(eps)) != len(eps):
            raise DatasetError("episodes lists an episode more than once")
        if not eps:
            raise DatasetError("episodes is empty")
        return eps

    def __len__(self) -> int:
        return sum(self.reader.episodes[e].length for e in self.episodes)

    def set_epoch(self, epoch: int) -> None:
        """A new epoch reshuffles (seed and epoch together decide the order)."""
        self.epoch = int(epoch)

    def _rngs(self) -> tuple[np.random.Generator, np.random.Generator]:
        a, b = np.random.SeedSequence([self.seed, self.epoch]).spawn(2)
        return np.random.default_rng(a), np.random.default_rng(b)

    def episode_order(self) -> list[int]:
        if not self.shuffle:
            return list(self.episodes)
        rng, _ = self._rngs()
        return [self.episodes[i] for i in rng.permutation(len(self.episodes))]

    # ------------------------------------------------------------------ frames
    def episode_rows(self, e: int) -> dict[str, np.ndarray]:
        """Episode e's data columns as numpy arrays of `length` rows (one parquet read)."""
        ep = self.reader.episodes[e]
        table = self.reader.read_episode(e)
        out = {}
        for k in self.row_columns:
            if k in table.column_names:
                out[k] = _column_to_numpy(table.column(k), self.features[k], ep.length)
        return out

    def _raw_frames(self, e: int, videos: EpisodeVideos, lo: int = 0, hi: int | None = None) -> Iterator[dict]:
        """Frames lo..hi-1 of episode e (all of it by default)."""
        length = self.reader.episodes[e].length
        hi = length if hi is None else hi
        rows = self.episode_rows(e)
        tasks, task_idx = self.reader.tasks, rows.get("task_index")
        if lo == 0 and hi == length:     # the sequential path: containers stay open between episodes
            streams = {k: videos.frames(e, k) for k in self.video_keys}
        else:
            streams = {k: self.reader.iter_frames(e, k, lo, hi) for k in self.video_keys}
        for i in range(lo, hi):
            item = {k: np.array(v[i, ...]) for k, v in rows.items()}   # own copies, safe to change
            if task_idx is not None and 0 <= int(task_idx[i]) < len(tasks):
                item["task"] = tasks[int(task_idx[i])]
            for k, s in streams.items():
                item[k] = next(s)
            yield item

    def _episode_frames(self, span: Span, videos: EpisodeVideos) -> Iterator[dict]:
        """The span's frames with their deltas. A part of an episode is read with the neighbours its
        deltas need (so padding happens only at the episode's real ends), then cut to the span."""
        e, length = span.episode, self.reader.episodes[span.episode].length
        back = max([0] + [-int(o.min()) for o in self.delta_offsets.values()])
        ahead = max([0] + [int(o.max()) for o in self.delta_offsets.values()])
        lo, hi = max(0, span.start - back), min(length, span.stop + ahead)
        frames = with_deltas(self._raw_frames(e, videos, lo, hi), self.delta_offsets)
        return itertools.islice(frames, span.start - lo, span.stop - lo)

    def spans(self, order: list[int] | None = None) -> list[Span]:
        """Whole episodes as spans, in `order` (default: this epoch's episode order)."""
        order = self.episode_order() if order is None else order
        return [Span(e, 0, self.reader.episodes[e].length) for e in order]

    def _produce(self, order: list[Span]) -> Iterator[dict]:
        videos = self.last_videos = EpisodeVideos(self.reader)
        videos.plan(order)
        try:
            for span in order:
                yield from self._episode_frames(span, videos)
        finally:
            videos.close()

    def _threaded(self, order: list[Span]) -> Iterator[dict]:
        q: queue.Queue = queue.Queue(maxsize=self.prefetch)
        stop = threading.Event()

        def put(x) -> bool:
            while not stop.is_set():
                try:
                    q.put(x, timeout=0.1)
                    return True
                except queue.Full:
                    pass
            return False

        def work() -> None:
            gen = self._produce(order)
            try:
                for item in gen:
                    if not put(item):
                        return
                put(_END)
            except BaseException as exc:   # handed to the consumer, raised there
                put(_Failed(exc))
            finally:
                gen.close()

        t = threading.Thread(target=work, name="stream-prefetch", daemon=True)
        t.start()
        try:
            while True:
                x = q.get()
                if x is _END:
                    return
                if isinstance(x, _Failed):
                    raise x.exc
                yield x
        finally:
            stop.set()
            t.join()

    def stream(self, spans: list[Span], rng: np.random.Generator | None = None) -> Iterator[dict]:
        """The frames of `spans` in order, through a shuffle buffer drawing from `rng` when given
        (the sharded training datasets stream their share of an epoch this way)."""
        frames = self._threaded(list(spans)) if self.prefetch else self._produce(list(spans))
        return frames if rng is None else shuffle_buffer(frames, self.buffer_size, rng)

    def __iter__(self) -> Iterator[dict]:
        return self.stream(self.spans(), self._rngs()[1] if self.shuffle else None)

    def close(self) -> None:
        self.reader.close()
