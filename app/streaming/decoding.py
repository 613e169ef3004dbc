"""Decode an episode's camera frames in order, keeping each camera file's container open between episodes.

Each episode names its own mp4 per camera and its segment (from_timestamp) in it, so a rollover to a
new file is just another file to open: frame n of episode e is at `from_timestamp + n/fps` in the file
that episode's row names. (lerobot 0.6.1's streaming class uses the global frame index / fps in the
first file instead, which breaks after a rollover.)

When the next episode continues where the previous one stopped in the same file (sequential
streaming), decoding carries on without a seek; otherwise one keyframe seek to the segment start
(every episode starts on a keyframe). A few containers per camera stay open (LRU), so shuffled
episode orders over rolled-over files do not re-read each file's index every time.

Over the Hub, `plan` tells which spans this reader will decode; a file's read-ahead then stays
inside the bytes of those spans (a DataLoader worker fetches its own share, not its neighbour's).
"""

from __future__ import annotations

from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from typing import Iterator

import av
import numpy as np

from app.dataset.errors import DatasetError
from app.dataset.reader import FRAMES_AHEAD, DatasetReader
from app.streaming.readahead import wrap_remote

TOLERANCE_S = 1e-4


class _OpenVideo:
    def __init__(self, reader: DatasetReader, rel: str, pool: ThreadPoolExecutor | None = None,
                 video_key: str | None = None, window: list[tuple[int, int]] | None = None):
        self.rel = rel
        self.reader, self.video_key = reader, video_key
        reader.check_video(rel)          # a sample table claiming more than the file holds: refused
        self._file = wrap_remote(reader.open(rel), reader.fs, rel, pool, window)
        try:
            self.container = av.open(self._file)
            self.stream = self.container.streams.video[0]
            if video_key is not None:    # a different-size video in the camera's place: refused
                cc = self.stream.codec_context
                if cc is None:
                    raise DatasetError(f"{rel}: its video stream has no codec this studio can decode")
                reader.check_stream(rel, video_key, cc.width, cc.height)
        except (av.FFmpegError, IndexError, DatasetError) as exc:
            if hasattr(self, "container"):
                self.container.close()
            self._file.close()
            if isinstance(exc, DatasetError):
                raise
            raise DatasetError(f"cannot open video {rel}: {exc}") from exc
        self.stream.thread_type = "AUTO"
        self.tb = self.stream.time_base
        self._frames: Iterator | None = None
        self.next_t: float | None = None     # time of the frame after the last one handed out

    def close(self) -> None:
        self.container.close()
        self._file.close()

    def seek(self, t: float) -> None:
        target = max(0, round(Fraction(t).limit_denominator(10_000_000) / self.tb) - 1)
        self.container.seek(target, stream=self.stream, backward=True, any_frame=False)
        self._frames = self.container.decode(self.stream)
        self.next_t = None

    def frames(self, t0: float, count: int, fps: int, what: str) -> Iterator[np.ndarray]:
        """`count` frames starting at t0, frame n at t0 + n/fps (1e-4 s), decoded forward."""
        if self._frames is None or self.next_t is None or abs(self.next_t - t0) > TOLERANCE_S:
            try:
                self.seek(t0)
            except av.FFmpegError as exc:
                raise DatasetError(f"{self.rel}: cannot seek to {what} ({exc})") from None
        for n in range(count):
            want = t0 + float(np.float32(n / fps))
            while True:
                try:
                    frame = next(self._frames)
                except StopIteration:
                    self._frames = None
                    raise DatasetError(f"{self.rel}: {what} ends after {n} of {count} frames") from None
                except av.FFmpegError as exc:
                    self._frames = None
                    raise DatasetError(f"{self.rel}: decoding {what} failed at frame {n}: {exc}") from exc
                if frame.pts is None:
                    continue
                ft = float(frame.pts * self.tb)
                if ft >= want - TOLERANCE_S:
                    break
            if ft > want + TOLERANCE_S:
                self._frames = None
                raise DatasetError(f"{self.rel}: {what} has no frame {n} at {want:.6f} s "
                                   f"(next is at {ft:.6f} s; tolerance 1e-4 s)")
            self.next_t = want + 1.0 / fps
            img = frame.to_ndarray(format="rgb24")
            yield img if self.video_key is None else self.reader.check_frame(self.rel, self.video_key, img)


class EpisodeVideos:
    """`frames(e, key)` yields episode e's HxWx3 uint8 RGB frames of one camera, in order."""

    def __init__(self, reader: DatasetReader, open_per_camera: int = 2, fetchers: int = 4):
        self.reader = reader
        self.open_per_camera = max(1, open_per_camera)
        remote = hasattr(reader.fs, "read_range")
        self._pool = ThreadPoolExecutor(fetchers, thread_name_prefix="stream-fetch") if remote and fetchers else None
        self._open: dict[str, OrderedDict[str, _OpenVideo]] = {}
        self.seeks = 0          # keyframe seeks made (sequential streaming should make one per file)
        self.opened = 0         # containers opened
        self._spans: list = []  # what this reader will decode (sharding.Span), for read-ahead windows

    def plan(self, spans) -> None:
        """The spans (episode, start, stop) this reader will decode, in any order."""
        self._spans = list(spans)

    def _window(self, key: str, rel: str) -> list[tuple[int, int]] | None:
        """The byte ranges of the planned spans in file `rel`, one per span (None: no plan, or a file
        without an index)."""
        if self._pool is None or not self._spans:
            return None
        index = self.reader.check_video(rel)
        if index is None:
            return None
        fps, ranges = self.reader.fps, []
        for s in self._spans:
            ref = self.reader.episodes[s.episode].videos.get(key)
            if ref is not None and ref.path == rel:
                part = index.span(ref.from_ts + s.start / fps, ref.from_ts + s.stop / fps, after=FRAMES_AHEAD)
                if part:
                    ranges.append((min(a for a, _ in part), max(b for _, b in part)))
        return ranges or None

    def _video(self, key: str, rel: str) -> _OpenVideo:
        files = self._open.setdefault(key, OrderedDict())
        v = files.get(rel)
        if v is None:
            while len(files) >= self.open_per_camera:
                files.popitem(last=False)[1].close()
            v = files[rel] = _OpenVideo(self.reader, rel, self._pool, key, self._window(key, rel))
            self.opened += 1
        files.move_to_end(rel)
        return v

    def frames(self, e: int, key: str) -> Iterator[np.ndarray]:
        ep = self.reader.episodes[e]
        ref = ep.videos[key]
        v = self._video(key, ref.path)
        if v.next_t is None or abs(v.next_t - ref.from_ts) > TOLERANCE_S:
            self.seeks += 1
        return v.frames(ref.from_ts, ep.length, self.reader.fps, f"episode {e} of {key}")

    def close(self) -> None:
        for files in self._open.values():
            for v in files.values():
                v.close()
        self._open.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
