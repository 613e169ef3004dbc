"""`teleop-studio record` with a lerobot-record command line from lerobot's documentation: records from the
simulated servo buses' ports and a video file as the camera; a silent port or a missing camera is named
and nothing is written."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_rig_file_camera import write_av1_clip
from tests.test_rig_lerobot_flags import docs_args, sim_buses_with_calibration

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def sim_ports(tmp_path, monkeypatch):
    yield from sim_buses_with_calibration(tmp_path, monkeypatch)


def record_process(tmp_path, argv, timeout=120):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HF_LEROBOT_CALIBRATION": str(tmp_path / "cal")}
    return subprocess.run([sys.executable, "-m", "app", "--log-level", "WARNING", "record", *argv], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout, env=env)


def test_lerobot_record_command_line_records_from_sim_bus_ports_and_a_file_camera(tmp_path, sim_ports):
    from app.dataset.reader import DatasetReader
    from app.dataset.validate import validate

    clip = write_av1_clip(tmp_path / "scene.mp4")
    r = record_process(tmp_path, docs_args(tmp_path, sim_ports["follower"].port, sim_ports["leader"].port, clip))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 episode(s) committed" in r.stdout
    root = tmp_path / "ds"
    assert validate(root).ok
    reader = DatasetReader(root)
    assert reader.info["total_episodes"] == 2 and reader.video_keys == ["observation.images.front"]
    assert reader.frame_shape("observation.images.front") == (48, 64, 3)
    assert reader.tasks == ["Grab the black cube"]


def test_lerobot_record_command_line_with_a_missing_port_or_camera_writes_nothing(tmp_path, sim_ports):
    clip = write_av1_clip(tmp_path / "scene.mp4")
    gone = tmp_path / "ttyUSB9"
    r = record_process(tmp_path, docs_args(tmp_path, str(gone), sim_ports["leader"].port, clip))
    assert r.returncode == 2, r.stderr
    assert f"follower arm on {gone} (--robot.port): follower: cannot open {gone}" in r.stderr
    r = record_process(tmp_path, docs_args(tmp_path, sim_ports["follower"].port, sim_ports["leader"].port,
                                           tmp_path / "none.mp4"))
    assert r.returncode == 2 and "camera 'front' cannot be opened" in r.stderr and "none.mp4" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "ds").exists()
