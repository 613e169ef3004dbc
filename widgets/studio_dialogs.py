"""The window's lifecycle dialogs: the quit prompt (three answers, app/close_policy.py), the wait while
takes finish encoding before quitting, the start-up offer of takes an earlier run left, and
Help > Keyboard shortcuts. All are owned by the main window, which closes them when it closes."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from app.close_policy import ANSWERS, CANCEL, FINISH, LATER

log = logging.getLogger(__name__)


def ask_quit(window) -> str | None:
    """None when nothing is pending; else FINISH, LATER or CANCEL, as the operator answered."""
    pending = window.studio.pending()
    if pending.empty:
        return None
    box = QMessageBox(QMessageBox.Icon.Question, "Quit Teleop Studio?", "Work is still in progress.", parent=window)
    box.setObjectName("QuitPrompt")
    box.setInformativeText("\n".join(pending.lines()) + "\n\nNothing recorded is lost, whatever you answer.")
    buttons = {FINISH: box.addButton(ANSWERS[FINISH], QMessageBox.ButtonRole.AcceptRole),
               LATER: box.addButton(ANSWERS[LATER], QMessageBox.ButtonRole.DestructiveRole),
               CANCEL: box.addButton(ANSWERS[CANCEL], QMessageBox.ButtonRole.RejectRole)}
    box.setDefaultButton(buttons[FINISH])
    box.setEscapeButton(buttons[CANCEL])
    box.exec()
    return next((k for k, b in buttons.items() if b is box.clickedButton()), CANCEL)


class FinishingDialog(QDialog):
    """"Keep encoding, then quit": the take is already stopped; this waits (without blocking the
    event loop) until every dataset's queue is empty, then closes the window. "Quit now" leaves the
    rest for the next launch."""

    def __init__(self, window):
        super().__init__(window)
        self.setObjectName("FinishingDialog")
        self.setWindowTitle("Encoding before quitting")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.window_ = window
        self.label = QLabel("Encoding the takes not yet in their dataset…")
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.quit_now = QPushButton(ANSWERS[LATER])
        self.quit_now.clicked.connect(self._quit)
        lay = QVBoxLayout(self)
        lay.addWidget(self.label)
        lay.addWidget(self.bar)
        lay.addWidget(self.quit_now)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(150)

    def check(self) -> None:
        studio = self.window_.studio
        if studio.all_done():
            self._quit()
            return
        p = studio.pending()
        self.label.setText(f"Encoding {p.takes_waiting} take(s) before quitting: {p.finish_text()}")

    def _quit(self) -> None:
        self.timer.stop()
        self.window_.quit_confirmed = True
        QTimer.singleShot(0, self.window_.close)


def finish_then_quit(window) -> FinishingDialog:
    window.studio.finish_everything()  # the take is stopped and kept before anything else runs
    dialog = FinishingDialog(window)
    dialog.open()
    return dialog


def offer_leftovers(window) -> QMessageBox | None:
    """Start-up: takes an earlier run left outside their datasets, recovered in one click."""
    leftovers = window.studio.leftovers()
    if not leftovers:
        return None
    box = QMessageBox(QMessageBox.Icon.Information, "Takes waiting from an earlier run",
                      "Some recorded takes are not in their dataset yet (the studio was closed or stopped "
                      "before they were encoded).", parent=window)
    box.setObjectName("LeftoversOffer")
    box.setInformativeText("\n".join(left.line() for left in leftovers)
                           + "\n\nInterrupted takes are kept up to their last complete frame.")
    recover = box.addButton("Recover and encode them", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(recover)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def answered(button) -> None:
        if button is recover:
            problems = window.studio.finish_leftovers(leftovers)
            if problems:
                QMessageBox.warning(window, "Some takes could not be recovered", "\n".join(problems))

    box.buttonClicked.connect(answered)
    box.setWindowModality(Qt.WindowModality.NonModal)  # the operator may go on recording
    box.show()
    window.leftovers_offer = box
    return box


def show_shortcuts(window) -> QDialog:
    keys = []
    panel = window.panels.get("recording")
    if panel is not None and hasattr(panel, "key_list"):
        keys += panel.key_list()
    keys += [(window.quit_action.shortcut().toString(), "Quit"), ("Ctrl+P", "Pause the joint plot"),
             ("F1", "This list")]
    dialog = QDialog(window)
    dialog.setObjectName("ShortcutsDialog")
    dialog.setWindowTitle("Keyboard shortcuts")
    table = QTableWidget(len(keys), 2)
    table.setHorizontalHeaderLabels(["Key", "Does"])
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    for row, (key, text) in enumerate(keys):
        table.setItem(row, 0, QTableWidgetItem(key))
        table.setItem(row, 1, QTableWidgetItem(text))
    table.resizeColumnsToContents()
    note = QLabel("Recording keys work anywhere in the window. Remap them under [recording] keys/&lt;action&gt; "
                  "in the settings file.")
    note.setWordWrap(True)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.close)
    lay = QVBoxLayout(dialog)
    lay.addWidget(table)
    lay.addWidget(note)
    lay.addWidget(buttons)
    dialog.resize(420, 480)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
