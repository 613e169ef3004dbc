"""One session through the real window using every take control: re-record, exit early, trim,
trash and undo; then the dataset on disk holds exactly the takes kept, at their kept lengths."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.dataset.reader import DatasetReader
from app.dataset.validate import validate
from app.recording.health import read_health
from app.recording.session import State
from app.recording.spool import scan_spools
from tests.journey_helpers import new_session, open_window, press, push_offer_text, sim_rig


def test_rerecord_exit_early_trim_trash_undo(qtbot, tmp_path):
    rig = sim_rig()
    rig.start()
    try:
        window = open_window(qtbot, rig)
        studio, panel = window.studio, window.panels["recording"]
        root = tmp_path / "ds"
        new_session(qtbot, window, root, episodes=3, episode_time_s=1.0, reset_time_s=60, batch=1)
        qtbot.waitUntil(lambda: studio.state == State.IDLE, timeout=10000)
        s = studio.session
        press(qtbot, window, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: studio.state == State.RESET, timeout=10000)
        # the view follows the model's state change through a queued signal: wait for it on a loaded machine
        qtbot.waitUntil(lambda: "Reset the scene" in panel.state_label.text(), timeout=5000)
        assert panel.buttons["rerecord"].isEnabled()
        press(qtbot, window, Qt.Key.Key_Left)  # re-record the take just finished
        assert s.kept == 0
        qtbot.waitUntil(lambda: "discarded" in panel.health_label.text(), timeout=2000)
        press(qtbot, window, Qt.Key.Key_Right)  # record episode 1 again
        qtbot.waitUntil(lambda: studio.state == State.RESET and s.held_take() is not None, timeout=10000)
        assert s.held_take().wait(5)
        qtbot.waitUntil(panel.trim_button.isEnabled, timeout=2000)  # the view caught up with the model
        panel.head.setValue(0.1)
        panel.tail.setValue(0.2)
        qtbot.mouseClick(panel.trim_button, Qt.MouseButton.LeftButton)  # 30 frames -> 30 - 3 - 6
        assert "trimmed" in panel.health_label.text()
        press(qtbot, window, Qt.Key.Key_Right)  # episode 2
        assert studio.state == State.RECORDING
        qtbot.waitUntil(lambda: s.elapsed() >= 0.3, timeout=10000)
        qtbot.mouseClick(panel.buttons["exit_early"], Qt.MouseButton.LeftButton)
        assert studio.state == State.RESET and s.kept == 2
        early = s.held_take()
        assert early.wait(5)
        qtbot.waitUntil(panel.trash_button.isEnabled, timeout=2000)
        qtbot.mouseClick(panel.trash_button, Qt.MouseButton.LeftButton)
        assert s.kept == 1 and panel.undo_button.isEnabled()
        qtbot.mouseClick(panel.undo_button, Qt.MouseButton.LeftButton)  # it counts (and is queued) again
        assert s.kept == 2 and not panel.undo_button.isEnabled()
        press(qtbot, window, Qt.Key.Key_Right)  # episode 3 runs to its time limit: the session is done
        qtbot.waitUntil(lambda: studio.state == State.DONE, timeout=10000)
        qtbot.waitUntil(lambda: "3 episode(s)" in push_offer_text(window), timeout=60000)
        lengths = [e.length for e in DatasetReader(root).episodes]
        assert lengths[0] == 21 and lengths[1] == early.health.frames and 5 <= lengths[1] < 30 and lengths[2] == 30
        assert validate(root).ok and scan_spools(root) == []
        health = read_health(root)  # one record per take in the dataset, the restored one included
        assert len(health) == 3 and health[1]["health"]["frames"] == early.health.frames
    finally:
        rig.stop()
