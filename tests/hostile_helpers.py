"""Shared set-up of the hostile-input suite: a tiny dataset written by our writer, and a listing of
every file's mtime and size under some folders (to prove a command wrote nothing)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from app.dataset.features import make_features
from app.dataset.writer import DatasetWriter, Episode
from tests.dataset_helpers import JOINTS, frames, joints

ROOT = Path(__file__).resolve().parent.parent
CAM = "observation.images.front"


def noise_frames(ep: int, length: int, h: int, w: int) -> list[np.ndarray]:
    """Frames that do not compress (big video files from few frames)."""
    rng = np.random.default_rng(ep)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(length)]


def make_dataset(root: Path, episodes: int = 2, length: int = 6, h: int = 24, w: int = 32,
                 cameras: int = 1, noise: bool = False, **create) -> Path:
    cams = {("front" if c == 0 else f"cam{c}"): (h, w) for c in range(cameras)}
    with DatasetWriter.create(root, "me/hostile", 30, make_features(JOINTS, cams), **create) as wr:
        for e in range(episodes):
            state, action = joints(e, length)
            vids = {f"observation.images.{name}": noise_frames(e * 7 + c, length, h, w) if noise
                    else frames(e, length, c, h, w) for c, name in enumerate(cams)}
            wr.add_episode(Episode(f"task {e % 2}", {"action": action, "observation.state": state}, vids))
    return root


def listing(*dirs: Path) -> dict[str, tuple]:
    """path -> (mtime_ns, size, is link) of everything under dirs (links not followed)."""
    out = {}
    for d in dirs:
        for dirpath, dirnames, filenames in os.walk(d, followlinks=False):
            for name in dirnames + filenames:
                p = os.path.join(dirpath, name)
                st = os.lstat(p)
                out[p] = (st.st_mtime_ns, st.st_size if not os.path.isdir(p) or os.path.islink(p) else 0,
                          os.path.islink(p))
    return out


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)


def float32_offset(path: Path, value: float) -> int:
    """Byte offset of the first occurrence of float32 `value` in a file (to flip it in place)."""
    data = path.read_bytes()
    return data.index(np.float32(value).tobytes())
