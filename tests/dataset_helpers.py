"""Small synthetic episodes for the dataset tests (tiny frames so the suite stays fast)."""

from __future__ import annotations

import numpy as np

JOINTS = ["shoulder_pan.pos", "shoulder_lift.pos", "elbow_flex.pos", "wrist_flex.pos", "wrist_roll.pos", "gripper.pos"]
H, W = 48, 64


def fixture_frame(ep: int, i: int, cam: int, h: int = 240, w: int = 320) -> np.ndarray:
    """The frame pattern of the lerobot fixtures (README): background, moving square, white bar."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = (40 + 20 * cam, (60 * ep) % 255, 0)
    x, y = 7 * i % 280, (3 * i + 11 * ep) % 200
    img[y:y + 40, x:x + 40] = (230, 40, 40) if cam == 0 else (40, 230, 40)
    img[h - 6:, : int(np.floor(3.2 * i)) + 1] = 255
    return img


def frames(ep: int, length: int, cam: int = 0, h: int = H, w: int = W) -> list[np.ndarray]:
    """Smooth gradients plus a moving block: compresses well, so the MAE bound is meaningful."""
    yy, xx = np.mgrid[0:h, 0:w]
    out = []
    for i in range(length):
        img = np.empty((h, w, 3), np.uint8)
        img[..., 0] = (xx * 3 + i * 4 + cam * 40) % 256
        img[..., 1] = (yy * 4 + ep * 30) % 256
        img[..., 2] = 128
        x = (i * 3) % (w - 12)
        img[10:22, x:x + 12] = (250, 250, 20)
        out.append(img)
    return out


def joints(ep: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    i = np.arange(length)[:, None]
    k = np.arange(6)[None, :]
    state = (40 * np.sin(0.8 * i / 30 + k + ep)).astype(np.float32)
    return state + np.float32(0.5), state
