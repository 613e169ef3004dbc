"""One take: ticks go from the teleop thread through a short queue to a spool-writer thread.

feed() never blocks (a full queue counts an overrun); finish() never waits: the writer thread drains
what is queued, closes the files, writes stopped.json (or deletes everything when the take is
discarded) and then calls on_done(recorder) from its own thread. The spool's periodic fdatasync
runs on a third thread ("spool-sync"), so the writer thread never waits for the disk to flush.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from app.cpu_priority import favour_calling_thread
from app.recording.disk import DiskGuard, is_disk_full
from app.recording.health import EpisodeHealth, HealthMeter
from app.recording.spool import Spool, SpoolWriter
from app.rig.samples import Tick

log = logging.getLogger(__name__)


class TakeRecorder:
    sync_every_s = 1.0  # fdatasync the spool this often (power-loss safety; kills need none)

    def __init__(self, root: Path, task: str, fps: int, cameras: dict[str, tuple[str, int, int]],
                 limit: int | None, on_done: Callable[["TakeRecorder"], None],
                 on_event: Callable[[str, object], None] | None = None, guard: DiskGuard | None = None,
                 extra: dict | None = None, joints: int = 6):
        """cameras: video_key -> (rig camera name, height, width); joints: 6, or 12 on a bimanual rig."""
        self.root, self.task, self.fps, self.cameras, self.limit = Path(root), task, fps, cameras, limit
        self.on_done, self.on_event, self.guard = on_done, on_event or (lambda *a: None), guard
        self.extra = extra or {}
        self.joints = joints
        self.queue: queue.Queue[Tick | None] = queue.Queue(maxsize=max(8, fps))
        self.accepted = 0
        self.keep = True
        self.reason = "stopped"
        self.spool: Spool | None = None
        self.health: EpisodeHealth | None = None
        self.error: str | None = None
        self.spool_id: str | None = None
        self.started = time.monotonic()
        self.done = threading.Event()
        self.released = False  # the session handed it on (or will, as soon as it is closed)
        self.submitted = False
        self._closed = False
        self._finishing = threading.Event()
        self._lock = threading.Lock()
        # the first dropped frame makes the encoders give way until the take ends (Studio, queue)
        self._meter = HealthMeter([cam for cam, _, _ in cameras.values()], fps,
                                  on_late=lambda: self.on_event("capture_late", self))
        self._files_lock = threading.Lock()  # the sync thread never syncs a file being closed
        self._thread = threading.Thread(target=self._run, name="spool-writer", daemon=True)
        self._thread.start()

    # -- teleop thread ------------------------------------------------------------------------
    def feed(self, tick: Tick) -> bool:
        """Queue a tick; False once the take is finishing or full (limit reached)."""
        if self._finishing.is_set() or (self.limit is not None and self.accepted >= self.limit):
            return False
        try:
            self.queue.put_nowait(tick)
        except queue.Full:
            self._meter.overruns += 1
            return True
        self.accepted += 1
        return True

    def _wake_writer(self) -> None:
        try:
            self.queue.put_nowait(None)  # the writer looks at _finishing at once (a full queue: it is busy)
        except queue.Full:
            pass

    @property
    def full(self) -> bool:
        return self.limit is not None and self.accepted >= self.limit

    # -- any thread ---------------------------------------------------------------------------
    def finish(self, keep: bool = True, reason: str = "stopped") -> None:
        with self._lock:
            if not self._finishing.is_set():
                self.keep, self.reason = keep, reason
            elif not keep:
                self.keep = False
            self._finishing.set()
        self._wake_writer()

    def discard(self) -> None:
        """Throw the take away, whether or not the writer has finished with it."""
        with self._lock:
            self.keep = False
            self._finishing.set()
            spool, self.spool = self.spool, None
        self._wake_writer()
        if spool is not None:
            spool.delete()

    @property
    def closed(self) -> bool:
        """The writer has finished with the files (spool set or deleted)."""
        return self._closed

    def wait(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)

    # -- spool-writer thread ------------------------------------------------------------------
    def _run(self) -> None:
        favour_calling_thread()
        writer = None
        try:
            dims = {k: (h, w) for k, (_, h, w) in self.cameras.items()}
            writer = SpoolWriter(self.root, self.task, self.fps, dims, extra=self.extra, joints=self.joints)
            self.spool_id = writer.id
            threading.Thread(target=self._sync_loop, args=(writer,), name="spool-sync", daemon=True).start()
            self._write_loop(writer)
        except Exception as exc:  # the take keeps what reached the disk; the session reports why
            if is_disk_full(exc):
                self.reason, self.error = "disk full", "the disk is full: the take was stopped and kept"
            else:
                log.exception("spool writer failed")
                self.reason, self.error = "error", f"recording failed: {exc}"
            self._finishing.set()
        self._finalize(writer)

    def _write_loop(self, writer: SpoolWriter) -> None:
        last_img: dict[str, np.ndarray] = {}
        check_every = max(1, self.fps)
        while True:
            finishing = self._finishing.is_set()
            try:  # between ticks it sleeps until the next one (or finish() wakes it)
                tick = self.queue.get(timeout=0.02 if finishing else 0.5)
            except queue.Empty:
                if finishing:
                    return
                continue
            if tick is None:
                continue
            if not self.keep:  # discarded: no point writing the rest
                continue
            images, stamps = {}, {}
            for key, (cam, h, w) in self.cameras.items():
                f = tick.frames.get(cam)
                if f is None:
                    img = last_img.get(key)
                    images[key] = img if img is not None else np.zeros((h, w, 3), np.uint8)
                    stamps[cam] = None
                    continue
                img = f.image
                if img.shape[:2] != (h, w):  # a camera re-opened at another size: keep the dataset's
                    img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
                images[key] = last_img[key] = img
                stamps[cam] = (f.index, f.t_capture)
            writer.append(tick.seq, tick.t, tick.action, tick.state, images)
            self._meter.tick(tick.t, tick.period, tick.late, tick.action, tick.state, stamps)
            if self.guard is not None and writer.length % check_every == 0:
                self._check_disk()

    def _sync_loop(self, writer: SpoolWriter) -> None:
        """Push the spool to the disk every sync_every_s until the writer closes its files."""
        while not self.done.wait(self.sync_every_s):
            with self._files_lock:
                if writer.closed:
                    return
                try:
                    writer.sync()
                except OSError as exc:  # the writer thread meets the same error and reports it
                    log.debug("spool sync failed: %s", exc)
                    return

    def _check_disk(self) -> None:
        status = self.guard.status()
        if status.full:
            self.reason = "disk full"
            self.error = "the disk is almost full: the take was stopped and kept"
            self._finishing.set()
            self.on_event("disk_full", status)
        elif status.low:
            self.on_event("disk_low", status)

    def _finalize(self, writer: SpoolWriter | None) -> None:
        self.health = self._meter.result()
        spool = None
        if writer is not None:
            try:
                if self.keep and writer.length > 0:
                    with self._files_lock:
                        writer._close_files()
                    _truncate_to(writer)
                    spool = writer.stop(self.reason, {"health": self.health.to_dict()})
                else:
                    with self._files_lock:
                        writer._close_files()
                    writer.discard()
            except Exception as exc:
                log.exception("closing the spool failed")
                self.error = self.error or f"closing the take failed: {exc}"
        with self._lock:
            if self.keep:
                self.spool = spool
            elif spool is not None:
                spool.delete()
            self._closed = True
        try:
            self.on_done(self)
        except Exception:
            log.exception("take-done callback failed")
        self.done.set()  # after the callback: whoever waits sees the take handed on


def _truncate_to(writer: SpoolWriter) -> None:
    """After a write error, cut every file back to the last complete record."""
    from app.recording.spool import _safe

    n, row_size = writer.length, writer._row.itemsize
    for key, (h, w) in writer.cameras.items():
        p = writer.path / f"{_safe(key)}.raw"
        if p.exists() and p.stat().st_size != n * h * w * 3:
            os.truncate(p, n * h * w * 3)
    p = writer.path / "rows.bin"
    if p.exists() and p.stat().st_size != n * row_size:
        os.truncate(p, n * row_size)
