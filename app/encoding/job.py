"""One encode job: a stopped take's spool -> one verified mp4 per camera -> one committed episode.

Order matters for crash safety: the segments are encoded into the spool folder, each is read back
and checked (frame count, timestamps and duration against the rows) by the child process that
encoded it, the commit stage waits for every verdict before the writer stages anything, the episode
is committed atomically with the spool id as its source id, and only then is the spool deleted. A
crash at any point leaves either the spool (the job runs again; a commit that already happened is
recognised by its source id and not repeated) or a committed episode and no spool.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from app.dataset.errors import DatasetError
from app.dataset.writer import Episode
from app.durable import UnsafePath, confined
from app.encoding.child import Camera, encode_take, transient_cause
from app.recording.spool import SPOOL_DIR, Spool, SpoolError

SEGMENT_SUFFIX = ".mp4"


class JobError(RuntimeError):
    """A failure with a message meant for the operator."""


class Stopped(Exception):
    """Raised from the progress callback: "cancel" (operator) or "shutdown" (app exit)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class JobResult:
    episode_index: int | None  # None when the episode had been committed by an earlier run
    output_bytes: int
    already_committed: bool = False


def confined_spool(root: Path | str, spool: Path | str) -> Path:
    """A take's spool folder as the journal names it, refused (JobError) unless it is a plain folder
    under `<root>/.studio/spool/`: a planted journal must not make a commit delete anything else."""
    try:
        path = confined(root, spool)
        spools = confined(root, SPOOL_DIR)
    except UnsafePath as exc:
        raise JobError(f"refusing the take's spool folder: {exc}") from None
    if path.parent != spools:
        raise JobError(f"refusing the take's spool folder {spool}: it is not in {spools}")
    return path


def segment_path(spool_path: Path, video_key: str) -> Path:
    return spool_path / (video_key.replace("/", "_") + SEGMENT_SUFFIX)


@dataclass
class Encoded:
    """A take whose segments are encoded and waiting for verify + commit."""

    spool: Spool | None  # None: committed by an earlier run
    segments: dict[str, Path]
    output_bytes: int
    verified: dict[str, Camera] = field(default_factory=dict)  # each verified by its encoder child


def encode(spool_path: Path, spool_id: str, writer, settings, *,
           throttled: Callable[[], bool] = lambda: False,
           progress: Callable[[int, int], None] = lambda done, size: None) -> Encoded:
    """Stage 1: one mp4 per camera into the spool folder."""
    if spool_id in writer.committed_sources():
        return Encoded(None, {}, 0)  # committed by an earlier run that died before deleting the spool
    spool = _open(spool_path, spool_id)
    segments = {key: segment_path(spool.path, key) for key in spool.cameras}

    def on_frames(n: int) -> None:
        progress(n, sum(_size(p) for p in segments.values()))

    cameras: dict[str, Camera] = {}
    try:
        # returns once every camera is encoded; each child then verifies its segment
        cameras = encode_take(spool, segments, settings, throttled=throttled, progress=on_frames)
        done_bytes = sum(_size(p) for p in segments.values())
        progress(spool.length * len(segments), done_bytes)
    except BaseException:
        _cancel(cameras.values())
        _remove_segments(segments.values())
        raise
    return Encoded(spool, segments, done_bytes, cameras)


def commit(encoded: Encoded, spool_path: Path, writer, throttled: Callable[[], bool] = lambda: False) -> JobResult:
    """Stage 2: wait for the verdicts, commit, then delete the spool. Runs on its own thread so the
    encoder can start the next take meanwhile; commits stay in encode order."""
    spool = encoded.spool
    if spool is None:
        if spool_path.exists():
            delete_spool(Spool(spool_path))
        return JobResult(None, 0, already_committed=True)
    try:
        data = spool.rows()
        if len(data["action"]) != spool.length:
            raise JobError(f"the take has {len(data['action'])} rows but {spool.length} frames")
        # each segment is verified by its encoder child (verify_segment: frame count, timestamps,
        # duration against the rows); the writer takes that SegmentInfo instead of reading it again.
        videos = {k: encoded.verified[k].result(throttled) for k in encoded.segments}
        index = writer.add_episode(Episode(task=spool.task, data=data, videos=videos), source_id=spool.id)
    except BaseException:
        _cancel(encoded.verified.values())
        _remove_segments(encoded.segments.values())
        raise
    delete_spool(spool)
    return JobResult(index, encoded.output_bytes)


def discard(encoded: Encoded) -> None:
    _cancel(encoded.verified.values())
    _remove_segments(encoded.segments.values())


def _cancel(cameras) -> None:
    for c in cameras:
        c.cancel()


def _open(spool_path: Path, spool_id: str) -> Spool:
    if not spool_path.is_dir():
        raise JobError(f"the take's spool folder {spool_path} is missing")
    spool = Spool(spool_path)  # SpoolError on an unreadable meta.json
    if spool.id != spool_id:
        raise JobError(f"spool folder {spool_path.name} holds take {spool.id}, expected {spool_id}")
    if not spool.complete:
        raise JobError("the take was never stopped (still recording or interrupted); recover it first")
    if spool.length <= 0:
        raise JobError("the take has no complete frame")
    return spool


def delete_spool(spool: Spool) -> None:
    """Delete a committed take's spool, then the spool folder itself if no other take is in it."""
    spool.delete()
    try:
        os.rmdir(spool.path.parent)
    except OSError:  # not empty (other takes), or already gone
        pass


def _remove_segments(paths) -> None:
    for p in paths:
        p = Path(p)
        for f in (p, p.with_name(p.name + ".stats.json")):
            try:
                confined(p.parent, f.name).unlink()  # never through a symlink planted in the spool
            except (FileNotFoundError, UnsafePath):
                pass


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def is_transient(exc: BaseException) -> bool:
    """Retried automatically by the queue once the cause is gone."""
    return transient_cause(exc) is not None


def describe_error(exc: BaseException) -> str:
    """One line for the failed row: what went wrong, in the operator's words."""
    cause = transient_cause(exc)
    if cause is not None and cause.errno in (errno.ENOSPC, errno.EDQUOT):
        exc = cause
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (f"Disk full while encoding: {exc.filename or ''} (the take is kept; it is encoded again by "
                "itself once there is room, or press Retry)")
    if isinstance(exc, (JobError, DatasetError)):
        return str(exc)
    if isinstance(exc, SpoolError):
        return f"Damaged take: {exc}"
    if isinstance(exc, (KeyError, ValueError)) and not isinstance(exc, DatasetError):
        return f"Damaged take: {type(exc).__name__}: {exc}"
    if isinstance(exc, OSError):
        return f"{exc.strerror or type(exc).__name__}: {exc.filename or exc}"
    return f"{type(exc).__name__}: {exc}"
