"""Why was a frame lost? Records a few takes with encoding behind and explains every dropped slot.

    .venv/bin/python bench/late_frames.py [--episodes 3 --episode-time-s 20 --content camera-like]

A slot is dropped when a tick finds the same camera frame as the tick before it. For each one this
prints what happened around it, from timestamps taken on the spot:
- "tick late": the tick before started after this slot's frame had arrived, so it took it (the
  teleop thread waited for a CPU or the GIL, or, before the fix, its servo round trips ran first);
- "camera late": this slot's frame arrived after the tick (the capture thread waited);
- the camera phase (frame arrival after the tick, in ms: 16.7 ms is half a period, the most room)
  and the run-queue wait of every studio thread over the 50 ms before the drop
  (/proc/self/task/*/schedstat, read every 10 ms on a sampler thread).
This is how the camera-like drops of issue 19 were traced to the tick reading the cameras after its
servo round trips (see bench/README.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.camera_like import CONTENTS, build_bench_rig  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--episodes", type=int, default=3)
    ap.add_argument("--episode-time-s", type=float, default=20.0)
    ap.add_argument("--reset-time-s", type=float, default=3.0)
    ap.add_argument("--content", choices=CONTENTS, default="camera-like")
    a = ap.parse_args()

    from PySide6.QtCore import QCoreApplication

    app = QCoreApplication.instance() or QCoreApplication([])  # noqa: F841
    from app.encoding.workers import EncodeWorkers
    from app.recording.config import SessionConfig
    from app.studio import open_recording

    rig = build_bench_rig(a.content, 2, 640, 480, 30)
    arrivals = {name: [] for name in rig.cameras}
    for name, cam in rig.cameras.items():
        cam.add_listener(lambda f, log=arrivals[name]: log.append((f.index, f.t_capture)))
    ticks = []
    rig.teleop.add_listener(lambda t: ticks.append((t.t, {n: f.index if f else None for n, f in t.frames.items()})))
    names: dict[int, str] = {}
    samples = []
    stop = threading.Event()

    def sampler() -> None:
        while not stop.wait(0.01):
            for t in threading.enumerate():
                if t.native_id is not None:
                    names.setdefault(t.native_id, t.name)
            row = {}
            for tid in os.listdir("/proc/self/task"):
                try:
                    with open(f"/proc/self/task/{tid}/schedstat") as f:
                        row[int(tid)] = int(f.read().split()[1])
                except OSError:
                    pass
            samples.append((time.monotonic(), row))

    threading.Thread(target=sampler, name="sampler", daemon=True).start()
    with tempfile.TemporaryDirectory(prefix="late-frames-") as tmp:
        cfg = SessionConfig(root=Path(tmp) / "ds", repo_id="bench/late", task="pick the cube", fps=30,
                            episodes=a.episodes, episode_time_s=a.episode_time_s + 2, reset_time_s=60)
        setup = open_recording(rig, cfg)
        s, queue = setup.session, setup.queue
        workers = EncodeWorkers(queue)
        workers.start()
        rig.start()
        time.sleep(1.0)
        windows = []
        for ep in range(a.episodes):
            s.start() if ep == 0 else s.skip_reset()
            t0 = time.monotonic()
            time.sleep(a.episode_time_s)
            s.next() if ep < a.episodes - 1 else s.end()
            windows.append((t0, time.monotonic()))
            if ep < a.episodes - 1:
                time.sleep(a.reset_time_s)
        stop.set()
        s.wait_takes(30)
        rig.stop()
        queue.close()
        workers.stop()
        setup.writer.close()
    report(ticks, arrivals, windows, samples, names)


def report(ticks, arrivals, windows, samples, names) -> None:
    period = 1 / 30
    inside = [t for t in ticks if any(a <= t[0] <= b for a, b in windows)]
    sample_t = np.array([s[0] for s in samples])
    print(f"ticks recorded: {len(inside)}; load avg {os.getloadavg()[0]:.1f}")
    for cam, log in arrivals.items():
        at = dict(log)
        phases = [((at[f[cam]] - t) % period) * 1000 for t, f in inside if f.get(cam) in at]
        kinds = {"tick late": 0, "camera late": 0, "other": 0}
        lines = []
        for prev, cur in zip(inside, inside[1:]):
            idx = cur[1].get(cam)
            if idx is None or idx != prev[1].get(cam) or idx not in at:
                continue
            slot = cur[0] - period  # where the tick before should have started
            after = at.get(idx + 1)
            if at[idx] > slot and prev[0] > at[idx]:  # this slot's frame, taken by a late tick before
                kind = "tick late"
            elif at[idx] <= slot and (after is None or after > cur[0]):  # this slot's frame came after it
                kind = "camera late"
            else:
                kind = "other"
            kinds[kind] += 1
            i, j = np.searchsorted(sample_t, cur[0] - 0.05), np.searchsorted(sample_t, cur[0])
            waits = []
            if 0 <= i < j < len(samples):
                a, b = samples[i][1], samples[j][1]
                for tid in b:
                    w = (b[tid] - a.get(tid, b[tid])) / 1e6
                    if w >= 2:
                        waits.append(f"{names.get(tid, tid)} {w:.0f} ms")
            lines.append(f"  {kind}: tick before started {(prev[0] - slot) * 1000:+.1f} ms; run-queue wait in the "
                         f"50 ms before: {', '.join(waits) or 'none >= 2 ms'}")
        print(f"{cam}: {sum(kinds.values())} dropped of {len(inside)}; phase p50 {np.median(phases):.1f} ms; "
              + ", ".join(f"{k} {v}" for k, v in kinds.items()))
        print("\n".join(lines[:20]))


if __name__ == "__main__":
    main()
