"""Reviewing at lab scale over the Hub (issue 20): a 300-episode dataset with rolled-over files.

The dataset is written by lerobot 0.6.1 itself (bench/lerobot_lab_dataset.py, run with the `make
compat` venv; cached under bench/out/): 300 episodes, two 96x128 cameras, ~19 data files and ~10
video files per camera. Without that venv the lerobot-made rows print "not measured" and a dataset
the studio writes in the same shape is measured instead.

The Hub stand-in (tests/hub_server.py) adds LATENCY to every request. Measured as the Datasets panel
works:
- open -> first frame: the repo opened, the episode table read, then episode 0's rows and the first
  frame of every camera loaded together (target <= 0.5 s);
- jump: a random frame of a random episode, its rows and every camera's frame loaded together,
  PAUSE apart (user think time); p50/p95 (target p95 <= 100 ms), and requests per jump. The last
  row also starts the viewer's background prefetch around the cursor (10 frames back, 45 ahead) at
  each jump, as the episode viewer does. Rows "TCP_NODELAY" use a stand-in answering without Nagle's
  delay (see NoDelayHandler); "as is" the stand-in unchanged.

    .venv/bin/python -m bench.hub_scrub --lab [--jumps 100] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.dataset.reader import DatasetReader  # noqa: E402
from app.hub.episode_frames import EpisodeFrames  # noqa: E402
from app.hub.range_cache import RangeCache  # noqa: E402
from app.hub.remote_fs import open_hub_dataset  # noqa: E402
from app.hub.tasks import TaskPool  # noqa: E402
from tests.hub_server import HubHandler, HubServer  # noqa: E402

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
COMPAT = Path("/root/.cache/teleop-studio/lerobot-compat-venv/bin/python")
REPO = "bench/lab_300ep"


def lerobot_dataset() -> Path | None:
    """The lerobot-made lab dataset, built once (a few minutes) when the compat venv is there."""
    root = OUT / "lerobot_lab_300ep"
    if (root / "meta/info.json").exists():
        return root
    if not COMPAT.exists():
        return None
    print("building the lab dataset with lerobot 0.6.1 (a few minutes, once) ...", flush=True)
    subprocess.run([str(COMPAT), str(HERE / "lerobot_lab_dataset.py"), str(OUT)], check=True,
                   env={"PYTHONHASHSEED": "0", "PATH": "/usr/bin:/bin"}, stdout=subprocess.DEVNULL)
    return root


def studio_dataset(episodes: int = 300) -> Path:
    """About the same shape written by the studio (when lerobot 0.6.1 is not installed); the studio
    measures its size limits on the files as written, lerobot on uncompressed sizes."""
    from app.dataset.features import make_features
    from app.dataset.writer import DatasetWriter, Episode
    from app.rig.samples import FEATURE_NAMES

    root = OUT / "studio_lab_300ep"
    if (root / "meta/info.json").exists():
        return root
    print(f"writing {root} (a few minutes, once) ...", flush=True)
    cams = ("observation.images.front", "observation.images.wrist")
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 255, (192, 256, 3), np.uint8)
    w = DatasetWriter.create(root, REPO, 30, make_features(list(FEATURE_NAMES), {c: (96, 128) for c in cams}),
                             data_files_size_in_mb=0.12, video_files_size_in_mb=2.4)
    for e in range(episodes):
        n = int(rng.integers(45, 76))
        state = (40 * np.sin(0.03 * np.arange(n, dtype=np.float32)[:, None] + np.arange(6) + e)).astype(np.float32)

        def cam(k, n=n, e=e):
            for i in range(n):
                y, x = (i + 40 * k + 17 * e) % 96, (2 * i + 60 * k + 5 * e) % 128
                yield np.ascontiguousarray(texture[y:y + 96, x:x + 128])
        w.add_episode(Episode(f"task {e % 3}", {"observation.state": state, "action": state + 0.5},
                              {c: cam(k) for k, c in enumerate(cams)}))
    w.close()
    return root


class NoDelayHandler(HubHandler):
    """The stand-in writing its answers without Nagle's delay: it sends headers and body in two
    writes, and the second waits for the client's delayed ACK (~40 ms on Linux), so each request
    costs the latency plus ~45 ms. A server that sets TCP_NODELAY (or sends both in one write)
    answers in the latency alone: the "50 ms per request" the targets are set at."""
    disable_nagle_algorithm = True


def measure(root: Path, latency: float, jumps: int, pause: float, nodelay: bool, prefetch: bool = False,
            seed: int = 1) -> dict:
    rng = random.Random(seed)
    from huggingface_hub import HfApi  # noqa: F401  imported before timing (the window has it loaded)
    with HubServer(latency=latency) as hub:
        if nodelay:
            hub.RequestHandlerClass = NoDelayHandler
        hub.add_dataset(REPO, root).info(files_metadata=True)     # hashed before timing (the Hub has them)
        cache = RangeCache(Path(tempfile.mkdtemp(prefix="hub-lab-")))
        loaders = ThreadPoolExecutor(4)
        background = TaskPool(workers=2)

        def show(reader, e, i):
            frames = EpisodeFrames(reader, e)
            rows = loaders.submit(frames.rows)
            if prefetch:         # the viewer's run around the cursor (10 back, 45 ahead) starts too
                for c in frames.cameras:
                    background.submit(frames.prefetch, c, i - 10, i + 45, channel=f"prefetch:{c}")
            list(loaders.map(lambda c: frames.load(c, i), frames.cameras))
            rows.result()

        t0 = time.perf_counter()
        fs = open_hub_dataset(REPO, cache=cache, endpoint=hub.endpoint, token=False, refresh=True)
        reader = DatasetReader(fs.root, fs)
        opened = time.perf_counter() - t0
        show(reader, 0, 0)
        first = time.perf_counter() - t0
        first_requests = len(hub.log)
        times, counts = [], []
        for _ in range(jumps):
            time.sleep(pause)
            e = rng.randrange(len(reader.episodes))
            i = rng.randrange(reader.episodes[e].length)
            mark = len(hub.log)
            t = time.perf_counter()
            show(reader, e, i)
            times.append(time.perf_counter() - t)
            counts.append(len(hub.log) - mark)
        background.shutdown(wait=True)
        reader.close()
        files = {k: sum(1 for p in fs.manifest.files if p.startswith(k)) for k in ("data/", "videos/", "meta/")}
    return {"open": opened, "first": first, "first_requests": first_requests, "p50": statistics.median(times),
            "p95": float(np.percentile(times, 95)), "max": max(times),
            "requests": statistics.mean(counts), "requests_max": max(counts), "episodes": len(reader.episodes),
            "files": files}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--jumps", type=int, default=100)
    ap.add_argument("--pause", type=float, default=0.3, help="seconds between jumps (user think time)")
    args = ap.parse_args(argv)
    made = lerobot_dataset()
    rows = [("lerobot 0.6.1", made)] if made else [("lerobot 0.6.1", None), ("studio", studio_dataset())]
    print(f"latency {args.latency * 1000:.0f} ms/request, {args.jumps} jumps {args.pause} s apart\n")
    print(f"{'dataset written by':14s} {'stand-in':17s} {'files d/v/meta':>14s} {'open':>6s} {'1st frame':>9s} "
          f"{'reqs':>4s} {'jump p50':>8s} {'jump p95':>8s} {'max':>6s} {'reqs/jump':>10s}")
    # one-time warm-ups of the process (first HTTP session, first parquet and video opens) happen
    # before timing, as the window has done them by the time a user opens a dataset
    measure(HERE.parent / "tests/fixtures/lerobot_so101_3ep", args.latency, 2, 0.0, True)
    for name, root in rows:
        if root is None:
            print(f"{name:14s} not measured (no lerobot 0.6.1 venv at {COMPAT.parent.parent})")
            continue
        for label, nodelay, prefetch in (("TCP_NODELAY", True, False), ("as is (+Nagle)", False, False),
                                         ("NODELAY+prefetch", True, True)):
            r = measure(root, args.latency, args.jumps, args.pause, nodelay, prefetch)
            f = r["files"]
            print(f"{name:14s} {label:17s} "
                  f"{f['data/']:>4d}/{f['videos/']:>3d}/{f['meta/']:>3d}   {r['open']:5.2f}s {r['first']:8.2f}s "
                  f"{r['first_requests']:4d} {r['p50'] * 1000:6.0f}ms {r['p95'] * 1000:6.0f}ms "
                  f"{r['max'] * 1000:4.0f}ms {r['requests']:5.1f} (<={r['requests_max']})", flush=True)
    print("\ntargets: open -> first frame <= 0.5 s, jump p95 <= 100 ms (machine load shows in both)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
