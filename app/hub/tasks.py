"""One small way to run remote reads off the GUI thread, cancel the stale ones, and come back.

    pool = TaskPool(workers=2)
    task = pool.submit(read_frame, ep, 42, channel="frame:front", done=callback)

A task submitted on a channel cancels every older task of that channel that has not finished
("latest wins": a fast scrub leaves only the frame under the cursor to fetch). A queued task that is
cancelled never runs; a running one can check `task.cancelled` between steps and stop early, and
its result is dropped. `done(task)` runs on the worker thread; `qt_tasks.QtTasks` moves it to the
GUI thread. No Qt here.
"""

from __future__ import annotations

import itertools
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

log = logging.getLogger(__name__)
_local = threading.local()


class Cancelled(Exception):
    """Raised inside a task that noticed it was cancelled (see `check_cancelled`)."""


@dataclass(eq=False)
class Task:
    id: int
    channel: str | None
    fn: Callable
    args: tuple
    done: Callable[["Task"], None] | None = None
    result: Any = None
    error: BaseException | None = None
    context: dict = field(default_factory=dict)       # for the caller (e.g. GUI callbacks)
    _cancel: threading.Event = field(default_factory=threading.Event)
    _finished: threading.Event = field(default_factory=threading.Event)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._finished.wait(timeout)


def check_cancelled() -> None:
    """Call between steps of long work: raises Cancelled if the running task was cancelled."""
    task = getattr(_local, "task", None)
    if task is not None and task.cancelled:
        raise Cancelled()


class TaskPool:
    MAX_WORKERS = 8      # a fixed pool whatever is queued: a task never starts a thread of its own

    def __init__(self, workers: int = 2, name: str = "remote"):
        workers = max(1, min(int(workers), self.MAX_WORKERS))
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._live: dict[str, list[Task]] = {}
        self.stats = {"submitted": 0, "ran": 0, "skipped": 0, "dropped": 0, "completed": 0}

    def submit(self, fn: Callable, *args, channel: str | None = None,
               done: Callable[[Task], None] | None = None) -> Task:
        task = Task(next(self._ids), channel, fn, args, done)
        with self._lock:
            self.stats["submitted"] += 1
            if channel is not None:
                for old in self._live.get(channel, []):
                    old.cancel()
                self._live[channel] = [t for t in self._live.get(channel, []) if not t._finished.is_set()]
                self._live[channel].append(task)
        self._executor.submit(self._run, task)
        return task

    def cancel_channel(self, prefix: str = "") -> None:
        with self._lock:
            for channel, tasks in self._live.items():
                if channel.startswith(prefix):
                    for t in tasks:
                        t.cancel()

    def _count(self, key: str) -> None:
        with self._lock:
            self.stats[key] += 1

    def _run(self, task: Task) -> None:
        try:
            if task.cancelled:
                self._count("skipped")
                return
            self._count("ran")
            _local.task = task
            try:
                task.result = task.fn(*task.args)
            except Cancelled:
                pass
            except Exception as exc:  # handed to the caller, who shows a message
                task.error = exc
            finally:
                _local.task = None
            if task.cancelled:
                self._count("dropped")
                return
            self._count("completed")
            if task.done is not None:
                try:
                    task.done(task)
                except Exception:
                    log.exception("task callback failed")
        finally:
            task._finished.set()
            if task.channel is not None:
                with self._lock:
                    live = self._live.get(task.channel, [])
                    if task in live:
                        live.remove(task)

    def shutdown(self, wait: bool = False) -> None:
        self.cancel_channel("")
        self._executor.shutdown(wait=wait, cancel_futures=True)
