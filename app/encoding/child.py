"""Encode one camera of a take in a child process, so encoding never competes with capture for the GIL.

Measured on the 2-core machine (bench/record_session.py): with the encoder on a thread of the studio
process, takes recorded while the previous one encoded lost 3-19 % of their camera frames, even with
SVT-AV1 at lp=1 and the thread's nice raised; the encoder thread holds the interpreter lock between
frames and the capture threads wait for it. A child process has its own interpreter, and its OS
priority can be lowered the moment a take starts, even in the middle of an encode.

The QThread worker still owns the job: it starts the child, relays its progress, changes its
priority when the throttle changes, and kills it on cancel. Children come from a forkserver started
before the app opens devices, so starting one costs a fork, not an interpreter start. Frozen builds
(PyInstaller) and platforms without forkserver encode in-process as before.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import threading
from pathlib import Path
from typing import Callable

from app.dataset.errors import DatasetError
from app.cpu_priority import set_process_priority
from app.dataset.video import SegmentInfo, VideoSettings, encode_segment, verify_segment

_ctx = None
_ctx_lock = threading.Lock()


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


def _run(conn, spool_path: str, key: str, out_path: str, settings: VideoSettings, throttled: bool) -> None:
    from app.recording.spool import Spool

    if throttled:  # before the encoder starts its threads, so they inherit it
        set_process_priority(os.getpid(), True)
    try:
        spool = Spool(Path(spool_path))

        def progress(n: int) -> None:
            if n % 5 == 0:
                conn.send(("progress", n))  # BrokenPipeError when the studio died: stop encoding

        encode_segment(spool.frames(key), out_path, spool.fps, settings, throttled=throttled,
                       progress=progress, length=spool.length)
        conn.send(("done", verify_segment(out_path, spool.length, spool.fps)))  # decoding is work too
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent as a message
        err = exc if isinstance(exc, (DatasetError, OSError, ValueError)) else RuntimeError(f"{type(exc).__name__}: {exc}")
        try:
            conn.send(("error", err))
        except Exception:
            pass
    finally:
        conn.close()


def encode_camera(spool, key: str, out_path: Path, settings: VideoSettings, *,
                  throttled: Callable[[], bool], progress: Callable[[int], None]) -> SegmentInfo:
    """Encode and verify (decode back) one camera of the take in a child process; progress(n) may
    raise to cancel. Returns the verified segment, which the writer commits without decoding again."""
    if not available():
        encode_segment(spool.frames(key), out_path, spool.fps, settings, throttled=throttled(),
                       progress=progress, length=spool.length)
        return verify_segment(out_path, spool.length, spool.fps)
    ctx = _context()
    parent_conn, child_conn = ctx.Pipe(duplex=False)
    low = throttled()
    proc = ctx.Process(target=_run, args=(child_conn, str(spool.path), key, str(out_path), settings, low),
                       name=f"encode-{key}", daemon=True)
    proc.start()
    child_conn.close()
    set_process_priority(proc.pid, low)
    started = False
    try:
        while True:
            if parent_conn.poll(0.03):  # also how soon a starting take demotes the encoder
                try:
                    kind, value = parent_conn.recv()
                except EOFError:
                    raise DatasetError(f"the encoder of {key} stopped unexpectedly (exit code {proc.exitcode})")
                if kind == "progress":
                    if not started:  # the encoder's threads exist now: make sure they run at ours
                        started = True
                        set_process_priority(proc.pid, low)
                    progress(value)
                elif kind == "done":
                    progress(spool.length)
                    return value
                else:
                    raise value
            elif not proc.is_alive() and not parent_conn.poll():
                raise DatasetError(f"the encoder of {key} stopped unexpectedly (exit code {proc.exitcode})")
            if throttled() != low:  # a take started or stopped meanwhile: change priority now
                low = not low
                set_process_priority(proc.pid, low)
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        parent_conn.close()
