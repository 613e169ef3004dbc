"""A lab-scale dataset written by lerobot 0.6.1 itself: 300 episodes, two cameras, rolled-over files.

Issue 20's lab-scale review figures are measured on it (bench/hub_scrub.py --lab). lerobot writes
it as lerobot-record would for an SO-101 follower with two cameras; small file size limits make it
roll over into ~19 data files and ~10 video files per camera, as a long lab recording does with
lerobot's default limits (100 MB / 200 MB) and real camera frames. Frames are 96x128 so it builds in
a few minutes; each is a crop of a fixed textured scene, panned, plus sensor noise (camera-like
compressibility without bench/camera_like.py, which needs the studio's own packages).

Run with the `make compat` venv's python (lerobot 0.6.1), not the studio's:
    /root/.cache/teleop-studio/lerobot-compat-venv/bin/python bench/lerobot_lab_dataset.py OUT_DIR
Writes OUT_DIR/lerobot_lab_300ep (replaced if present) and prints its file counts.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np

H, W, FPS = 96, 128, 30
NAME = "lerobot_lab_300ep"
REPO = "bench/lab_300ep"
JOINTS = [f"{j}.pos" for j in ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll",
                                "gripper")]
CAMERAS = ("front", "wrist")
TASKS = ("pick up the cube", "place the cube in the bowl", "open the drawer")


def features() -> dict:
    f = {"action": {"dtype": "float32", "shape": (len(JOINTS),), "names": JOINTS},
         "observation.state": {"dtype": "float32", "shape": (len(JOINTS),), "names": JOINTS}}
    for c in CAMERAS:
        f[f"observation.images.{c}"] = {"dtype": "video", "shape": (H, W, 3),
                                        "names": ["height", "width", "channels"]}
    return f


def scene(seed: int) -> np.ndarray:
    """A textured 3x larger picture: smoothed noise at a few scales, like a cluttered bench."""
    rng = np.random.default_rng(seed)
    out = np.zeros((3 * H, 3 * W, 3), np.float32)
    for cell in (4, 12, 32):
        small = rng.random((3 * H // cell + 1, 3 * W // cell + 1, 3), dtype=np.float32)
        out += np.kron(small, np.ones((cell, cell, 1), np.float32))[:3 * H, :3 * W] * (cell / 48)
    return np.clip(out / out.max() * 255, 0, 255).astype(np.uint8)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--episodes", type=int, default=300)
    ap.add_argument("--data-mb", type=float, default=0.1, help="lerobot's data_files_size_in_mb")
    ap.add_argument("--video-mb", type=float, default=1.0, help="lerobot's video_files_size_in_mb")
    args = ap.parse_args(argv)
    from lerobot.datasets import LeRobotDataset

    root = args.out / NAME
    if root.exists():
        shutil.rmtree(root)
    ds = LeRobotDataset.create(REPO, FPS, root=root, robot_type="so101_follower", features=features(),
                               use_videos=True, data_files_size_in_mb=args.data_mb,
                               video_files_size_in_mb=args.video_mb)
    rng = np.random.default_rng(0)
    scenes = [scene(s) for s in range(len(CAMERAS))]
    for ep in range(args.episodes):
        n = int(rng.integers(45, 76))
        for i in range(n):
            state = np.array([30 * np.sin(0.05 * i + k + 0.3 * ep) for k in range(len(JOINTS))], np.float32)
            frame = {"observation.state": state, "action": state + np.float32(0.5), "task": TASKS[ep % 3]}
            for c, sc in zip(CAMERAS, scenes):
                y = int(H + H * 0.8 * np.sin(0.02 * (i + 7 * ep)))
                x = int(W + W * 0.8 * np.cos(0.015 * (i + 11 * ep)))
                img = sc[y:y + H, x:x + W].astype(np.int16) + rng.normal(0, 3, (H, W, 3)).astype(np.int16)
                frame[f"observation.images.{c}"] = np.clip(img, 0, 255).astype(np.uint8)
            ds.add_frame(frame)
        ds.save_episode()
    ds.finalize()
    data = sorted(root.glob("data/*/*.parquet"))
    print(f"wrote {root}: {args.episodes} episodes, {len(data)} data files, " + ", ".join(
        f"{len(list(root.glob(f'videos/observation.images.{c}/*/*.mp4')))} {c} video files" for c in CAMERAS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
