"""Shared test set-up: offscreen Qt, throwaway user dirs, the lerobot-made fixtures in tests/fixtures."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_TMP = Path(tempfile.mkdtemp(prefix="teleop-studio-tests-"))
for _var, _sub in (("TELEOP_STUDIO_LOG_DIR", "log"), ("TELEOP_STUDIO_DATA_DIR", "data"),
                   ("TELEOP_STUDIO_CACHE_DIR", "cache"), ("TELEOP_STUDIO_CONFIG_DIR", "config")):
    os.environ[_var] = str(_TMP / _sub)
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ.setdefault("HF_HOME", str(_TMP / "hf_home"))

ROOT = Path(__file__).resolve().parent.parent


# Datasets written by lerobot 0.6.1 itself, with the values lerobot read back (tests/fixtures/README.md).
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Each test gets its own QSettings store, so no test sees another's remembered settings."""
    monkeypatch.setenv("TELEOP_STUDIO_SETTINGS", str(tmp_path / "settings.ini"))
    yield


@pytest.fixture(autouse=True)
def _normal_priority_after():
    """Tests that write clips with plain PyAV leave SVT-AV1's real-time priority (SCHED_FIFO 99, as
    root) on the thread that opened the encoder, the one running the suite: every later test would
    then preempt its own threads (app/cpu_priority.py). The studio's encoders undo it themselves."""
    yield
    from app.cpu_priority import undo_realtime

    if sys.platform.startswith("linux"):
        undo_realtime((os.SCHED_OTHER, 0))


def python_exe() -> str:
    return sys.executable
