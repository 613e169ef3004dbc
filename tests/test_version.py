"""`teleop-studio --version` and `teleop_studio.__version__`, looked up only when asked for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_version_on_the_command_line_and_in_the_api():
    out = subprocess.run([sys.executable, "-m", "app", "--version"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    import teleop_studio

    assert out.stdout.strip() == f"teleop-studio {teleop_studio.__version__}"
    assert teleop_studio.__version__.count(".") >= 2


def test_starting_a_command_does_not_read_package_metadata():
    # importlib.metadata's scan of the installed distributions costs ~40 ms at every command's start
    code = "import sys, app.cli; print('importlib.metadata' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
