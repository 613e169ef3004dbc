"""Run by bench/cpu_per_frame.py with the `make compat` venv's Python: lerobot 0.6.1 records camera-like
frames with streaming_encoding, paced at the fps as lerobot-record's loop is; prints nothing, writes
CPU figures (this process and its reaped children; plus the kernel's threads, irq and softirq) to --json.

The frames come from the same bench/camera_like.py clips as the studio's bench cameras; the arms are
not simulated here (lerobot-record would also read them each loop iteration: not counted).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench.camera_like import CameraLikeClip  # noqa: E402
from bench.proc_cpu import KernelCPU, machine_busy_s  # noqa: E402


def own_cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", type=Path, required=True)
    ap.add_argument("--episodes", type=int, default=2)
    ap.add_argument("--episode-s", type=float, default=10.0)
    ap.add_argument("--reset-s", type=float, default=2.0)
    ap.add_argument("--cameras", type=int, default=2)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--encoder-threads", type=int, default=1, help="lerobot's encoder_threads (lp=1 as the bare)")
    ap.add_argument("--json", type=Path, required=True)
    a = ap.parse_args()

    from lerobot.configs.video import RGBEncoderConfig
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    names = ["front", "wrist", "top", "side"]
    cams = [names[i] if i < len(names) else f"cam{i}" for i in range(a.cameras)]
    joints = [f"j{i}.pos" for i in range(6)]
    features = {f"observation.images.{c}": {"dtype": "video", "shape": (a.height, a.width, 3),
                                            "names": ["height", "width", "channels"]} for c in cams}
    features["observation.state"] = {"dtype": "float32", "shape": (6,), "names": joints}
    features["action"] = {"dtype": "float32", "shape": (6,), "names": joints}
    clips = [CameraLikeClip(a.width, a.height, seed=i, fps=a.fps) for i in range(a.cameras)]
    encoder = RGBEncoderConfig(vcodec="libsvtav1", crf=30, g=2, preset=12)
    m0, kcpu, c0, w0 = machine_busy_s(), KernelCPU(), own_cpu(), time.monotonic()
    ds = LeRobotDataset.create("bench/lerobot-cpu", a.fps, features, root=a.root, use_videos=True,
                               rgb_encoder=encoder, streaming_encoding=True, encoder_threads=a.encoder_threads)
    period, late, iterations, frames = 1.0 / a.fps, 0, 0, 0
    zero = np.zeros(6, np.float32)
    for ep in range(a.episodes):
        n = int(round(a.episode_s * a.fps))
        t_next = time.perf_counter()
        for _ in range(n):
            frame = {f"observation.images.{c}": clip.next() for c, clip in zip(cams, clips)}
            frame.update({"observation.state": zero, "action": zero, "task": "pick the cube"})
            ds.add_frame(frame)
            frames += a.cameras
            iterations += 1
            t_next += period
            delay = t_next - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            else:
                late += 1
        ds.save_episode()
        if ep < a.episodes - 1:
            time.sleep(a.reset_s)
    ds.finalize()
    wall = time.monotonic() - w0
    own, kernel = own_cpu() - c0, kcpu.stop()
    own -= kcpu.own_s  # the sampler is the bench's, not lerobot's
    a.json.write_text(json.dumps({"frames": frames, "wall": wall, "raw_machine_s": machine_busy_s() - m0,
                                  "kernel_s": kernel, "machine_s": own + kernel, "tree_s": own,
                                  "late_pct": 100 * late / max(1, iterations)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
