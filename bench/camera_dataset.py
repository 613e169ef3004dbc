"""A two-camera 640x480 dataset whose video compresses like a real robot camera's, for bench/stream.py.

Each camera looks at a textured scene (detail at several scales, a few hard edges) through a hand-held
path: a slow pan plus shake at 0.7-4 Hz with a little roll, resampled sub-pixel, with sensor noise of
sigma 3 levels added to every frame. Written by our DatasetWriter (AV1, lerobot's settings). Kept
between runs under the folder it is given.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from app.dataset.features import make_features
from app.dataset.writer import DatasetWriter, Episode
from app.rig.samples import FEATURE_NAMES

CAMS = ("observation.images.front", "observation.images.wrist")
H, W = 480, 640
NOISE_SIGMA = 3.0


def scene(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Smooth shading plus finer and finer texture, and some rectangles: a table top with things on it."""
    img = np.zeros((h, w, 3), np.float32)
    for cells, weight in ((4, 90), (16, 45), (64, 25), (256, 12)):
        small = rng.random((max(2, h * cells // w), cells, 3), dtype=np.float32)
        img += weight * cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    for _ in range(25):
        x, y = int(rng.integers(0, w - 80)), int(rng.integers(0, h - 80))
        colour = [float(c) for c in rng.integers(0, 255, 3)]
        cv2.rectangle(img, (x, y), (x + int(rng.integers(20, 120)), y + int(rng.integers(20, 120))), colour, -1)
    return np.clip(img * (255.0 / max(1.0, float(img.max()))), 0, 255).astype(np.uint8)


def camera_frames(texture: np.ndarray, frames: int, fps: int, rng: np.random.Generator):
    th, tw = texture.shape[:2]
    start = np.array([rng.uniform(0, tw - W), rng.uniform(0, th - H)])
    pan = rng.uniform(-1.5, 1.5, 2)                              # px per frame
    freqs, phases = rng.uniform(0.7, 4.0, (3, 3)), rng.uniform(0, 2 * np.pi, (3, 3))
    amps = np.array([3.0, 3.0, 0.4])                             # px, px, degrees
    for i in range(frames):
        t = i / fps
        shake = (amps[:, None] * np.sin(2 * np.pi * freqs * t + phases)).sum(axis=1) / 2
        x, y = start + pan * i + shake[:2]
        x, y = float(np.clip(x, 0, tw - W - 1)), float(np.clip(y, 0, th - H - 1))
        m = cv2.getRotationMatrix2D((x + W / 2, y + H / 2), float(shake[2]), 1.0)
        m[:, 2] -= (x, y)
        img = cv2.warpAffine(texture, m, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        noisy = img + rng.normal(0.0, NOISE_SIGMA, img.shape).astype(np.float32)
        yield np.clip(noisy, 0, 255).astype(np.uint8)


def write_camera_dataset(root: Path, repo_id: str, episodes: int, frames: int, fps: int = 30) -> Path:
    if (root / "meta/info.json").exists():
        return root
    print(f"writing {root} ({episodes} x {frames} frames, two {W}x{H} cameras, hand-held motion, "
          f"noise sigma {NOISE_SIGMA:g}) ...", flush=True)
    rng = np.random.default_rng(0)
    textures = [scene(rng, 2 * H, 2 * W) for _ in CAMS]
    w = DatasetWriter.create(root, repo_id, fps, make_features(list(FEATURE_NAMES), {c: (H, W) for c in CAMS}))
    for e in range(episodes):
        t = np.arange(frames, dtype=np.float32)[:, None]
        state = (40 * np.sin(0.03 * t + np.arange(6) + e)).astype(np.float32)
        cams = {c: camera_frames(textures[k], frames, fps, np.random.default_rng([e, k])) for k, c in enumerate(CAMS)}
        w.add_episode(Episode(f"task {e % 2}", {"observation.state": state, "action": state + 0.5}, cams))
    w.close()
    return root
