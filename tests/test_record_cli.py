"""`teleop-studio record` as a process: refuses an existing root, survives SIGKILL, --resume recovers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.dataset.reader import DatasetReader
from app.dataset.validate import validate
from app.recording.spool import scan_spools

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--sim", "--repo-id", "user/test", "--task", "pick the cube", "--fps", "30", "--cameras", "2",
         "--width", "64", "--height", "48", "--vcodec", "h264"]


def record_cmd(root, *extra):
    return [sys.executable, "-m", "app", "--log-level", "WARNING", "record", "--root", str(root), *SMALL, *extra]


def run(root, *extra, timeout=60):
    return subprocess.run(record_cmd(root, *extra), cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})


def total_episodes(root) -> int:
    return DatasetReader(root).info["total_episodes"]


def test_records_and_refuses_existing_root_without_resume(tmp_path):
    root = tmp_path / "ds"
    r = run(root, "--episodes", "2", "--episode-time-s", "0.5", "--reset-time-s", "0.2")
    assert r.returncode == 0, r.stderr
    assert "2 episode(s) committed" in r.stdout
    assert total_episodes(root) == 2 and validate(root).ok
    r = run(root, "--episodes", "1", "--episode-time-s", "0.5", "--reset-time-s", "0")
    assert r.returncode == 2 and "already exists" in r.stderr and "--resume" in r.stderr
    assert "Traceback" not in r.stderr
    r = run(root, "--episodes", "1", "--episode-time-s", "0.5", "--reset-time-s", "0", "--resume")
    assert r.returncode == 0, r.stderr
    assert total_episodes(root) == 3 and validate(root).ok


def kill_when(root, marker: str, delay: float, *extra) -> list[str]:
    p = subprocess.Popen(record_cmd(root, *extra), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    lines = []
    try:
        for line in p.stdout:
            lines.append(line.strip())
            if marker in line:
                time.sleep(delay)
                break
        else:
            pytest.fail(f"never saw {marker!r}: {lines}")
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait(10)
    return lines


@pytest.mark.slow
def test_sigkill_mid_recording_then_resume(tmp_path):
    root = tmp_path / "ds"
    kill_when(root, "recording episode 2 of 3", 0.5,
              "--episodes", "3", "--episode-time-s", "1.5", "--reset-time-s", "0.3")
    left = scan_spools(root)
    assert any(not s.complete for s in left)            # the take being recorded when killed
    r = run(root, "--episodes", "1", "--episode-time-s", "0.5", "--reset-time-s", "0", "--resume")
    assert r.returncode == 0, r.stderr
    assert "interrupted take(s) recovered" in r.stdout
    # episode 1 (stopped) + episode 2 (cut at its last frame) + the new one
    assert total_episodes(root) == 3
    lengths = [e.length for e in DatasetReader(root).episodes]
    assert lengths[0] == 45 and 5 <= lengths[1] < 45 and lengths[2] == 15
    rep = validate(root)
    assert rep.ok, rep.lines()
    assert scan_spools(root) == []


@pytest.mark.slow
def test_sigkill_mid_reset_then_resume(tmp_path):
    root = tmp_path / "ds"
    kill_when(root, "reset (5 s) before episode 2", 0.3,
              "--episodes", "3", "--episode-time-s", "0.7", "--reset-time-s", "5")
    [held] = scan_spools(root)
    assert held.complete and held.length == 21          # the take finished just before the reset
    r = run(root, "--episodes", "1", "--episode-time-s", "0.5", "--reset-time-s", "0", "--resume")
    assert r.returncode == 0, r.stderr
    assert total_episodes(root) == 2
    assert [e.length for e in DatasetReader(root).episodes] == [21, 15]   # the held take, then the new one
    rep = validate(root)
    assert rep.ok, rep.lines()
    assert scan_spools(root) == []
