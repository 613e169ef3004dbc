"""Replay button of the Datasets panel, in the real window on the simulated rig: an episode plays on
the follower and the arm ends at its last action; Esc stops a replay midway with the pose held; an
episode with twelve joints is refused on a six-joint rig with replay.py's one line; a take recording
refuses it."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt

from app.dataset.features import make_features
from app.dataset.writer import DatasetWriter, Episode
from app.recording.session import State
from app.rig.samples import FEATURE_NAMES
from tests.journey_helpers import new_session, open_window, press, sim_rig

FPS = 30
END = np.array([30.0, -25.0, 20.0, 15.0, -30.0, 80.0])


def write_dataset(root, n_frames: int, names=FEATURE_NAMES, end=END):
    w = DatasetWriter.create(root, repo_id="lab/replay", fps=FPS, features=make_features(list(names), {}))
    s = (1 - np.cos(np.linspace(0, np.pi, n_frames)))[:, None] / 2
    a = (s * end).astype(np.float32)  # from zero to `end`, smoothly
    w.add_episode(Episode(task="wave", data={"action": a, "observation.state": a}))
    w.close()
    return root


def open_in_browser(qtbot, window, root):
    window.docks["datasets"].show()
    window.docks["datasets"].raise_()
    browser = window.panels["datasets"]
    browser.open_local(str(root))
    qtbot.waitUntil(lambda: browser.local_root == root and browser.current == 0, timeout=10000)
    return browser


def test_replay_button_plays_the_episode_and_esc_stops_one(qtbot, tmp_path):
    rig = sim_rig()
    rig.start()
    try:
        window = open_window(qtbot, rig)
        qtbot.waitUntil(lambda: rig.follower.connected, timeout=10000)
        browser = open_in_browser(qtbot, window, write_dataset(tmp_path / "short", 45))
        control = browser.replay
        seen = []
        qtbot.mouseClick(control.button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: control.running(), timeout=10000)
        qtbot.waitUntil(lambda: seen.append(control.label.text()) or not control.running(), timeout=10000)
        assert any(t.startswith("Replaying episode 0: ") and "/45" in t for t in seen), seen
        qtbot.waitUntil(lambda: "Replayed episode 0: 45/45" in control.label.text(), timeout=5000)
        time.sleep(0.4)  # the servos close the last gap
        pose = np.asarray(rig.follower.read_positions(), np.float64)
        assert np.abs(pose - END).max() < 2.0, pose  # the episode's last action
        assert rig.teleop._thread is None or not rig.teleop._thread.is_alive()  # holds: the leader does not drive it
        assert control.resume_button.isVisible()

        # a long episode, stopped with Esc midway: the arm holds where it is, torque on
        browser = open_in_browser(qtbot, window, write_dataset(tmp_path / "long", 300, end=-END))
        qtbot.mouseClick(control.button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: control.running() and control.replay.index > 10, timeout=10000)
        press(qtbot, window, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: not control.running(), timeout=3000)
        r = control.replay
        assert r.stopped and 10 < r.index < 300 and r.error is None
        qtbot.waitUntil(lambda: "stopped at" in control.label.text(), timeout=3000)
        time.sleep(0.3)
        held = np.asarray(rig.follower.read_positions(), np.float64)
        time.sleep(0.3)
        assert np.abs(np.asarray(rig.follower.read_positions(), np.float64) - held).max() < 1.0
        assert np.abs(held - (-END)).max() > 5  # stopped before the end

        # twelve joints on a six-joint follower: replay.py's line, no traceback
        names12 = [f"left_{n}" for n in FEATURE_NAMES] + [f"right_{n}" for n in FEATURE_NAMES]
        open_in_browser(qtbot, window, write_dataset(tmp_path / "bi", 10, names12, np.tile(END, 2)))
        qtbot.mouseClick(control.button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "Cannot replay" in control.label.text(), timeout=10000)
        assert "12 joints" in control.label.text() and "Traceback" not in control.label.text()
        assert not control.running()

        # back to teleoperation, then a take recording refuses a replay
        qtbot.mouseClick(control.resume_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: rig.teleop._thread is not None and rig.teleop._thread.is_alive(), timeout=3000)
        new_session(qtbot, window, tmp_path / "takes", episodes=1, episode_time_s=30, reset_time_s=1)
        qtbot.waitUntil(lambda: window.studio.state == State.IDLE, timeout=10000)
        press(qtbot, window, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: window.studio.state == State.RECORDING, timeout=10000)
        control.label.setText("")
        qtbot.mouseClick(control.button, Qt.MouseButton.LeftButton)
        assert "Not while a take is recording" in control.label.text() and not control.running()
    finally:
        rig.stop()
