"""Which spool format for recorded frames: CPU per frame, disk MB/s, and what survives a SIGKILL.

    .venv/bin/python bench/spool_formats.py [--frames 90] [--width 640 --height 480]

Each format writes the same frames (the synthetic camera's scene, optionally with sensor-like noise);
a child process is then SIGKILLed mid-write and the file is read back to count the frames recovered.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def make_frames(n: int, w: int, h: int, noise: bool) -> list[np.ndarray]:
    from app.rig.synthetic_camera import SyntheticCamera

    cam = SyntheticCamera("front", w, h, 30)
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        img = cam._background.copy()
        cam._draw(img, i)
        if noise:  # real sensors: a few levels of noise on every pixel defeat lossless compression
            img = np.clip(img.astype(np.int16) + rng.integers(-3, 4, img.shape), 0, 255).astype(np.uint8)
        out.append(img)
    return out


class Raw:
    name, ext = "raw RGB append", ".raw"

    def open(self, path, w, h):
        self.f = open(path, "ab", buffering=0)

    def write(self, img):
        self.f.write(img.data)

    def close(self):
        self.f.close()

    @staticmethod
    def count(path, w, h):
        return os.path.getsize(path) // (w * h * 3)


class PyAVFormat:
    def __init__(self, name, ext, codec, pix_fmt, options):
        self.name, self.ext, self.codec, self.pix_fmt, self.options = name, ext, codec, pix_fmt, options

    def open(self, path, w, h):
        import av

        self.c = av.open(str(path), "w")
        self.s = self.c.add_stream(self.codec, rate=30, options=self.options)
        self.s.width, self.s.height, self.s.pix_fmt = w, h, self.pix_fmt
        self.s.thread_count = 1

    def write(self, img):
        import av

        for p in self.s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
            self.c.mux(p)

    def close(self):
        for p in self.s.encode():
            self.c.mux(p)
        self.c.close()

    @staticmethod
    def count(path, w, h):
        import av

        n = 0
        try:
            with av.open(str(path)) as c:
                for _ in c.decode(video=0):
                    n += 1
        except Exception:
            pass
        return n


class Png:
    name, ext = "PNG per frame (cv2, level 1)", ".pngdir"

    def open(self, path, w, h):
        import cv2

        self.cv2, self.dir, self.i = cv2, Path(path), 0
        self.dir.mkdir()

    def write(self, img):
        ok, buf = self.cv2.imencode(".png", img, [self.cv2.IMWRITE_PNG_COMPRESSION, 1])
        (self.dir / f"{self.i:06d}.png").write_bytes(buf.tobytes())
        self.i += 1

    def close(self):
        pass

    @staticmethod
    def count(path, w, h):
        import cv2

        return sum(cv2.imread(str(p)) is not None for p in Path(path).glob("*.png"))


FORMATS = {
    "raw": Raw(),
    "x264-lossless-mkv": PyAVFormat("x264 lossless ultrafast (.mkv)", ".mkv", "libx264rgb", "rgb24",
                                    {"preset": "ultrafast", "qp": "0", "tune": "zerolatency"}),
    "x264-lossless-ts": PyAVFormat("x264 lossless ultrafast (.ts)", ".ts", "libx264rgb", "rgb24",
                                   {"preset": "ultrafast", "qp": "0", "tune": "zerolatency"}),
    "ffv1-mkv": PyAVFormat("FFV1 (.mkv)", ".mkv", "ffv1", "bgr0", {"slices": "4", "level": "3"}),
    "png": Png(),
}


def measure(key: str, frames: list[np.ndarray], tmp: Path) -> tuple[float, float]:
    fmt = FORMATS[key]
    h, w = frames[0].shape[:2]
    path = tmp / f"{key}{fmt.ext}"
    fmt.open(path, w, h)
    c0 = time.process_time()
    for img in frames:
        fmt.write(img)
    fmt.close()
    cpu_ms = (time.process_time() - c0) / len(frames) * 1000
    size = sum(p.stat().st_size for p in path.rglob("*")) if path.is_dir() else path.stat().st_size
    return cpu_ms, size / len(frames) * 30 / 1e6


def killed_child(key: str, w: int, h: int, n: int, path: str) -> None:
    fmt = FORMATS[key]
    frames = make_frames(8, w, h, noise=True)
    fmt.open(path, w, h)
    for i in range(10_000):
        fmt.write(frames[i % len(frames)])
        if i == n:
            print("written", flush=True)


def crash_trial(key: str, w: int, h: int, n: int, tmp: Path) -> int:
    path = tmp / f"kill-{key}{FORMATS[key].ext}"
    p = subprocess.Popen([sys.executable, __file__, "--child", key, str(w), str(h), str(n), str(path)],
                         stdout=subprocess.PIPE, text=True)
    p.stdout.readline()
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    return FORMATS[key].count(path, w, h)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        key, w, h, n, path = sys.argv[2:7]
        killed_child(key, int(w), int(h), int(n), path)
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=90)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    a = ap.parse_args()
    print(f"{a.frames} frames {a.width}x{a.height}, one camera at 30 fps; MB/s = spool disk rate per camera")
    print("| format | CPU ms/frame (scene) | MB/s (scene) | CPU ms/frame (noisy) | MB/s (noisy) "
          "| frames readable after SIGKILL at >= 60 written |")
    print("|---|---|---|---|---|---|")
    clean = make_frames(a.frames, a.width, a.height, noise=False)
    noisy = make_frames(a.frames, a.width, a.height, noise=True)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for key, fmt in FORMATS.items():
            c1, m1 = measure(key, clean, tmp / "a" if (tmp / "a").mkdir() is None else tmp)
            c2, m2 = measure(key, noisy, tmp / "b" if (tmp / "b").mkdir() is None else tmp)
            for sub in ("a", "b"):
                import shutil

                shutil.rmtree(tmp / sub)
            got = crash_trial(key, a.width, a.height, 60, tmp)
            print(f"| {fmt.name} | {c1:.2f} | {m1:.1f} | {c2:.2f} | {m2:.1f} | {got} |", flush=True)


if __name__ == "__main__":
    main()
