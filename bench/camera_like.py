"""Camera-like frames for benchmarks: a natural-looking scene, panned by a hand-held camera, with sensor noise.

The simulated rig's own cameras draw a flat gradient that an AV1 encoder compresses almost for free; a
real camera's picture costs several times more. This module gives benches what a real camera gives
(no network, no extra dependency, deterministic for a seed):

- a scene: 1/f ("pink") noise in luminance and smoother chroma, which is the spectrum of natural
  photographs, with objects on it (hard-edged boxes, discs and polygons, each with its own texture),
  cables, printed labels, and uneven lighting; slightly blurred as by a lens;
- hand-held motion: a smooth random walk (velocity pulled back towards the middle of the scene) plus
  per-frame tremor of about a pixel;
- sensor noise: Gaussian, sigma 3 levels per channel, fresh each frame.

The scene is computed once per (size, seed) and each frame is a crop of it plus noise (saturating
OpenCV adds, ~0.3 ms for 640x480), so generating frames costs little next to encoding them.

    clip = CameraLikeClip(640, 480, seed=1); frames = clip.frames(300)
    CameraLikeCamera("front", 640, 480, 30)          # a CameraSource paced at fps
    use_camera_like(rig)                             # swap a simulated rig's cameras for these
    python bench/camera_like.py --png out.png        # look at one frame
"""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.rig.camera import CameraError, CameraSource  # noqa: E402
from app.rig.synthetic_camera import BetweenTicks  # noqa: E402

NOISE_SIGMA = 3.0
CONTENTS = ("camera-like", "synthetic")  # what a bench records: this module's frames, or the flat scene


def _pink(rng: np.random.Generator, h: int, w: int, beta: float) -> np.ndarray:
    """Noise whose amplitude falls as 1/f**beta, normalised to zero mean and unit std."""
    spectrum = np.fft.rfft2(rng.standard_normal((h, w)))
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    f = np.sqrt(fx * fx + fy * fy)
    f[0, 0] = 1.0
    field = np.fft.irfft2(spectrum / f ** beta, s=(h, w))
    return ((field - field.mean()) / field.std()).astype(np.float32)


@functools.lru_cache(maxsize=8)
def scene(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A natural-looking RGB scene of width x height (read-only; cached)."""
    rng = np.random.default_rng(seed)
    h, w = height, width
    s = max(h, w) / 1000  # sizes below are for a 1000-pixel scene
    lum = 0.55 + 0.16 * _pink(rng, h, w, 1.0)
    chroma = [0.035 * _pink(rng, h, w, 1.4) for _ in range(2)]
    img = np.stack([lum + chroma[0], lum - 0.5 * chroma[0] - 0.5 * chroma[1], lum + chroma[1]], axis=-1)
    img = (np.clip(img, 0, 1) * 255).astype(np.uint8)

    grain = 0.85 + 0.12 * _pink(rng, h, w, 1.1)  # surface texture and shading of objects
    for _ in range(int(25 * (w * h) / 1e6) + 6):
        color = 0.55 * rng.integers(20, 236, 3) + 0.45 * rng.integers(60, 200)  # muted, as lit objects are
        mask = np.zeros((h, w), np.uint8)
        kind = rng.integers(0, 3)
        cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
        size = int(rng.uniform(20, 140) * s) + 2
        if kind == 0:
            cv2.rectangle(mask, (cx - size, cy - size // 2), (cx + size, cy + size // 2), 255, -1)
        elif kind == 1:
            cv2.circle(mask, (cx, cy), size, 255, -1, cv2.LINE_AA)
        else:
            pts = np.array([(cx + size * np.cos(a), cy + size * np.sin(a))
                            for a in np.sort(rng.uniform(0, 2 * np.pi, 5))], np.int32)
            cv2.fillPoly(mask, [pts], 255, cv2.LINE_AA)
        x0, y0, bw, bh = cv2.boundingRect(mask)
        if bw == 0 or bh == 0:
            continue
        box = (slice(y0, y0 + bh), slice(x0, x0 + bw))
        alpha = (mask[box].astype(np.float32) / 255)[..., None]
        textured = np.clip(color[None, None, :] * grain[box][..., None], 0, 255)
        img[box] = (img[box] * (1 - alpha) + textured * alpha).astype(np.uint8)
    for _ in range(int(12 * (w * h) / 1e6) + 3):  # cables and table edges
        p0 = tuple(int(v) for v in rng.integers(0, (w, h)))
        p1 = tuple(int(v) for v in rng.integers(0, (w, h)))
        cv2.line(img, p0, p1, tuple(int(c) for c in rng.integers(0, 80, 3)), max(1, int(4 * s)), cv2.LINE_AA)
    for _ in range(int(10 * (w * h) / 1e6) + 2):  # printed labels
        org = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.putText(img, f"SO-101 #{int(rng.integers(100, 999))}", org, cv2.FONT_HERSHEY_SIMPLEX,
                    max(0.3, 0.9 * s), (250, 250, 240), max(1, int(2 * s)), cv2.LINE_AA)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 0.75 + 0.35 * np.exp(-(((xx - 0.4 * w) / (0.7 * w)) ** 2 + ((yy - 0.3 * h) / (0.7 * h)) ** 2))
    img = np.clip(img * light[..., None], 0, 255).astype(np.uint8)
    img = cv2.GaussianBlur(img, (0, 0), 0.7)  # the lens
    img.setflags(write=False)
    return img


class HandheldPath:
    """Where a hand-held camera points, frame by frame: smooth drift plus tremor, within +-range px."""

    def __init__(self, range_x: float, range_y: float, seed: int = 0, fps: float = 30.0):
        self.rng = np.random.default_rng(seed + 7919)
        self.range = np.array([range_x, range_y], np.float64)
        self.pos = np.zeros(2)
        self.vel = np.zeros(2)
        self.dt = 1.0 / fps

    def step(self) -> tuple[float, float]:
        # velocity: a random walk (~40 px/s) pulled back towards the middle; tremor: ~0.8 px per frame
        pull = -1.5 * self.pos / np.maximum(self.range, 1)
        self.vel += (pull * 40 - 0.8 * self.vel) * self.dt + self.rng.normal(0, 40, 2) * np.sqrt(self.dt)
        self.pos = np.clip(self.pos + self.vel * self.dt, -self.range, self.range)
        x, y = self.pos + self.rng.normal(0, 0.8, 2)
        return float(np.clip(x, -self.range[0], self.range[0])), float(np.clip(y, -self.range[1], self.range[1]))


class CameraLikeClip:
    """Frames of width x height: a crop of a larger scene that follows a HandheldPath, plus sensor noise."""

    def __init__(self, width: int, height: int, seed: int = 0, fps: float = 30.0, noise_sigma: float = NOISE_SIGMA):
        self.width, self.height = width, height
        self.margin = (max(8, width // 4), max(8, height // 4))
        self.scene = scene(width + 2 * self.margin[0], height + 2 * self.margin[1], seed)
        self.path = HandheldPath(self.margin[0] - 2, self.margin[1] - 2, seed, fps)
        rng = np.random.default_rng(seed + 104729)
        self._rng = rng
        n = width * height * 3
        # One long run of noise; each frame reads it from a random offset (fresh noise, no per-frame RNG cost).
        noise = np.rint(rng.normal(0, noise_sigma, n + 3 * 4099)).astype(np.int16)
        self._up = np.clip(noise, 0, 255).astype(np.uint8)
        self._down = np.clip(-noise, 0, 255).astype(np.uint8)
        self._n = n

    def next(self) -> np.ndarray:
        x, y = self.path.step()
        x0, y0 = self.margin[0] + int(round(x)), self.margin[1] + int(round(y))
        crop = self.scene[y0:y0 + self.height, x0:x0 + self.width]
        o = 3 * int(self._rng.integers(0, 4099))
        shape = (self.height, self.width, 3)
        img = cv2.add(crop, self._up[o:o + self._n].reshape(shape))
        return cv2.subtract(img, self._down[o:o + self._n].reshape(shape), dst=img)

    def frames(self, n: int) -> list[np.ndarray]:
        return [self.next() for _ in range(n)]


def flat_frames(width: int, height: int, n: int) -> list[np.ndarray]:
    """The simulated rig's own picture (gradient, moving ball, text): the "synthetic" rows."""
    from app.rig.synthetic_camera import SyntheticCamera

    cam = SyntheticCamera("front", width, height)
    out = []
    for i in range(n):
        img = cam._background.copy()
        cam._draw(img, i)
        out.append(img)
    return out


def clip_frames(content: str, width: int, height: int, n: int, seed: int = 0) -> list[np.ndarray]:
    return CameraLikeClip(width, height, seed).frames(n) if content == "camera-like" else flat_frames(width, height, n)


class CameraLikeCamera(CameraSource):
    """A simulated camera that films a CameraLikeClip at its fps, on the synthetic camera's clock: with
    `teleop` (the rig's loop), half a period after the loop's ticks (app.rig.synthetic_camera.BetweenTicks)."""

    def __init__(self, name: str, width: int = 640, height: int = 480, fps: int = 30, seed: int = 0,
                 teleop=None):
        super().__init__(name, width, height, fps)
        self.clip = CameraLikeClip(width, height, seed, fps)
        self.clock = BetweenTicks(fps, teleop)

    def open(self) -> None:
        self.clock.start()

    def grab(self) -> np.ndarray:
        self.clock.wait()
        try:
            return self.clip.next()
        except cv2.error as exc:  # never expected; a camera reports failures as CameraError
            raise CameraError(f"{self.name}: {exc}") from exc


def use_camera_like(rig, seed: int = 0) -> None:
    """Replace a simulated rig's cameras (same names and sizes) by camera-like ones, before rig.start()."""
    for i, (name, cam) in enumerate(list(rig.cameras.items())):
        rig.cameras[name] = CameraLikeCamera(name, cam.width, cam.height, cam.fps, seed=seed + i,
                                             teleop=getattr(rig, "teleop", None))


def build_bench_rig(content: str, n_cameras: int, width: int, height: int, fps: int):
    """The simulated rig, filming camera-like content or its own synthetic scene."""
    from app.rig.rig import build_sim_rig

    rig = build_sim_rig(n_cameras=n_cameras, width=width, height=height, fps=fps)
    if content == "camera-like":
        use_camera_like(rig)
    return rig


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description="camera-like frames: timing, and a PNG to look at")
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--png", type=Path, help="save frame 0 and frame 60 side by side")
    a = ap.parse_args()
    t0 = time.perf_counter()
    clip = CameraLikeClip(a.width, a.height)
    t1 = time.perf_counter()
    frames = clip.frames(a.frames)
    t2 = time.perf_counter()
    print(f"scene {clip.scene.shape[1]}x{clip.scene.shape[0]} in {t1 - t0:.2f} s; "
          f"{1000 * (t2 - t1) / a.frames:.2f} ms per {a.width}x{a.height} frame")
    if a.png:
        pair = np.hstack([frames[0], frames[min(60, len(frames) - 1)]])
        cv2.imwrite(str(a.png), cv2.cvtColor(pair, cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    main()
