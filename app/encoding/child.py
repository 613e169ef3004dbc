"""Encode each camera of a take in a child process, so encoding never competes with capture for the GIL.

Why a process: it shares no interpreter lock with capture, and its OS priority can be lowered as a
whole the moment a take starts, even in the middle of an encode. (The frame losses first blamed on
the encoder thread were mostly SVT-AV1 making itself real-time; see app/cpu_priority.py.)

The QThread worker still owns the job: it starts the children, relays their progress, changes their
priority when the throttle changes, and kills them on cancel. Children come from a forkserver started
with the workers (`start_server`), so starting one costs a fork, not an interpreter start (plus an
import of the parent's main script, which multiprocessing repeats in every child: keep it light).
Frozen builds (PyInstaller) and platforms without forkserver encode in-process, one camera at a time.

Each child encodes its camera, says so, then verifies the segment (the check the commit needs:
every packet demuxed, the first frame and the last GOP decoded; see verify_segment) while the
parent already starts the next encode.
Between takes (not throttled) the cameras of a take encode side by side, each encoder on its share
of the cores (`parallel_encodes`): on 2 cores SVT-AV1 at lp=1 spends ~10 % less CPU per frame than
spread over both, and writes the same bitstream (bench/encode_queue.py: queue/bare 0.75-0.81x with
one camera at a time and the verify overlapped, 0.91-0.99x side by side). While a take records
(throttled) one camera encodes at a time, at lp=1, SCHED_IDLE and nice 15. A take's start reaches
every live child within POLL_S, its end within POLL_RECORDING_S.

Giving way (`hold`): when the recorder sees capture fall behind, every child stops between two frames
until the take ends, so an unprivileged studio (no nice -10 for capture) keeps its frames and the
backlog grows instead. The children read one shared flag before each frame (a flag they poll,
not a multiprocessing Event: setting an Event waits for every waiter to wake, and a waiter killed
by Cancel never does). A held child is never left behind: the throttle ending (Stop, reset,
session end) and closing the queue (quit) release it, cancel kills it, and while it waits it
writes a heartbeat to the studio every HOLD_BEAT_S: once the studio is gone the write fails and
the child exits.
"""

from __future__ import annotations

import errno
import multiprocessing as mp
import os
import sys
import threading
import time
from multiprocessing.connection import wait as wait_for
from pathlib import Path
from typing import Callable

from app.cpu_priority import set_process_priority
from app.dataset.errors import DatasetError
from app.dataset.verify import verify_segment
from app.dataset.video import SegmentInfo, VideoSettings, encode_segment

# Between takes the encoders use every core, but a little below the window (nice 0): the live preview
# keeps its frame rate while takes encode, and an otherwise idle machine encodes just as fast.
BETWEEN_TAKES_NICE = 5

POLL_S = 0.03  # how often a waiting parent reads its children, and so how soon a starting take demotes them
# while a take records: how soon its end promotes them again. Every wake-up of the parent costs the
# take's capture threads and the encoder a little (cold caches), so it wakes less while they compete.
POLL_RECORDING_S = 0.2
PROGRESS_S = 0.1  # a child reports its frame count this often (each report wakes the parent)
HOLD_BEAT_S = 0.5  # a held child tells the studio it waits this often (and so notices the studio is gone)
HOLD_POLL_S = 0.02  # how often a held child looks at the flag (how soon it goes on after Stop)
_ctx = None
_held = None  # shared flag every child reads before a frame: 1 while capture needs the CPU
_ctx_lock = threading.Lock()
_lock = threading.Lock()
_live: list["Camera"] = []  # cameras whose child runs (encoding or verifying), oldest first


def _context():
    global _ctx
    with _ctx_lock:
        if _ctx is None and not getattr(sys, "frozen", False) and "forkserver" in mp.get_all_start_methods():
            ctx = mp.get_context("forkserver")
            ctx.set_forkserver_preload(["app.encoding.child"])
            _ctx = ctx
        return _ctx


def available() -> bool:
    return _context() is not None and os.environ.get("TELEOP_STUDIO_ENCODE_IN_PROCESS") != "1"


def _flag():
    global _held
    ctx = _context()
    with _ctx_lock:
        if _held is None and ctx is not None:
            _held = ctx.RawValue("b", 0)
        return _held


def hold(on: bool) -> None:
    """Hold every encoder child between two frames (capture is late), or let them all go on."""
    flag = _flag()
    if flag is not None:
        flag.value = 1 if on else 0


def holding() -> bool:
    flag = _held
    return flag is not None and bool(flag.value)


def start_server() -> None:
    """Start the forkserver now (it imports av and numpy: ~0.3 s) rather than in the first encode."""
    if available():
        from multiprocessing import forkserver

        forkserver.ensure_running()


def parallel_encodes(cameras: int, throttled: bool) -> int:
    """Cameras encoded at once: one while a take records, else one per core up to the take's cameras."""
    return 1 if throttled else max(1, min(cameras, os.cpu_count() or 1))


def encoder_threads(parallel: int) -> int | None:
    """Each encoder's share of the cores when `parallel` run at once (None: the encoder's default)."""
    return None if parallel <= 1 else max(1, (os.cpu_count() or 1) // parallel)


def _run(conn, spool_path: str, key: str, out_path: str, settings: VideoSettings, throttled: bool,
         threads: int | None, held=None) -> None:
    from app.recording.spool import Spool

    # before the encoder starts its threads, so they inherit it
    set_process_priority(os.getpid(), throttled, BETWEEN_TAKES_NICE)
    try:
        spool = Spool(Path(spool_path))
        reported = [0.0]

        def progress(n: int) -> None:
            if held is not None and held.value:  # capture is late: wait here, between two frames
                conn.send(("held", n))
                beat = time.monotonic()
                while held.value:
                    time.sleep(HOLD_POLL_S)
                    if time.monotonic() - beat >= HOLD_BEAT_S:
                        beat = time.monotonic()
                        conn.send(("held", n))  # BrokenPipeError once the studio is gone: stop waiting
            now = time.monotonic()
            if now - reported[0] >= PROGRESS_S:  # the first frame too: the parent then sets the threads' priority
                reported[0] = now
                conn.send(("progress", n))  # BrokenPipeError when the studio died: stop encoding

        encode_segment(spool.frames(key), out_path, spool.fps, settings, throttled=throttled,
                       progress=progress, length=spool.length, threads=threads)
        conn.send(("encoded", spool.length))  # the parent may start the next encode now
        # the check demuxes every packet and decodes only the first frame and the last GOP (see
        # verify_segment), on one decoder thread: the encoders keep the cores busy.
        conn.send(("done", verify_segment(out_path, spool.length, spool.fps, threads=1)))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent as a message
        known = isinstance(exc, (DatasetError, OSError, ValueError))
        err = exc if known else RuntimeError(f"{type(exc).__name__}: {exc}")
        cause = exc if isinstance(exc, OSError) else transient_cause(exc)
        if cause is not None:  # a plain OSError pickles, and its errno (ENOSPC) tells the queue to retry
            err = OSError(cause.errno, cause.strerror or str(cause), cause.filename)
        try:
            conn.send(("error", err))
        except Exception:
            pass
    finally:
        conn.close()


TRANSIENT_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EAGAIN, errno.ENOMEM, errno.EBUSY)


def transient_cause(exc: BaseException | None) -> OSError | None:
    """The OSError behind `exc` (itself, or what it was raised from, e.g. the encoder's DatasetError
    around a full disk) when it may go away by itself: disk full, quota, an I/O error."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS:
            return exc
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


class Camera:
    """One camera of a take, encoded and then verified by its own child process.

    `poll()` takes in what the child reported; `result()` waits for the verdict. Thread-safe: the
    encode worker polls every live camera while it waits, and the commit stage waits for a take's."""

    def __init__(self, key: str, length: int, info: SegmentInfo | None = None):
        self.key = key
        self.length = length
        self.frames = length if info is not None else 0
        self.encoded = info is not None
        self.low = False
        self.held = False  # the child said it waits for capture to catch up
        self._info = info
        self._error: BaseException | None = None
        self._proc = None
        self._conn = None
        self._started = False
        self._lock = threading.Lock()

    @classmethod
    def start(cls, ctx, spool, key: str, out_path: Path, settings: VideoSettings, low: bool,
              threads: int | None) -> "Camera":
        cam = cls(key, spool.length)
        cam._conn, child_conn = ctx.Pipe(duplex=False)
        cam._proc = ctx.Process(target=_run, name=f"encode-{key}", daemon=True,
                                args=(child_conn, str(spool.path), key, str(out_path), settings, low, threads,
                                      _flag()))
        cam._proc.start()
        child_conn.close()
        cam.set_low(low)
        with _lock:
            _live.append(cam)
        return cam

    @property
    def running(self) -> bool:
        return self._proc is not None

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None else None

    @property
    def error(self) -> BaseException | None:
        return self._error

    def set_low(self, low: bool) -> None:
        with self._lock:
            self.low = low
            if self._proc is not None:
                set_process_priority(self._proc.pid, low, BETWEEN_TAKES_NICE)

    def poll(self, timeout: float = 0.0) -> None:
        """Take in the child's messages, waiting up to timeout for the first one."""
        conn = self._conn
        if conn is None:
            return
        if timeout:
            try:
                wait_for([conn], timeout)
            except (OSError, ValueError):  # closed meanwhile by another thread
                pass
        with self._lock:
            if self._proc is None:
                return
            try:
                while self._conn.poll():
                    kind, value = self._conn.recv()
                    self.held = kind == "held"
                    if kind == "held":
                        continue
                    if kind == "progress":
                        self.frames = value
                        if not self._started:  # the encoder's threads exist now: make sure they run at ours
                            self._started = True
                            set_process_priority(self._proc.pid, self.low, BETWEEN_TAKES_NICE)
                    elif kind == "encoded":
                        self.frames, self.encoded = self.length, True
                    else:
                        if kind == "done":
                            self._info = value
                        else:
                            self._error = value
                        self._stop()
                        return
                if not self._proc.is_alive() and not self._conn.poll():
                    raise EOFError
            except (EOFError, OSError):
                self._error = DatasetError(f"the encoder of {self.key} stopped unexpectedly "
                                           f"(exit code {self._proc.exitcode})")
                self._stop()

    def result(self, throttled: Callable[[], bool] = lambda: False) -> SegmentInfo:
        """The verified segment, or the error its encode or decode met."""
        while self.running:
            low = throttled()
            retune(low)
            self.poll(poll_s(low))
        if self._error is not None:
            raise self._error
        return self._info

    def cancel(self) -> None:
        with self._lock:
            if self._proc is not None:
                self._stop()
                self._error = DatasetError(f"the encoder of {self.key} was stopped")

    def _stop(self) -> None:
        """Caller holds self._lock. After "done" the child only exits, so killing it loses nothing."""
        with _lock:
            if self in _live:
                _live.remove(self)
        if self._proc.is_alive():
            self._proc.kill()
        self._proc.join(5)
        self._conn.close()
        self._proc = self._conn = None


def poll_s(low: bool) -> float:
    return POLL_RECORDING_S if low else POLL_S


def retune(low: bool) -> None:
    """Give every live child the throttle's priority (whoever waits on children calls this)."""
    with _lock:
        stale = [c for c in _live if c.low != low]
    for c in stale:
        c.set_low(low)


def _poll_live(timeout: float) -> None:
    with _lock:
        live = list(_live)
    conns = [conn for conn in (c._conn for c in live) if conn is not None]
    try:
        if conns:
            wait_for(conns, timeout)
        else:
            time.sleep(timeout)
    except (OSError, ValueError):  # one was closed meanwhile by another thread
        pass
    for c in live:
        c.poll()


def _verifying() -> int:
    with _lock:
        return sum(1 for c in _live if c.encoded)


def encode_take(spool, outputs: dict[str, Path], settings: VideoSettings, *,
                throttled: Callable[[], bool], progress: Callable[[int], None]) -> dict[str, Camera]:
    """Encode every camera of the take (video key -> segment path), each in its own child process.

    Returns once every segment is encoded; the children go on verifying them (`Camera.result()`).
    progress(frames of all cameras) may raise to cancel: every child of the take is then killed."""
    if not available():
        return _encode_in_process(spool, outputs, settings, throttled, progress)
    ctx = _context()
    todo = list(outputs)
    cams: dict[str, Camera] = {}
    try:
        while True:
            low = throttled()
            retune(low)
            for c in cams.values():
                if not c.encoded and c.error is not None:
                    raise c.error
            encoding = sum(1 for c in cams.values() if not c.encoded)
            if not todo and not encoding:
                return cams
            slots = parallel_encodes(len(outputs), low)
            # more verifies than encoders only when the verifies are starved: let them catch up
            if todo and encoding < slots and _verifying() <= slots:
                key = todo.pop(0)
                cams[key] = Camera.start(ctx, spool, key, outputs[key], settings, low,
                                         None if low else encoder_threads(slots))
                continue
            _poll_live(poll_s(low))
            progress(sum(c.frames for c in cams.values()))
    except BaseException:
        for c in cams.values():
            c.cancel()
        raise


def _encode_in_process(spool, outputs, settings, throttled, progress) -> dict[str, Camera]:
    cams: dict[str, Camera] = {}
    for i, (key, path) in enumerate(outputs.items()):
        base = i * spool.length
        encode_segment(spool.frames(key), path, spool.fps, settings, throttled=throttled(),
                       progress=lambda n, _base=base: progress(_base + n), length=spool.length)
        cams[key] = Camera(key, spool.length, info=verify_segment(path, spool.length, spool.fps))
    return cams
