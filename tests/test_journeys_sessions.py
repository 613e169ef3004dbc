"""Journeys through the real window: batches flushed at session end, a second session on the same
folder, switching datasets with takes still waiting. Everything is asserted on disk; nothing is
flushed by hand (the studio model does it, as for `teleop-studio record`)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.dataset.validate import validate
from app.recording.session import State
from app.recording.spool import scan_spools
from tests.journey_helpers import episodes, new_session, open_window, press, push_offer_text, rig, sim_rig  # noqa: F401 (rig is a fixture)


def test_batch_of_two_three_episodes_end_session_commits_all_and_offers_them(qtbot, rig, tmp_path):
    window = open_window(qtbot, rig)
    studio, panel = window.studio, window.panels["recording"]
    root = tmp_path / "cubes"
    new_session(qtbot, window, root, episodes=3, episode_time_s=0.6, reset_time_s=0.2, batch=2)
    qtbot.waitUntil(lambda: studio.session is not None, timeout=10000)
    assert panel.state_label.text() == "Ready to record" and "Space" in panel.hint_label.text()
    press(qtbot, window, Qt.Key.Key_Space)
    assert studio.state == State.RECORDING
    qtbot.waitUntil(lambda: studio.session.kept == 2 and studio.state == State.RECORDING, timeout=20000)
    qtbot.wait(200)
    press(qtbot, window, Qt.Key.Key_Escape)  # End session: the third take is kept
    assert studio.state == State.DONE
    qtbot.waitUntil(lambda: push_offer_text(window) != "", timeout=60000)
    assert episodes(root) == 3 and "3 episode(s)" in push_offer_text(window)
    q = studio.current.queue
    assert q.counts()["pending"] == 0 and q.counts()["done"] == 3 and not q.has_work()
    assert scan_spools(root) == [] and validate(root).ok
    assert "3 episode(s) in the dataset" in panel.hint_label.text()
    window.push_offer.close()

    # a second session on the same folder appends (the writer of the first was handed back)
    new_session(qtbot, window, root, episodes=1, episode_time_s=0.4, reset_time_s=0, batch=2)
    qtbot.waitUntil(lambda: studio.state == State.IDLE, timeout=10000)
    assert "Cannot record" not in panel.warning_label.text()
    press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: "4 episode(s)" in push_offer_text(window), timeout=60000)
    assert episodes(root) == 4 and validate(root).ok


def test_switch_a_b_a_with_takes_waiting_in_a(qtbot, rig, tmp_path):
    window = open_window(qtbot, rig)
    studio = window.studio
    a, b = tmp_path / "a", tmp_path / "b"
    new_session(qtbot, window, a, repo_id="lab/a", episodes=5, episode_time_s=0.4, reset_time_s=0.1, batch=5)
    qtbot.waitUntil(lambda: studio.state == State.IDLE, timeout=10000)
    press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: studio.session.kept == 2 and studio.state == State.RECORDING, timeout=20000)
    qtbot.wait(150)
    press(qtbot, window, Qt.Key.Key_Escape)  # 3 takes kept, all waiting for a batch of 5
    assert studio.session.kept == 3
    new_session(qtbot, window, b, repo_id="lab/b", episodes=1, episode_time_s=0.4, reset_time_s=0)
    qtbot.waitUntil(lambda: studio.config is not None and studio.config.repo_id == "lab/b", timeout=10000)
    press(qtbot, window, Qt.Key.Key_Space)
    # back to A at once, while A's takes may still be encoding in the background
    qtbot.waitUntil(lambda: studio.state == State.DONE, timeout=20000)
    new_session(qtbot, window, a, repo_id="lab/a", episodes=1, episode_time_s=0.4, reset_time_s=0, batch=5)
    qtbot.waitUntil(lambda: studio.config is not None and studio.config.repo_id == "lab/a", timeout=10000)
    assert "Cannot record" not in window.panels["recording"].warning_label.text()
    press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: "lab/a" in push_offer_text(window), timeout=60000)
    assert episodes(a) == 4 and episodes(b) == 1
    assert scan_spools(a) == [] and scan_spools(b) == []
    assert validate(a).ok and validate(b).ok
    qtbot.waitUntil(lambda: list(studio.datasets) == [a.resolve()], timeout=10000)  # B was closed once done
