"""DatasetReader: read a LeRobot v3.0 dataset through an fsspec filesystem (local by default).

Every file access goes through `fs.open(root + "/" + relpath)`, so huggingface_hub's HfFileSystem
(root "datasets/<repo_id>@<revision>") plugs in unchanged. A filesystem with a `prefetch(path,
ranges)` method (app.hub.remote_fs) is told the byte ranges about to be read first, so they come in
one parallel round trip instead of one request per read: an episode's parquet column chunks (from
the footer), and its video samples (from the mp4 sample table, app.dataset.mp4_index). Reading never
modifies the dataset (an interrupted commit is finished only by DatasetWriter.open). Metadata is
validated before any path built from it is opened: hostile templates, absolute
paths, '..', absurd shapes or counts raise DatasetError.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from app.dataset import layout as L
from app.dataset.bounds import MIN_DATA_ROW_BYTES, MIN_EPISODE_ROW_BYTES, check_rows, load_info, read_capped, unreadable  # noqa: F401
from app.dataset.episodes import EpisodeInfo, VideoSegmentRef, episode_from_row  # noqa: F401
from app.dataset.errors import DatasetError
from app.dataset.features import video_keys
from app.dataset.mp4_index import Mp4Bounds, Mp4Error, Mp4Index, load_index
from app.dataset.schema_check import episodes_types
from app.dataset.video import FrameDecoder

log = logging.getLogger(__name__)
FRAMES_AHEAD = 3       # samples a frame-threaded decoder reads past the frame it returns
MAX_PREFETCH_BODY = 32 * 1024 * 1024  # a larger remote metadata parquet is read as pyarrow asks for it

class DatasetReader:
    def __init__(self, root, fs=None):
        if fs is None:
            import fsspec
            fs = fsspec.filesystem("file")
            root = str(Path(root).resolve())
            if not Path(root).is_dir():
                raise DatasetError(f"{root} is not a directory")
        self.fs, self.root = fs, str(root).rstrip("/")
        self.info = load_info(self._json(L.INFO_PATH))
        self.fps: int = self.info["fps"]
        self.features: dict = self.info["features"]
        self.video_keys: list[str] = video_keys(self.features)
        self.tasks: list[str] = self._tasks()
        self.episodes: list[EpisodeInfo] = self._episodes()
        self._decoders: dict[str, tuple[FrameDecoder, object]] = {}   # path -> (decoder, its file)
        self._locks: dict[str, threading.Lock] = {}                     # one per camera file
        self._indexes: dict[str, Mp4Index | None] = {}
        self._dlock = threading.Lock()
        self._closed = False

    # ---------------------------------------------------------------- files
    def path(self, rel: str) -> str:
        return f"{self.root}/{L.safe_relpath(rel)}"

    def open(self, rel: str):
        try:
            return self.fs.open(self.path(rel), "rb")
        except FileNotFoundError:
            raise DatasetError(f"{rel} is missing") from None
        except OSError as exc:
            raise DatasetError(f"cannot open {rel}: {exc}") from exc

    def _prefetch(self, rel: str, ranges, wait: bool = True) -> list:
        """Tell a remote filesystem which bytes of `rel` are about to be read (no-op on local disk)."""
        prefetch = getattr(self.fs, "prefetch", None)
        if prefetch is None or not ranges:
            return []
        return prefetch(self.path(rel), ranges, wait)

    def _prefetch_body(self, rel: str, pf: pq.ParquetFile, size: int) -> None:
        """A remote metadata file's column data, all of it in one parallel fetch, before pyarrow reads
        what it needs piece by piece. Planned from the file's size and its footer's length only: reading
        a column chunk's metadata from Python aborts the process on some corrupt footers (pyarrow 26
        lets the C++ exception through), where pyarrow's own reads raise a clean error."""
        body = size - 8 - pf.metadata.serialized_size
        if 4 < body <= MAX_PREFETCH_BODY:
            self._prefetch(rel, [(4, body)])

    def _json(self, rel: str) -> dict:
        try:
            with self.open(rel) as f:
                return json.loads(read_capped(f, rel))
        except (ValueError, RecursionError) as exc:
            raise DatasetError(f"{rel} is not valid JSON: {str(exc)[:200]}") from None

    def _parquet(self, rel: str, columns=None, most_rows: int = L.MAX_EPISODES) -> pa.Table:
        with self.open(rel) as f:
            try:
                pf = pq.ParquetFile(f)
                check_rows(rel, pf, f.seek(0, 2), most_rows, MIN_EPISODE_ROW_BYTES)
                return pf.read(columns=columns)
            except (pa.ArrowException, OSError, ValueError) as exc:  # ValueError: bad UTF-8 text
                raise unreadable(rel, f, exc) from None

    def glob(self, pattern: str) -> list[str]:
        """Relative paths matching a pattern under the root, in lexicographic order (as lerobot)."""
        prefix = self.fs._strip_protocol(self.root).rstrip("/") + "/"
        found = [self.fs._strip_protocol(p) for p in self.fs.glob(prefix + pattern)]
        return sorted(p[len(prefix):] for p in found if p.startswith(prefix))

    # ---------------------------------------------------------------- metadata
    def _tasks(self) -> list[str]:
        if self.info.get("total_tasks", 0) == 0 and not self.fs.exists(self.path(L.TASKS_PATH)):
            return []
        t = self._parquet(L.TASKS_PATH, most_rows=self.info.get("total_tasks", 0) + 1000)
        if "task" not in t.column_names or "task_index" not in t.column_names:
            raise DatasetError("meta/tasks.parquet needs columns task_index and task")
        order = t.column("task_index").to_pylist()
        if order != list(range(len(order))):
            raise DatasetError("meta/tasks.parquet: row i must have task_index i")
        try:
            return [str(x) for x in t.column("task").to_pylist()]
        except ValueError as exc:          # text that is not UTF-8
            raise DatasetError(f"meta/tasks.parquet holds unreadable task text ({str(exc)[:120]})") from None

    def _episodes(self) -> list[EpisodeInfo]:
        out: list[EpisodeInfo] = []
        # one more row than info.json counts: a commit is renamed in episodes-first, info.json last
        most = self.info.get("total_episodes", 0) + 1
        for rel in self.glob("meta/episodes/*/*.parquet"):
            with self.open(rel) as f:
                try:
                    pf = pq.ParquetFile(f)
                    most -= check_rows(rel, pf, f.seek(0, 2), most, MIN_EPISODE_ROW_BYTES)
                    wrong = episodes_types(rel, pf.schema_arrow, self.features)
                    if wrong:
                        more = f" (and {len(wrong) - 1} more; run `teleop-studio check`)" if len(wrong) > 1 else ""
                        raise DatasetError(wrong[0] + more)
                    cols = [c for c in pf.schema_arrow.names if not c.startswith("stats/")]
                    self._prefetch_body(rel, pf, f.seek(0, 2))
                    rows = pf.read(columns=cols).to_pylist()
                except (pa.ArrowException, OSError, ValueError) as exc:  # ValueError: bad UTF-8 text
                    raise unreadable(rel, f, exc) from None
            for r in rows:
                out.append(episode_from_row(self.info, self.video_keys, r))
                if len(out) > L.MAX_EPISODES:
                    raise DatasetError("too many episodes")
        for i, ep in enumerate(out):
            if ep.index != i:
                raise DatasetError(f"meta/episodes: row {i} holds episode {ep.index}")
        return out

    def stats(self) -> dict | None:
        if not self.fs.exists(self.path(L.STATS_PATH)):
            return None
        return self._json(L.STATS_PATH)

    # ---------------------------------------------------------------- rows
    def read_episode(self, e: int, columns: list[str] | None = None) -> pa.Table:
        """The episode's data rows, reading only the row groups whose `index` range overlaps it."""
        ep = self.episodes[e]
        with self.open(ep.data_file) as f:
            try:
                pf = pq.ParquetFile(f)
                check_rows(ep.data_file, pf, f.seek(0, 2), self.info.get("total_frames", 0) + ep.length,
                           MIN_DATA_ROW_BYTES)
                columns_read = columns and list(dict.fromkeys(columns + ["index"]))
                # pyarrow picks the row groups from the footer's statistics and reads only the column
                # chunks it needs; nothing here touches column metadata from Python (see _prefetch_body).
                # Not pre_buffer: its I/O threads reading a Python file abort the process at exit.
                f.seek(0)
                table = pq.read_table(f, columns=columns_read, pre_buffer=False, filters=[
                    ("index", ">=", ep.from_index), ("index", "<", ep.to_index)])
            except (pa.ArrowException, OSError, ValueError) as exc:  # ValueError: bad UTF-8 text
                raise unreadable(ep.data_file, f, exc) from None
        idx = table.column("index")
        if table.num_rows != ep.length or idx[0].as_py() != ep.from_index:
            mask = pc.and_(pc.greater_equal(idx, ep.from_index), pc.less(idx, ep.to_index))
            table = table.filter(mask)
        if table.num_rows != ep.length:
            raise DatasetError(f"episode {e}: {table.num_rows} rows in {ep.data_file}, expected {ep.length}")
        return table.select(columns) if columns else table

    # ---------------------------------------------------------------- frames
    def check_video(self, rel: str) -> Mp4Index | None:
        """A camera file's sample table, read once, checked against the file's size before any
        decoder opens it (FFmpeg would allocate an entry per claimed sample); also plans byte ranges
        over a remote filesystem. None when this parser cannot index the file (FFmpeg still may)."""
        with self._dlock:
            if rel in self._indexes:
                return self._indexes[rel]
        with self.open(rel) as f:
            size = f.seek(0, 2)

            def read(a: int, b: int) -> bytes:
                f.seek(a)
                return f.read(b - a)
            try:
                index = load_index(read, size)
            except Mp4Bounds as exc:
                raise DatasetError(f"{rel}: {exc}; refusing to decode it (corrupt or hostile file)") from None
            except Mp4Error as exc:
                log.info("%s: no sample table (%s); reading it without a plan", rel, exc)
                index = None
        with self._dlock:
            return self._indexes.setdefault(rel, index)

    def _video_file(self, ref: VideoSegmentRef, t0: float, t1: float, opening: bool):
        """Fetch the bytes decoding [t0, t1) of a segment reads (remote only), in parallel requests
        without waiting; returns (the pending requests, the extent to keep read-ahead in)."""
        index = self.check_video(ref.path)
        if index is None or not hasattr(self.fs, "prefetch"):
            return [], None
        ranges = index.span(t0, t1, after=FRAMES_AHEAD) + (index.opening() if opening else [])
        return self._prefetch(ref.path, ranges, wait=False), index.extent(ref.from_ts, ref.to_ts)

    def frame_shape(self, video_key: str) -> tuple[int, int, int]:
        h, w, c = self.features[video_key]["shape"]
        return h, w, 3 if c in (1, 3) else c

    def check_frame(self, rel: str, video_key: str, img: np.ndarray) -> np.ndarray:
        """A decoded frame must have the camera's shape from info.json: anything else is an error."""
        want = self.frame_shape(video_key)
        if img.shape != want:
            raise DatasetError(f"{rel}: frames are {img.shape[1]}x{img.shape[0]}, but {video_key} is "
                               f"{want[1]}x{want[0]} in info.json (a different video was put in its place?)")
        return img

    def check_stream(self, rel: str, video_key: str, width: int, height: int) -> None:
        """Refuse a video whose frame size is not the camera's before decoding a frame of it."""
        want = self.frame_shape(video_key)
        if (height, width) != want[:2]:
            raise DatasetError(f"{rel}: the video is {width}x{height}, but {video_key} is {want[1]}x{want[0]} "
                               "in info.json (a different video was put in its place?)")

    def _open_video(self, rel: str, window, video_key: str):
        self.check_video(rel)
        f = self.open(rel)
        if hasattr(f, "partial_reads"):     # PyAV takes short reads: never wait for unplanned bytes
            f.partial_reads, f.window = True, window
        try:
            dec = FrameDecoder(f, rel)
            try:
                cc = dec.stream.codec_context
                if cc is None:
                    raise DatasetError(f"{rel}: its video stream has no codec this studio can decode")
                self.check_stream(rel, video_key, cc.width, cc.height)
            except BaseException:
                dec.close()
                raise
            return dec, f
        except DatasetError:
            f.close()
            if getattr(f, "failure", None) is not None:   # the Hub busy, a cut connection: say that
                raise f.failure from None
            raise
        except BaseException:
            f.close()
            raise

    def _decoder(self, rel: str, window, video_key: str) -> tuple[FrameDecoder, object]:
        """The frame-by-time decoder of a camera file; the caller holds the file's lock."""
        entry = self._decoders.get(rel)
        if entry is None:
            with self._dlock:
                if len(self._decoders) >= 8:
                    self._evict_one()
            entry = self._open_video(rel, window, video_key)
            with self._dlock:
                if not self._closed:
                    self._decoders[rel] = entry
            if self._closed:
                entry[0].close()
                entry[1].close()
                self._check_open()
        elif hasattr(entry[1], "window"):
            entry[1].window = window
        return entry

    def _evict_one(self) -> None:
        for rel in list(self._decoders):
            lock = self._locks[rel]
            if lock.acquire(blocking=False):      # never close a decoder another thread is using
                try:
                    dec, f = self._decoders.pop(rel)
                    dec.close()
                    f.close()
                finally:
                    lock.release()
                return

    def frame_time(self, e: int, video_key: str, frame_index: int) -> float:
        ep = self.episodes[e]
        if not 0 <= frame_index < ep.length:
            raise DatasetError(f"episode {e} has no frame {frame_index} (length {ep.length})")
        return ep.videos[video_key].from_ts + float(np.float32(frame_index / self.fps))

    def frame(self, e: int, video_key: str, frame_index: int) -> np.ndarray:
        """HxWx3 uint8 RGB frame of an episode, found by timestamp (1e-4 s) after a keyframe seek.
        Cameras decode in parallel (one lock per camera file)."""
        t = self.frame_time(e, video_key, frame_index)
        ref = self.episodes[e].videos[video_key]
        with self._dlock:
            lock = self._locks.setdefault(ref.path, threading.Lock())
        with lock:     # close() takes this lock before it frees the decoder: never freed mid-decode
            self._check_open()
            pending, window = self._video_file(ref, t, t + 0.5 / self.fps, ref.path not in self._decoders)
            for p in pending:
                p.result()
            dec, _ = self._decoder(ref.path, window, video_key)
            return self.check_frame(ref.path, video_key, dec.frame_at(t))

    def _check_open(self) -> None:
        if self._closed:
            raise DatasetError("the dataset was closed (another dataset or episode was opened meanwhile)")

    def iter_frames(self, e: int, video_key: str, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
        """Frames start..stop-1 of an episode, decoded sequentially (its own decoder, thread-safe).
        Over a remote filesystem the run's samples are asked for at once, when this is called;
        decoding starts at the first `next` and waits only for the bytes it needs."""
        ep = self.episodes[e]
        stop = ep.length if stop is None else min(stop, ep.length)
        if start >= stop:
            return iter(())
        ref = ep.videos[video_key]
        t0 = self.frame_time(e, video_key, start)
        t1 = ref.from_ts + stop / self.fps
        pending, window = self._video_file(ref, t0, t1, opening=True)
        return self._decode_run(e, video_key, start, stop, t0, t1, pending, window)

    def _decode_run(self, e, video_key, start, stop, t0, t1, pending, window) -> Iterator[np.ndarray]:
        ref = self.episodes[e].videos[video_key]
        try:
            dec, f = self._open_video(ref.path, window, video_key)
        except BaseException:
            for p in pending:
                p.cancel()
            raise
        try:
            n = start
            for t, img in dec.frames_between(t0, t1):
                self._check_open()
                expect = self.frame_time(e, video_key, n)
                if abs(t - expect) > 1e-4:
                    raise DatasetError(f"{ref.path}: frame {n} of episode {e} at {t:.6f} s, expected {expect:.6f} s")
                yield self.check_frame(ref.path, video_key, img)
                n += 1
            if n != stop:
                raise DatasetError(f"{ref.path}: episode {e} ends after {n} frames, expected {stop}")
        finally:
            for p in pending:
                p.cancel()
            dec.close()
            f.close()

    def close(self) -> None:
        """Free the decoders. Safe while other threads read: a decode in progress on a camera file
        finishes first (its lock is taken before its decoder is freed), later reads raise
        DatasetError("... closed ..."); a sequential run (`iter_frames`) stops at its next frame."""
        with self._dlock:
            self._closed = True
            rels = list(self._decoders)
        for rel in rels:
            with self._locks[rel]:
                with self._dlock:
                    entry = self._decoders.pop(rel, None)
                if entry is not None:
                    entry[0].close()
                    entry[1].close()
