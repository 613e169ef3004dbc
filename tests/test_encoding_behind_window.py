"""The window says how far encoding is behind while a take records (the studio model's "backlog"
event in the status bar): the real MainWindow on the simulated rig, driven with QTest."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.recording.session import State
from tests.journey_helpers import new_session, open_window, press, sim_rig


def test_the_status_bar_shows_the_takes_behind_and_the_encoding_left_while_recording(qtbot, tmp_path):
    rig = sim_rig()
    rig.start()
    try:
        window = open_window(qtbot, rig)
        studio, label = window.studio, window.status.backlog_label
        new_session(qtbot, window, tmp_path / "ds", episodes=3, episode_time_s=1.0, reset_time_s=60, batch=1)
        qtbot.waitUntil(lambda: studio.state == State.IDLE, timeout=10000)
        assert not label.isVisible()  # nothing recorded, nothing behind
        queue = studio.current.queue
        press(qtbot, window, Qt.Key.Key_Space)  # take 1 (1 s)
        qtbot.waitUntil(lambda: studio.state == State.RESET, timeout=10000)
        press(qtbot, window, Qt.Key.Key_Right)  # take 2: take 1 goes to the queue and is encoded
        qtbot.waitUntil(lambda: queue.counts()["done"] == 1, timeout=20000)
        assert queue.measured_speed  # the encoding left is estimated at this speed
        encoding = window.panels["encoding"]
        qtbot.mouseClick(encoding.pause_btn, Qt.MouseButton.LeftButton)  # the operator holds encoding
        assert queue.paused
        qtbot.waitUntil(lambda: studio.state == State.RESET, timeout=10000)
        press(qtbot, window, Qt.Key.Key_Right)  # take 3 records while take 2 waits
        assert studio.state == State.RECORDING
        # the model polls its queues: the estimate follows the take count within a poll or two
        qtbot.waitUntil(lambda: label.isVisible() and "encoding 1 take behind" in label.text()
                        and "of encoding left" in label.text(), timeout=5000)
        assert studio.state == State.RECORDING  # shown while the take records
        # the view shows the model's figure (a lost frame may add "waiting...": the next poll shows it)
        qtbot.waitUntil(lambda: label.text() == studio.backlog().text(), timeout=2000)
        # and the encoding panel says the same time left
        left = label.text().split("about ")[1].split(" of encoding left")[0]
        qtbot.waitUntil(lambda: f"about {left} to encode" in encoding.summary.text(), timeout=3000)
        qtbot.waitUntil(lambda: studio.state == State.DONE, timeout=10000)
        qtbot.mouseClick(encoding.pause_btn, Qt.MouseButton.LeftButton)  # resume: encoding catches up
        qtbot.waitUntil(lambda: not label.isVisible(), timeout=30000)
        assert queue.counts()["done"] == 3
    finally:
        rig.stop()
