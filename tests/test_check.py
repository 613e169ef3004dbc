"""`teleop-studio check` exit codes: 0 valid, 1 invalid, 2 unreadable (run as a real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys

from app.dataset.features import make_features
from app.dataset.writer import DatasetWriter, Episode
from tests.dataset_helpers import JOINTS, joints


def _check(path):
    return subprocess.run([sys.executable, "-m", "app.cli", "check", str(path)], capture_output=True, text=True,
                          timeout=120)


def test_check_exit_codes(tmp_path, fixtures_dir):
    root = tmp_path / "ds"
    w = DatasetWriter.create(root, "me/c", 30, make_features(JOINTS, {}))
    action, state = joints(0, 5)
    w.add_episode(Episode("wave", {"action": action, "observation.state": state}))
    w.close()
    ok = _check(root)
    assert ok.returncode == 0 and "valid" in ok.stdout
    assert _check(fixtures_dir / "lerobot_so101_3ep").returncode == 0
    info = json.loads((root / "meta/info.json").read_text())
    info["total_frames"] = 7
    (root / "meta/info.json").write_text(json.dumps(info))
    bad = _check(root)
    assert bad.returncode == 1 and "total_frames" in bad.stdout
    assert _check(tmp_path / "nowhere").returncode == 2
    (root / "meta/info.json").write_text("{not json")
    unreadable = _check(root)
    assert unreadable.returncode == 2 and "Traceback" not in unreadable.stderr + unreadable.stdout
