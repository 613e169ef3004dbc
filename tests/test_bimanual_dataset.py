"""A bimanual dataset recorded on the simulated rig has the layout lerobot-record writes for
--robot.type=bi_so_follower: the lerobot-made fixture's features (names, order, shapes) and robot_type,
and it passes our validator. A single-pair rig cannot append to it."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from app.dataset.reader import DatasetReader
from app.dataset.validate import validate
from app.known_datasets import KnownDatasets
from app.recording.config import SessionConfig
from app.rig.rig import build_sim_rig
from app.rig.sim_bimanual import build_sim_bimanual_rig
from app.studio import Studio, StudioError
from tests.encoding_helpers import X264

FIXTURE = "lerobot_bi_so101_2ep"


def run_until(studio, pred, timeout=60.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        studio.poll()
        if pred():
            return True
        time.sleep(0.02)
    return False


def record(rig, root, tmp_path, episodes=2) -> None:
    studio = Studio(rig, known=KnownDatasets(tmp_path / "known.json"))
    done = []
    studio.subscribe(lambda e, d: done.append(d) if e == "session_committed" else None)
    studio.open_session(SessionConfig(root=root, repo_id="lab/bimanual", task="hand over the cube",
                                      episodes=episodes, episode_time_s=0.5, reset_time_s=0.1,
                                      video_encoding_batch_size=episodes), video=X264)
    studio.command("start")
    try:
        assert run_until(studio, lambda: bool(done)), "the session did not commit"
        assert done[0].committed == episodes
    finally:
        studio.shutdown()


def layout(features: dict) -> dict:
    """What must match lerobot's: per feature dtype, shape and names (not the codec's info)."""
    return {k: (v["dtype"], list(v["shape"]), v.get("names")) for k, v in features.items()}


def test_recorded_bimanual_dataset_matches_the_lerobot_fixture(qapp, tmp_path, fixtures_dir):
    expected = json.loads((fixtures_dir / f"{FIXTURE}.expected.json").read_text())
    h, w = expected["features"]["observation.images.top"]["shape"][:2]
    rig = build_sim_bimanual_rig(width=w, height=h, servos="thread")
    rig.start()
    root = tmp_path / "bimanual"
    try:
        record(rig, root, tmp_path)
    finally:
        rig.stop()
    report = validate(root)
    assert report.ok, report.errors
    r = DatasetReader(root)
    try:
        fixture = DatasetReader(fixtures_dir / FIXTURE)
        try:
            assert r.info["robot_type"] == fixture.info["robot_type"] == "bi_so_follower"
            assert list(r.features) == list(fixture.features)  # order included
            assert layout(r.features) == layout(fixture.features)
        finally:
            fixture.close()
        assert r.info["total_episodes"] == 2
        ep = r.episodes[0]
        table = r.read_episode(0, ["action", "observation.state"])
        action = np.asarray(table.column("action").to_pylist(), np.float32)
        state = np.asarray(table.column("observation.state").to_pylist(), np.float32)
        assert action.shape == state.shape == (ep.length, 12)
        assert not np.allclose(state[:, :6], state[:, 6:])  # two arms, each its own
        img = r.frame(0, "observation.images.right_wrist", ep.length - 1)
        assert img.shape == (h, w, 3)
    finally:
        r.close()
    # the studio refuses to append single-arm takes to a bimanual dataset (one line)
    single = build_sim_rig(n_cameras=1, width=w, height=h, servos="thread")
    studio = Studio(single, known=KnownDatasets(tmp_path / "known2.json"))
    with pytest.raises(StudioError, match="do not fit the dataset: action is 12 values in the dataset, the take would record 6"):
        studio.open_session(SessionConfig(root=root, repo_id="lab/bimanual", task="t", episodes=1,
                                          episode_time_s=0.5, cameras=["front"]))
    studio.shutdown()


def test_record_command_on_the_simulated_bimanual_rig(tmp_path, fixtures_dir):
    """`teleop-studio record --sim --bimanual` headless; resuming with the single-pair rig is refused."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    root = tmp_path / "ds"
    base = [sys.executable, "-m", "app", "--log-level", "WARNING", "record", "--root", str(root), "--sim",
            "--repo-id", "lab/bimanual", "--task", "hand over", "--width", "128", "--height", "96",
            "--vcodec", "h264", "--episodes", "1", "--episode-time-s", "0.5", "--reset-time-s", "0"]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run([*base, "--bimanual"], cwd=repo, capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert "1 episode(s) committed" in r.stdout
    fixture = DatasetReader(fixtures_dir / FIXTURE)
    ours = DatasetReader(root)
    try:
        assert ours.info["robot_type"] == "bi_so_follower" and layout(ours.features) == layout(fixture.features)
    finally:
        ours.close()
        fixture.close()
    r = subprocess.run([*base, "--resume", "--cameras", "3"], cwd=repo, capture_output=True, text=True,
                       timeout=120, env=env)
    assert r.returncode != 0 and "Traceback" not in r.stderr and "action is 12 values in the dataset, the take would record 6" in r.stderr
