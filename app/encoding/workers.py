"""Runs the encode queue on QThreads and reports it to the GUI through one coalesced Qt signal.

Why QThread subclasses with a blocking loop, not QThreadPool: an encode worker is long-lived and
owns OS-level state, namely its nice value, which the throttle raises while a take is recorded, and
which the encoder's own threads inherit when they are created. A pool recycles anonymous threads
(and the global pool is shared with remote fetches), so that per-thread state would leak into other
work. The loop blocks on the queue's condition variable instead of an event loop because a worker
receives no signals: the queue wakes it. One worker is the default: SVT-AV1 and x264 already use
every core, so two concurrent encodes would only fight each other and the GUI.

The workers never touch the GUI thread's event loop, so the headless `record` command only needs a
QCoreApplication, and the main thread may block in `EncodeQueue.wait_idle()`.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

from PySide6.QtCore import QObject, QThread, Signal

from app.encoding import child
from app.encoding.queue import EncodeQueue

log = logging.getLogger(__name__)
THROTTLE_NICE = 10  # added to the worker's nice value while a take is recorded


def apply_thread_priority(throttled: bool, _base: dict[int, int] = {}) -> None:  # noqa: B006 - per-thread memo
    """Lower (or try to restore) the OS priority of the calling thread (Linux: per-thread nice).

    Unprivileged processes may raise their nice value but not lower it (RLIMIT_NICE is usually 0),
    so after the first throttled take the worker may stay at the lower priority. That costs nothing
    when the machine is otherwise idle (nice only matters under contention), and between takes the
    encoder still gets its full thread count back.
    """
    if not sys.platform.startswith("linux"):
        return
    tid = threading.get_native_id()
    try:
        base = _base.setdefault(tid, os.getpriority(os.PRIO_PROCESS, tid))
        want = min(19, base + THROTTLE_NICE) if throttled else base
        if os.getpriority(os.PRIO_PROCESS, tid) != want:
            os.setpriority(os.PRIO_PROCESS, tid, want)
    except (PermissionError, OSError) as exc:
        log.debug("cannot change encoder thread priority: %s", exc)


class EncodeWorker(QThread):
    def __init__(self, queue: EncodeQueue, parent: QObject | None = None):
        super().__init__(parent)
        self.queue = queue
        self.setObjectName("encode-worker")

    def run(self) -> None:
        threading.current_thread().name = "encode-worker"
        while not self.isInterruptionRequested() and not self.queue.closed:
            entry = self.queue.claim(timeout=0.5)
            if entry is not None:
                self.queue.run(entry)


class CommitWorker(QThread):
    """Verifies and commits encoded takes while the encoder is already on the next one."""

    def __init__(self, queue: EncodeQueue, parent: QObject | None = None):
        super().__init__(parent)
        self.queue = queue
        self.setObjectName("commit-worker")

    def run(self) -> None:
        threading.current_thread().name = "commit-worker"
        while True:
            item = self.queue.claim_commit(timeout=0.5)
            if item is not None:
                self.queue.run_commit(item)
            elif self.queue.closed or self.isInterruptionRequested():
                return


class EncodeWorkers(QObject):
    """Start/stop the worker threads of one queue: `count` encoders and one commit stage."""

    def __init__(self, queue: EncodeQueue, count: int = 1, parent: QObject | None = None):
        super().__init__(parent)
        self.queue = queue
        queue.priority_hook = apply_thread_priority
        self.threads: list[QThread] = [EncodeWorker(queue) for _ in range(max(1, count))]
        self.threads.append(CommitWorker(queue))

    def start(self) -> None:
        child.start_server()
        for t in self.threads:
            if not t.isRunning():
                t.start(QThread.Priority.LowPriority)

    def stop(self, timeout_ms: int = 30_000) -> bool:
        """Close the queue (an entry mid-encode goes back to pending; encoded ones are committed)
        and join the threads."""
        self.queue.close()
        ok = True
        for t in self.threads:
            t.requestInterruption()
        for t in self.threads:
            ok = t.wait(timeout_ms) and ok
        return ok

    def running(self) -> bool:
        return any(t.isRunning() for t in self.threads)


class QueueSignals(QObject):
    """The queue's observer on the Qt side: `changed` fires on the receiver's thread, at most once
    in flight, so a fast encoder cannot flood the GUI. The slot calls `take_changes()`."""

    changed = Signal()

    def __init__(self, queue: EncodeQueue, parent: QObject | None = None):
        super().__init__(parent)
        self.queue = queue
        self._lock = threading.Lock()
        self._ids: set[str | None] = set()
        self._pending = False
        queue.add_observer(self._on_change)

    def detach(self) -> None:
        self.queue.remove_observer(self._on_change)

    def _on_change(self, entry_id: str | None) -> None:
        with self._lock:
            self._ids.add(entry_id)
            if self._pending:
                return
            self._pending = True
        self.changed.emit()

    def take_changes(self) -> set[str | None]:
        """Ids changed since the last call (None: something queue-wide)."""
        with self._lock:
            ids, self._ids = self._ids, set()
            self._pending = False
        return ids
