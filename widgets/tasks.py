"""The window's one way to run work off the GUI thread (after Anki's aqt/taskman.py).

    runner = TaskRunner(parent=window)
    runner.run(DatasetReader, root, channel="open", on_done=show, on_error=show_message)

Work runs on a small thread pool (app.hub.tasks.TaskPool: a task on a channel cancels the older
ones of that channel, "latest wins"); `on_done` / `on_error` run on the GUI thread, and only if the
task was not cancelled. The runner keeps a registry of work in flight, so the window can cancel it
and wait for it when it closes (`shutdown`): no thread outlives the window, no callback reaches a
widget that is gone. The encode queue keeps its own QThreads (app/encoding/workers.py says why).
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from PySide6.QtCore import QObject

from app.hub.qt_tasks import QtTasks
from app.hub.tasks import Task, TaskPool


class TaskRunner(QtTasks):
    def __init__(self, workers: int = 4, parent: QObject | None = None):
        super().__init__(TaskPool(workers=workers, name="studio-task"), parent)
        self._lock = threading.Lock()
        self._live: list[Task] = []
        self.closed = False

    def run(self, fn: Callable, *args, channel: str | None = None, on_done: Callable | None = None,
            on_error: Callable | None = None, label: str = "", on_cancel: Callable[[], None] | None = None) -> Task:
        """on_cancel: how to stop work that does not poll check_cancelled() (e.g. a push's own cancel)."""
        if self.closed:  # the window is closing: nothing new starts
            task = Task(0, channel, fn, args)
            task.cancel()
            task._finished.set()
            return task
        task = super().run(fn, *args, channel=channel, on_done=on_done, on_error=on_error)
        task.context["label"] = label or channel or getattr(fn, "__name__", "task")
        task.context["on_cancel"] = on_cancel
        with self._lock:
            self._live = [t for t in self._live if not t._finished.is_set()] + [task]
        return task

    def in_flight(self) -> list[Task]:
        """Tasks queued or running now."""
        with self._lock:
            self._live = [t for t in self._live if not t._finished.is_set()]
            return list(self._live)

    def cancel(self, channel_prefix: str = "") -> None:
        self.pool.cancel_channel(channel_prefix)
        for t in self.in_flight():
            if (t.channel or "").startswith(channel_prefix):
                t.cancel()
                if t.context.get("on_cancel"):
                    t.context["on_cancel"]()

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Cancel everything, wait for what is running to stop; True if nothing is left running."""
        self.closed = True
        self.cancel("")
        deadline = time.monotonic() + timeout
        for t in self.in_flight():
            t.wait(max(0.0, deadline - time.monotonic()))
        self.pool.shutdown(wait=False)
        return not self.in_flight()


def find_runner(widget) -> "TaskRunner | None":
    """The task runner of the window a widget belongs to (a dialog's parent window), if it has one."""
    while widget is not None:
        runner = getattr(widget, "tasks", None)
        if isinstance(runner, TaskRunner):
            return runner
        widget = widget.parent()
    return None
