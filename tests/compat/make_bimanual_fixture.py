"""Writes tests/fixtures/lerobot_bi_so101_2ep with lerobot 0.6.1 itself, as lerobot-record would for
`--robot.type=bi_so_follower` with one top-level camera "top" and one per-arm camera "wrist" on each arm.

Run in the `make compat` venv (Python 3.12, lerobot 0.6.1):
    PYTHONHASHSEED=0 python tests/compat/make_bimanual_fixture.py tests/fixtures
Features are built exactly as lerobot_record.py builds them (default processors, combine_feature_dicts).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from lerobot.cameras.opencv import OpenCVCameraConfig
from lerobot.datasets import LeRobotDataset, aggregate_pipeline_dataset_features, create_initial_features
from lerobot.processor import make_default_processors
from lerobot.robots.bi_so_follower import BiSOFollower, BiSOFollowerConfig
from lerobot.robots.so_follower import SOFollowerConfig
from lerobot.utils.feature_utils import combine_feature_dicts

H, W, FPS = 96, 128, 30
LENGTHS = (20, 25)


def robot() -> BiSOFollower:
    cam = OpenCVCameraConfig(index_or_path=0, width=W, height=H, fps=FPS)
    cfg = BiSOFollowerConfig(
        id="bimanual",
        left_arm_config=SOFollowerConfig(port="/dev/null-left", cameras={"wrist": cam}),
        right_arm_config=SOFollowerConfig(port="/dev/null-right", cameras={"wrist": cam}),
        cameras={"top": cam},
    )
    return BiSOFollower(cfg)


def main(out_dir: Path) -> None:
    r = robot()
    t, _, o = make_default_processors()
    features = combine_feature_dicts(
        aggregate_pipeline_dataset_features(pipeline=t, initial_features=create_initial_features(
            action=r.action_features), use_videos=True),
        aggregate_pipeline_dataset_features(pipeline=o, initial_features=create_initial_features(
            observation=r.observation_features), use_videos=True),
    )
    root = out_dir / "lerobot_bi_so101_2ep"
    ds = LeRobotDataset.create("fixtures/bi_so101_2ep", FPS, root=root, robot_type=r.name,
                               features=features, use_videos=True)
    joints = features["action"]["names"]
    cams = [k for k, v in features.items() if v["dtype"] == "video"]
    for ep, n in enumerate(LENGTHS):
        for i in range(n):
            state = np.array([30 * np.sin(0.1 * i + k + ep) for k in range(len(joints))], dtype=np.float32)
            frame = {"observation.state": state, "action": state + np.float32(0.5), "task": "hand over the cube"}
            for c, key in enumerate(cams):
                img = np.full((H, W, 3), (40 + 40 * c, 60 * ep % 255, 0), dtype=np.uint8)
                img[(2 * i) % (H - 16):(2 * i) % (H - 16) + 16, (5 * i) % (W - 16):(5 * i) % (W - 16) + 16] = 230
                frame[key] = img
            ds.add_frame(frame)
        ds.save_episode()
    ds.finalize()
    expected = {"lerobot_version": "0.6.1", "repo_id": "fixtures/bi_so101_2ep", "robot_type": r.name,
                "fps": FPS, "lengths": list(LENGTHS),
                "features": {k: {"dtype": v["dtype"], "shape": list(v["shape"]), "names": v.get("names")}
                             for k, v in ds.meta.features.items()}}
    (out_dir / "lerobot_bi_so101_2ep.expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    print("wrote", root)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
