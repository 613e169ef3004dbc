"""Brings finished remote tasks back to the GUI thread (QtCore only).

    tasks = QtTasks(TaskPool())
    tasks.run(fs_read, path, channel="open", on_done=show, on_error=show_message)

`on_done(result)` / `on_error(exception)` run on the thread that owns this object (the GUI thread),
and only if the task was not cancelled meanwhile.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot

from app.hub.tasks import Task, TaskPool


class QtTasks(QObject):
    _finished = Signal(object)

    def __init__(self, pool: TaskPool | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = pool or TaskPool()
        self._finished.connect(self._deliver)   # emitted from a worker: queued to our thread

    def run(self, fn: Callable, *args, channel: str | None = None,
            on_done: Callable | None = None, on_error: Callable | None = None) -> Task:
        task = self.pool.submit(fn, *args, channel=channel, done=self._finished.emit)
        task.context.update(on_done=on_done, on_error=on_error)
        return task

    @Slot(object)
    def _deliver(self, task: Task) -> None:
        if task.cancelled:
            return
        if task.error is not None:
            if task.context.get("on_error"):
                task.context["on_error"](task.error)
        elif task.context.get("on_done"):
            task.context["on_done"](task.result)

    def shutdown(self) -> None:
        self.pool.shutdown()
