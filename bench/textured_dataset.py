"""A dataset with noisy, moving two-camera video (compresses like a real scene), for remote benches."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.dataset.features import make_features
from app.dataset.writer import DatasetWriter, Episode
from app.rig.samples import FEATURE_NAMES

CAMS = ("observation.images.front", "observation.images.wrist")


def write_textured_dataset(root: Path, repo_id: str, episodes: int, frames: int) -> Path:
    if (root / "meta/info.json").exists():
        return root
    print(f"writing {root} ({episodes} x {frames} frames, two 240x320 cameras) ...", flush=True)
    texture = np.random.default_rng(0).integers(0, 255, (480, 640, 3), np.uint8)
    w = DatasetWriter.create(root, repo_id, 30, make_features(list(FEATURE_NAMES), {c: (240, 320) for c in CAMS}))
    for e in range(episodes):
        t = np.arange(frames, dtype=np.float32)[:, None]
        state = (40 * np.sin(0.03 * t + np.arange(6) + e)).astype(np.float32)

        def cam(k):
            for i in range(frames):
                y, x = (3 * i + 40 * k + 17 * e) % 240, (5 * i + 60 * k) % 320
                yield np.ascontiguousarray(texture[y:y + 240, x:x + 320])
        w.add_episode(Episode(f"task {e % 2}", {"observation.state": state, "action": state + 0.5},
                              {c: cam(k) for k, c in enumerate(CAMS)}))
    w.close()
    return root
