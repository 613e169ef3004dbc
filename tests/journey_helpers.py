"""Driving the real MainWindow as a teleoperator would (offscreen, QTest clicks and keys) for the
journey tests: small sims (one 64x48 camera), H.264, short takes."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QMessageBox
from shiboken6 import isValid

from app.rig.rig import build_sim_rig
from widgets.main_window import MainWindow


def sim_rig():
    return build_sim_rig(n_cameras=1, width=64, height=48, fps=30)


@pytest.fixture
def rig():
    """The simulated rig, running (a journey module imports this fixture)."""
    rig = sim_rig()
    rig.start()
    yield rig
    rig.stop()


def episodes(root) -> int:
    from app.dataset.reader import DatasetReader

    return DatasetReader(root).info["total_episodes"]


def open_window(qtbot, rig, launch=None) -> MainWindow:
    window = MainWindow(rig)
    window.launch_config = launch
    qtbot.addWidget(window, before_close_func=lambda w: setattr(w, "quit_confirmed", True))
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: bool(window.panels), timeout=10000)
    window.activateWindow()
    return window


def when_modal(qtbot, act, timeout_ms: int = 10000, kind=QDialog) -> None:
    """Run act(dialog) on the next modal dialog of `kind` that opens (the way a user answers it)."""
    waited = {"ms": 0}

    def poll():
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, kind):
            waited["ms"] += 20
            if waited["ms"] < timeout_ms:
                QTimer.singleShot(20, poll)
            return
        try:
            act(dlg)
        finally:
            if dlg.isVisible() and isinstance(dlg, QDialog) and not isinstance(dlg, QMessageBox):
                dlg.reject()  # a failed step must not leave the test hanging in exec()

    QTimer.singleShot(0, poll)


def click_button(qtbot, box: QMessageBox, text: str) -> None:
    button = next(b for b in box.buttons() if b.text().replace("&&", "&") == text.replace("&&", "&"))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def new_session(qtbot, window, root: Path, repo_id="lab/cubes", task="pick the cube", episodes=3,
                episode_time_s=0.5, reset_time_s=0.2, batch=1, codec="h264") -> None:
    """New session… in the Recording dock, the dialog filled and accepted."""
    panel = window.panels["recording"]

    def fill(dlg):
        dlg.root.setText(str(root))
        dlg.repo_id.setText(repo_id)
        dlg.task.setText(task)
        dlg.episodes.setValue(episodes)
        dlg.episode_time.setValue(episode_time_s)
        dlg.reset_time.setValue(reset_time_s)
        dlg.batch.setValue(batch)
        if dlg.codec.isEnabled():
            dlg.codec.setCurrentIndex(dlg.codec.findData(codec))
        ok = dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    from widgets.session_dialog import SessionDialog

    qtbot.waitUntil(panel.new_button.isEnabled, timeout=10000)  # the view has caught up with the model
    when_modal(qtbot, fill, kind=SessionDialog)
    qtbot.mouseClick(panel.new_button, Qt.MouseButton.LeftButton)


def press(qtbot, window, key) -> None:
    """A key pressed in the window. The offscreen platform has no window manager to give the main
    window back its activation when a dialog closes, as a desktop does: do it here."""
    if QApplication.activeWindow() is not window:
        window.activateWindow()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            QApplication.setActiveWindow(window)
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(QApplication.focusWidget() or window, key)


def visible_dialogs() -> list:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]


def push_offer_text(window) -> str:
    """The text of the end-of-session push offer on screen, "" when there is none."""
    box = getattr(window, "push_offer", None)
    return box.text() if box is not None and isValid(box) and box.isVisible() else ""
