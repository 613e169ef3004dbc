"""Journey 8, the lab launcher: `teleop-studio [--sim] --root DIR --repo-id ID --task TEXT ...` opens
the window with that session ready to Start (Space); same flags, defaults and refusals as `record`;
an existing dataset at --root is appended to."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt

from app.cli import build_parser
from app.commands.record import session_config
from app.dataset.reader import DatasetReader
from app.recording.session import State
from tests.journey_helpers import open_window, press, push_offer_text, rig, sim_rig  # noqa: F401 (rig is a fixture)

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ["--repo-id", "lab/station1", "--task", "pick the cube"]


def launch(*args):
    return subprocess.run([sys.executable, "-m", "app", "--log-level", "WARNING", "--sim", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})


def test_refusals_are_one_clear_line(tmp_path):
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_text("x")
    cases = [(["--root", str(tmp_path / "a_file"), *FLAGS], "is a file"),
             (["--root", str(tmp_path / "photos"), *FLAGS], "holds no dataset"),
             (["--root", str(tmp_path / "new"), "--repo-id", "nouser", "--task", "x"], "USER/NAME"),
             (["--root", str(tmp_path / "new"), *FLAGS, "--episodes", "0"], "at least 1"),
             (["--root", str(tmp_path / "new"), "--repo-id", "lab/x"], "needs --task")]
    for args, needle in cases:
        r = launch(*args)
        assert r.returncode == 2 and needle in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "new").exists() and (tmp_path / "photos" / "cat.jpg").exists()


def test_same_defaults_as_record():
    parser = build_parser()
    window = parser.parse_args(["--root", "ds", *FLAGS])
    record = parser.parse_args(["record", "--root", "ds", *FLAGS])
    for name in ("episodes", "episode_time_s", "reset_time_s", "fps", "video_encoding_batch_size"):
        assert getattr(window, name) == getattr(record, name), name


def test_launcher_opens_ready_to_start_and_appends(qtbot, rig, tmp_path):
    root = tmp_path / "station1"
    for run, expected in ((1, 2), (2, 4)):
        args = build_parser().parse_args(["--sim", "--root", str(root), *FLAGS, "--episodes", "2",
                                          "--episode-time-s", "0.4", "--reset-time-s", "0.1"])
        cfg, problem = session_config(args, resume=None)
        assert problem == ""
        window = open_window(qtbot, rig, launch=cfg)
        panel = window.panels["recording"]
        qtbot.waitUntil(lambda: window.studio.state == State.IDLE, timeout=10000)
        assert panel.state_label.text() == "Ready to record" and "lab/station1" in panel.dataset_label.text()
        press(qtbot, window, Qt.Key.Key_Space)
        assert window.studio.state == State.RECORDING
        qtbot.waitUntil(lambda: f"{expected} episode(s)" in push_offer_text(window), timeout=60000)
        assert DatasetReader(root).info["total_episodes"] == expected
        window.close()
        assert not window.isVisible()
