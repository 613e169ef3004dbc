"""Uncaught exceptions: logged with their traceback and shown in a dialog, never a silent exit.

The hook runs wherever the exception happened (a slot, a paint event, a device thread); the dialog
is always opened on the GUI thread. While one is open, further errors are counted in it instead of
stacking dialogs (a failing paint event would otherwise open thirty a second).
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

log = logging.getLogger("teleop_studio.errors")


class ErrorDialog(QDialog):
    def __init__(self, summary: str, details: str, log_path: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ErrorDialog")
        self.setWindowTitle("Teleop Studio — unexpected error")
        self.repeats = 0
        self.summary = QLabel(f"<b>Something went wrong.</b><br>{_escape(summary)}")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        hint = "The studio keeps running; recordings already on disk are safe."
        if log_path:
            hint += f"<br>Full details are in the log: <code>{_escape(log_path)}</code>"
        self.hint = QLabel(hint)
        self.hint.setWordWrap(True)
        self.repeat_label = QLabel()
        self.repeat_label.hide()
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setVisible(False)
        self.details.setMinimumHeight(220)
        toggle = QPushButton("Show details")
        toggle.setCheckable(True)
        toggle.toggled.connect(lambda on: (self.details.setVisible(on),
                                           toggle.setText("Hide details" if on else "Show details"),
                                           self.adjustSize()))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy details", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(f"{summary}\n\n{self.details.toPlainText()}"))
        buttons.addButton(toggle, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for w in (self.summary, self.hint, self.repeat_label, self.details, buttons):
            layout.addWidget(w)
        self.resize(560, 180)

    def add_repeat(self, summary: str) -> None:
        self.repeats += 1
        self.repeat_label.setText(f"{self.repeats} more error(s) since; the latest: {_escape(summary)}")
        self.repeat_label.show()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ExceptionReporter(QObject):
    """Installs sys.excepthook and threading.excepthook; shows each error in an ErrorDialog."""

    error = Signal(str, str)  # summary, traceback text; queued to the GUI thread
    dialog_shown = Signal(object)

    def __init__(self, parent_window: QWidget | None = None, log_path: str | None = None):
        super().__init__()
        self.parent_window = parent_window
        self.log_path = log_path
        self.dialog: ErrorDialog | None = None
        self.count = 0
        self._previous = None
        self._previous_thread = None
        self.error.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> "ExceptionReporter":
        self._previous, sys.excepthook = sys.excepthook, self._hook
        self._previous_thread, threading.excepthook = threading.excepthook, self._thread_hook
        return self

    def uninstall(self) -> None:
        if sys.excepthook == self._hook and self._previous is not None:
            sys.excepthook = self._previous
        if threading.excepthook == self._thread_hook and self._previous_thread is not None:
            threading.excepthook = self._previous_thread

    def _hook(self, exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):  # Ctrl+C in the terminal: quit as asked
            QApplication.quit()
            return
        self.report(exc_type, exc, tb)

    def _thread_hook(self, args) -> None:
        self.report(args.exc_type, args.exc_value, args.exc_traceback,
                    where=f" in thread {args.thread.name if args.thread else '?'}")

    def report(self, exc_type, exc, tb, where: str = "") -> None:
        self.count += 1
        log.error("uncaught exception%s", where, exc_info=(exc_type, exc, tb))
        summary = f"{exc_type.__name__}{where}: {exc}"
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        try:
            self.error.emit(summary, details)
        except Exception:  # the reporter itself must never fail
            print(details, file=sys.stderr)

    @Slot(str, str)
    def _show(self, summary: str, details: str) -> None:
        try:
            if self.dialog is not None and isValid(self.dialog) and self.dialog.isVisible():
                self.dialog.add_repeat(summary)
                return
            parent = self.parent_window if self.parent_window is not None and isValid(self.parent_window) else None
            self.dialog = ErrorDialog(summary, details, self.log_path, parent)
            self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.dialog.finished.connect(self._forget)
            self.dialog.open()  # window-modal, no nested event loop
            self.dialog_shown.emit(self.dialog)
        except Exception:  # never let showing an error raise another one (it would loop)
            print(f"{summary}\n{details}", file=sys.stderr)

    def _forget(self) -> None:
        self.dialog = None
