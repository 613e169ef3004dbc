"""Real spools and datasets for the encoding tests: tiny frames, real files, real encodes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.dataset.features import make_features
from app.dataset.video import VideoSettings
from app.dataset.writer import DatasetWriter
from app.recording.spool import SpoolWriter
from app.rig.samples import FEATURE_NAMES

H, W, FPS = 48, 64, 10
CAMERAS = {"observation.images.front": (H, W), "observation.images.wrist": (H, W)}
X264 = VideoSettings(codec="libx264", crf=23, g=2, preset="ultrafast")


def make_dataset(root: Path, settings: VideoSettings = X264, cameras=CAMERAS) -> DatasetWriter:
    return DatasetWriter.create(root, repo_id="test/encode", fps=FPS,
                                features=make_features(list(FEATURE_NAMES), cameras), video=settings)


def record_take(root: Path, n: int, task: str = "pick the cube", seed: int = 0, cameras=CAMERAS):
    """A stopped take of n frames whose pixels and joints depend on the seed."""
    rng = np.random.default_rng(seed)
    w = SpoolWriter(root, task, FPS, cameras)
    for i in range(n):
        action = rng.normal(0, 10, 6).astype(np.float32)
        images = {}
        for k, (h, wd) in cameras.items():
            img = np.zeros((h, wd, 3), np.uint8)
            img[..., 0] = (seed * 40 + i * 8) % 256
            img[:, : (i * 3) % wd, 1] = 200
            images[k] = img
        w.append(i, i / FPS, action, action + 1, images)
    return w.stop()
