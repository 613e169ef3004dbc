"""Quitting the real window mid-take, with each of the three answers; kill -9 mid-take and the
next launch's one-click offer. Nothing recorded is lost on any answer; no dialog outlives the window."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.close_policy import ANSWERS, CANCEL, FINISH, LATER
from app.dataset.reader import DatasetReader
from app.dataset.validate import validate
from app.recording.session import State
from app.recording.spool import scan_spools
from tests.journey_helpers import (  # noqa: F401 (rig is a fixture)
    click_button,
    episodes,
    new_session,
    open_window,
    press,
    rig,
    sim_rig,
    visible_dialogs,
    when_modal,
)

ROOT = Path(__file__).resolve().parent.parent


def recording_with_one_take_waiting(qtbot, window, root):
    """Take 1 recorded and waiting for its batch, take 2 being recorded (only the quit ends it)."""
    studio = window.studio
    new_session(qtbot, window, root, episodes=5, episode_time_s=60, reset_time_s=0.1, batch=3)
    qtbot.waitUntil(lambda: studio.state == State.IDLE, timeout=10000)
    press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: studio.session.elapsed() >= 0.3, timeout=10000)
    press(qtbot, window, Qt.Key.Key_Right)  # take 1 kept; take 2 starts after the 0.1 s reset
    qtbot.waitUntil(lambda: studio.session.kept == 1 and studio.state == State.RECORDING, timeout=20000)
    qtbot.waitUntil(lambda: studio.current.queue.counts()["pending"] == 1, timeout=10000)


@pytest.mark.parametrize("answer", [FINISH, LATER, CANCEL])
def test_quit_mid_take(qtbot, rig, tmp_path, answer):
    window = open_window(qtbot, rig)
    studio = window.studio
    root = tmp_path / "ds"
    recording_with_one_take_waiting(qtbot, window, root)
    qtbot.wait(300)
    prompt = {}

    def reply(box):
        prompt["text"] = box.informativeText()
        click_button(qtbot, box, ANSWERS[answer])

    when_modal(qtbot, reply)
    window.close()
    assert "Recording now: episode 2 of 5" in prompt["text"] and "1 take(s) not encoded" in prompt["text"]
    if answer == CANCEL:
        assert window.isVisible() and studio.state == State.RECORDING  # nothing changed
        press(qtbot, window, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: episodes(root) == 2, timeout=60000)
        return
    assert studio.state in (None, State.DONE)  # the take was stopped before anything else ran
    if answer == FINISH:
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=60000)
        assert episodes(root) == 2 and scan_spools(root) == []
    else:
        assert not window.isVisible()
        left = scan_spools(root)
        assert episodes(root) + len(left) == 2 and all(s.complete for s in left)
    assert visible_dialogs() == [] and not studio.datasets
    assert validate(root).ok
    if answer == LATER:  # the next launch offers what was left, and one click commits it
        again = open_window(qtbot, rig)
        qtbot.waitUntil(lambda: getattr(again, "leftovers_offer", None) is not None, timeout=5000)
        if scan_spools(root):
            assert "not encoded yet" in again.leftovers_offer.informativeText()
            click_button(qtbot, again.leftovers_offer, "Recover and encode them")
        qtbot.waitUntil(lambda: episodes(root) == 2 and not scan_spools(root), timeout=60000)
        qtbot.waitUntil(lambda: not again.studio.datasets, timeout=10000)  # released once done


def record_cmd(root):
    return [sys.executable, "-m", "app", "--log-level", "WARNING", "record", "--sim", "--root", str(root),
            "--repo-id", "lab/killed", "--task", "pick the cube", "--cameras", "1", "--width", "64",
            "--height", "48", "--vcodec", "h264", "--episodes", "3", "--episode-time-s", "1.0",
            "--reset-time-s", "0.2"]


def test_kill_minus_nine_mid_take_then_relaunch_offers_it(qtbot, rig, tmp_path):
    root = tmp_path / "ds"
    p = subprocess.Popen(record_cmd(root), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    try:
        for line in p.stdout:
            if "recording episode 2 of 3" in line:
                break
        qtbot.wait(500)
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait(10)
    assert any(not s.complete for s in scan_spools(root))  # the take being recorded when killed
    window = open_window(qtbot, rig)
    qtbot.waitUntil(lambda: getattr(window, "leftovers_offer", None) is not None, timeout=5000)
    offer = window.leftovers_offer
    assert "lab/killed" in offer.informativeText() and "interrupted take" in offer.informativeText()
    click_button(qtbot, offer, "Recover and encode them")
    qtbot.waitUntil(lambda: not scan_spools(root) and not window.studio.datasets, timeout=60000)
    lengths = [e.length for e in DatasetReader(root).episodes]
    assert len(lengths) == 2 and lengths[0] == 30 and 5 <= lengths[1] < 30
    assert validate(root).ok
