"""Journey 7: 200 quick dataset and episode switches in the window's Datasets panel while frames
load, then the window closes: no crash, and no background thread of the window is left running.
The journey runs in its own process (tests/journey_browser_run.py): a crash (it segfaulted in
video.frame_at before DatasetReader.close() became safe against concurrent reads) fails this test only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.dataset.writer import Episode
from tests.dataset_helpers import frames, joints
from tests.encoding_helpers import make_dataset

ROOT = Path(__file__).resolve().parent.parent


def small_dataset(root, n_episodes: int):
    w = make_dataset(root)
    for ep in range(n_episodes):
        action, state = joints(ep, 24)
        cams = [k for k in sorted(w.features) if k.startswith("observation.images.")]
        w.add_episode(Episode(task=f"task {ep % 2}", data={"action": action, "observation.state": state},
                              videos={k: frames(ep, 24, cam) for cam, k in enumerate(cams)}))
    w.close()
    return root


def test_200_dataset_and_episode_switches_while_frames_load(tmp_path):
    a, b = small_dataset(tmp_path / "a", 3), small_dataset(tmp_path / "b", 2)
    r = subprocess.run([sys.executable, "-m", "tests.journey_browser_run", str(a), str(b)], cwd=ROOT,
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 0 and r.stdout.startswith("ok"), (r.returncode, r.stdout[-2000:], r.stderr[-3000:])
    assert int(r.stdout.split("submitted=")[1]) >= 200
