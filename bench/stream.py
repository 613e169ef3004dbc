"""Training-side streaming: frames/s into a torch DataLoader with 1, 2 and 4 workers, local disk and
through the Hub stand-in at 50 ms per request; lerobot 0.6.1's StreamingLeRobotDataset and its
map-style LeRobotDataset side by side when a Python with lerobot exists; shuffle randomness.

Dataset: EPISODES x FRAMES of two 640x480 cameras with camera-like content (bench/camera_dataset.py:
textured scene, hand-held motion, sensor noise sigma 3), written by our writer and kept in /tmp.
Every run is a fresh process, and every Hub run starts with an empty range cache (all bytes cross the
link). Figures: frames/s from constructing the dataset to the last batch (end to end), and from the
first `iter` (streaming), and CPU ms per frame of the process and its DataLoader workers together (the
figure that a busy machine disturbs least). Imports (torch) are not timed. Every process runs torch
with one thread.

Ours runs in .venv-torch (made by `make test`), or a Python given with --torch-python; without torch
the workers rows say "not measured" and the numpy iterator is measured in one process instead.
lerobot: --lerobot-python, or the venv of `make compat`; never a constant in place of a run.

    .venv/bin/python bench/stream.py [--latency 0.05] [--episodes 6 --frames 60] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.hub.range_cache import RangeCache  # noqa: E402
from app.streaming.iterator import StreamingDataset  # noqa: E402
from app.streaming.shuffle import randomness  # noqa: E402
from bench.camera_dataset import write_camera_dataset  # noqa: E402
from tests.hub_server import HubServer  # noqa: E402

REPO = "bench/stream_cams"
WORKERS = (1, 2, 4)
BATCH = 16

LOADER = r"""
import json, resource, sys, time
import torch
%s
def cpu(who):
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime
repo, root, workers, uint8 = sys.argv[1], (sys.argv[2] or None), int(sys.argv[3]), sys.argv[4] == "1"
c0 = cpu(resource.RUSAGE_SELF)
t0 = time.perf_counter()
ds = %s
t1 = time.perf_counter()
if workers < 0:                     # the dataset alone: iterate its items, no DataLoader
    n = sum(1 for _ in ds)
else:
    loader = torch.utils.data.DataLoader(ds, batch_size=%d, num_workers=workers, shuffle=%s)
    n = sum(len(b["index"]) for b in loader)      # exhausting it joins the workers: their CPU is counted
t2 = time.perf_counter()
cpu_ms = 1000 * (cpu(resource.RUSAGE_SELF) - c0 + cpu(resource.RUSAGE_CHILDREN)) / n
print(json.dumps({"frames": n, "open_s": t1 - t0, "stream_fps": n / (t2 - t1), "total_fps": n / (t2 - t0),
                  "cpu_ms": cpu_ms}))
"""
OURS = LOADER % ("from teleop_studio.streaming import StreamingLeRobotDataset",
                 "StreamingLeRobotDataset(repo, root=root, return_uint8=uint8)", BATCH, "False")
LEROBOT_STREAM = LOADER % ("from lerobot.datasets.streaming_dataset import StreamingLeRobotDataset",
                           "StreamingLeRobotDataset(repo, return_uint8=uint8)", BATCH, "False")
# map-style: downloads the dataset first; shuffled by the DataLoader as lerobot-train does
LEROBOT_MAP = LOADER % ("from lerobot.datasets.lerobot_dataset import LeRobotDataset",
                        "LeRobotDataset(repo, return_uint8=uint8)", BATCH, "workers >= 0")


def _run(py: str, code: str, args: list[str], env: dict, timeout: float = 1200) -> dict | str:
    p = subprocess.run([py, "-c", code, *args], env=env, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        lines = [x for x in p.stderr.strip().splitlines() if x.strip()] or ["?"]
        return "failed: " + lines[-1][:200]
    return json.loads(p.stdout.strip().splitlines()[-1])


def _best(results: list) -> dict | str:
    ok = [r for r in results if isinstance(r, dict)]
    return max(ok, key=lambda r: r["total_fps"]) if ok else results[-1]


def hub_env(hub: HubServer, tmp: Path) -> dict:
    """A client process's environment: huggingface_hub pointed at the stand-in, empty caches."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    home = Path(tempfile.mkdtemp(dir=tmp))
    env.update(hub.client_env(home / "hf_home"))
    env["HF_LEROBOT_HOME"] = str(home / "lerobot")
    env["PYTHONPATH"] = str(ROOT)
    # one torch thread, as in a DataLoader worker: on a shared machine a second thread spinning in
    # torch's thread pool slows whichever dataset runs torch ops in the main process (lerobot's does)
    env["OMP_NUM_THREADS"] = "1"
    return env


def find_python(given: str | None, default: Path, probe: str) -> str | None:
    for py in [given, str(default)]:
        if py and Path(py).exists() and subprocess.run([py, "-c", probe], capture_output=True).returncode == 0:
            return py
    return None


def loader_name(workers: int, uint8: bool) -> str:
    name = "dataset alone (no DataLoader)" if workers < 0 else f"DataLoader, {workers} worker{'s' * (workers > 1)}"
    return name + (", uint8 frames" if uint8 else "")


def measure(py: str, code: str, hub: HubServer, tmp: Path, repeat: int, root: str, workers: int, uint8: bool,
            extra_env: dict | None = None) -> tuple[dict | str, str]:
    """Best of `repeat` fresh processes; also the Hub requests and MB per run ("- | -" for local)."""
    mark = len(hub.log)
    args = [REPO, root, str(workers), "1" if uint8 else "0"]
    runs = [_run(py, code, args, {**hub_env(hub, tmp), **(extra_env or {})}) for _ in range(repeat)]
    reqs = hub.requests_since(mark)
    net = "- | -" if root else f"{len(reqs) // repeat} | {sum(x.bytes for x in reqs) / repeat / 1e6:.1f}"
    return _best(runs), net


def row(where: str, loader: str, r: dict | str, net: str) -> str:
    if isinstance(r, str):
        return f"| {where} | {loader} | {r} | | | | | |"
    return (f"| {where} | {loader} | {r['frames']} | {r['open_s']:.2f} | {r['stream_fps']:.0f} | {r['total_fps']:.0f} "
            f"| {r['cpu_ms']:.1f} | {net} |")


# (workers, uint8): workers -1 = iterate the dataset alone; float frames are lerobot's default, uint8 what
# lerobot's own training (make_dataset) asks for
OURS_RUNS = [(-1, False)] + [(w, False) for w in WORKERS]
OURS_HUB_EXTRA = [(-1, True), (1, True)]
LEROBOT_RUNS = [("StreamingLeRobotDataset", LEROBOT_STREAM, -1, False),
                ("StreamingLeRobotDataset", LEROBOT_STREAM, 1, False),
                ("StreamingLeRobotDataset", LEROBOT_STREAM, 1, True),
                ("LeRobotDataset (map-style)", LEROBOT_MAP, 1, False)]


def ours_table(py: str | None, gen: Path, hub: HubServer, tmp: Path, repeat: int, latency: float) -> dict:
    """Local and Hub runs of one setting alternate, so a change in the machine's load hits both."""
    out, lines = {}, {}
    hub_where = f"Hub {latency * 1000:.0f} ms"
    for w, u8 in OURS_RUNS + OURS_HUB_EXTRA:
        wheres = ["local", hub_where] if (w, u8) in OURS_RUNS else [hub_where]
        if py is None:
            for where in wheres:
                lines[(where, w, u8)] = (f"| {where} | {loader_name(w, u8)} | not measured (no Python with torch: "
                                         "`make test` creates .venv-torch) | | | | | |")
            continue
        runs = {where: [] for where in wheres}
        for _ in range(repeat):
            for where in wheres:
                runs[where].append(measure(py, OURS, hub, tmp, 1, str(gen) if where == "local" else "", w, u8))
        for where in wheres:
            r, net = max(runs[where], key=lambda x: x[0]["total_fps"] if isinstance(x[0], dict) else -1)
            out[(where, w, u8)] = r
            lines[(where, w, u8)] = row(where, loader_name(w, u8), r, net)
    print("ours, teleop_studio.streaming.StreamingLeRobotDataset:")
    print("| where | loader | frames | open s | frames/s streaming | frames/s end to end | CPU ms/frame | requests "
          "| MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for key in sorted(lines, key=lambda k: (k[0] != "local", k[2], k[1])):
        print(lines[key])
    return out


def numpy_rows(gen: Path, hub: HubServer, tmp: Path, latency: float) -> None:
    """Without torch: our numpy iterator in this process (no workers), local and Hub."""
    for where, source, kw in (("local", gen, {}), (f"Hub {latency * 1000:.0f} ms", REPO,
                                                   {"endpoint": hub.endpoint, "token": False, "refresh": True})):
        if kw:
            kw["cache"] = RangeCache(Path(tempfile.mkdtemp(dir=tmp)))
        t0 = time.perf_counter()
        ds = StreamingDataset(source, **kw)
        n = sum(1 for _ in ds)
        dt = time.perf_counter() - t0
        ds.close()
        print(f"  numpy iterator, one process, {where}: {n} frames, {n / dt:.0f} frames/s end to end")


def randomness_table(root: Path, sizes) -> None:
    ref = StreamingDataset(root, shuffle=True, buffer_size=1, video=False)
    reference = [int(x["index"]) for x in ref]
    episode_of = np.repeat(np.arange(len(ref.reader.episodes)), [e.length for e in ref.reader.episodes])
    print(f"\nshuffle randomness vs buffer size ({root.name}, reference = the same random episode order unbuffered)")
    print("| buffer | Kendall tau vs reference | mean displacement (frames) | same-episode neighbours |")
    print("|---|---|---|---|")
    for size in sizes:
        got = [int(x["index"]) for x in StreamingDataset(root, shuffle=True, buffer_size=size, video=False)]
        r = randomness(got, reference, episode_of)
        print(f"| {size} | {r['kendall_tau']:.3f} | {r['mean_displacement']:.1f} | "
              f"{r['same_episode_neighbours']:.3f} |")


def _ffmpeg_shim(py: str, tmp: Path) -> dict:
    """torchcodec needs FFmpeg's shared libraries. Without a system ffmpeg, point it at the FFmpeg 7
    libraries bundled in that venv's PyAV wheel (av.libs), through symlinks with the plain sonames."""
    if subprocess.run([py, "-c", "import torchcodec.decoders"], capture_output=True).returncode == 0:
        return {}
    libs = next(Path(py).parent.parent.glob("lib/python3*/site-packages/av.libs"), None)
    if libs is None:
        return {}
    shim = tmp / "ffmpeg-shim"
    shim.mkdir(exist_ok=True)
    for f in libs.iterdir():
        (shim / f.name).symlink_to(f)
        base, _, rest = f.name.partition("-")
        if base.startswith(("libav", "libsw")) and ".so." in rest:
            (shim / f"{base}.so.{rest.split('.so.')[1].split('.')[0]}").symlink_to(f)
    env = {"LD_LIBRARY_PATH": ":".join(filter(None, [str(shim), os.environ.get("LD_LIBRARY_PATH")]))}
    ok = subprocess.run([py, "-c", "import torchcodec.decoders"], capture_output=True, env={**os.environ, **env})
    return env if ok.returncode == 0 else {}


def lerobot_table(py: str | None, hub: HubServer, tmp: Path, repeat: int, ours: dict, latency: float) -> None:
    where = f"Hub {latency * 1000:.0f} ms"
    print(f"lerobot 0.6.1, {where}, side by side (ours/lerobot = end-to-end frames/s at the same setting):")
    if py is None:
        why = "no Python with lerobot 0.6.1 (pass --lerobot-python, or run `make compat`), or --skip-lerobot"
        for name, _, w, u8 in LEROBOT_RUNS:
            print(f"  lerobot {name}, {loader_name(w, u8)}: not measured ({why})")
        return
    shim = _ffmpeg_shim(py, tmp)
    if shim:
        print("  (no system ffmpeg: lerobot's torchcodec loads FFmpeg 7 from its venv's PyAV wheel, LD_LIBRARY_PATH)")
    print("| lerobot class | loader | frames | open s | frames/s streaming | frames/s end to end | CPU ms/frame "
          "| requests | MB | ours/lerobot | CPU lerobot/ours |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, code, w, u8 in LEROBOT_RUNS:
        r, net = measure(py, code, hub, tmp, repeat, "", w, u8, shim)
        mine = ours.get((where, w, u8))
        both = isinstance(mine, dict) and isinstance(r, dict)
        ratio = f"{mine['total_fps'] / r['total_fps']:.1f}x" if both else "not measured"
        cpu = f"{r['cpu_ms'] / mine['cpu_ms']:.1f}x" if both else "not measured"
        print(row(name, loader_name(w, u8), r, net)[:-1] + f"| {ratio} | {cpu} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--episodes", type=int, default=6)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=1, help="runs per figure; the best is shown (default 1)")
    ap.add_argument("--torch-python", default=None, help="a Python with torch and this project (default .venv-torch)")
    ap.add_argument("--lerobot-python", default=None, help="a Python with lerobot 0.6.1 (default: make compat's venv)")
    ap.add_argument("--skip-lerobot", action="store_true", help="do not run lerobot (its rows say not measured)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    gen = write_camera_dataset(Path(tempfile.gettempdir()) / f"teleop-bench-stream-cams-{args.episodes}x{args.frames}",
                               REPO, args.episodes, args.frames)
    torch_py = find_python(args.torch_python, ROOT / ".venv-torch" / "bin" / "python",
                           "import torch, teleop_studio.streaming")
    compat = Path(os.environ.get("COMPAT_VENV") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                  / "teleop-studio" / "lerobot-compat-venv")
    lerobot_py = None if args.skip_lerobot else find_python(args.lerobot_python, compat / "bin" / "python",
                                                            "import lerobot.datasets.streaming_dataset")
    print(f"machine: {os.cpu_count()} cores, shared with other work (figures are noisy); dataset {gen.name}: "
          f"{args.episodes * args.frames} frames, two 640x480 cameras; Hub stand-in {args.latency * 1000:.0f} ms per "
          f"request, cold cache per run; batch {BATCH}; best of {args.repeat}\n")
    with HubServer(latency=args.latency) as hub:
        hub.add_dataset(REPO, gen)
        ours = ours_table(torch_py, gen, hub, tmp, args.repeat, args.latency)
        if torch_py is None:
            numpy_rows(gen, hub, tmp, args.latency)
        hub_where = f"Hub {args.latency * 1000:.0f} ms"
        pairs = [(ours.get((hub_where, w, False)), ours.get(("local", w, False))) for w in WORKERS]
        ratios = [h["total_fps"] / lo["total_fps"] for h, lo in pairs if isinstance(h, dict) and isinstance(lo, dict)]
        if len(ratios) == len(WORKERS):
            print("\nHub/local end to end: " + ", ".join(f"{w} worker(s) {r:.2f}x" for w, r in zip(WORKERS, ratios))
                  + f"; lowest {min(ratios):.2f}x (target >= 0.8)")
        else:
            print("\nHub/local end to end: not measured")
        print()
        lerobot_table(lerobot_py, hub, tmp, args.repeat, ours, args.latency)
    randomness_table(gen, (1, 10, 100, 1000))


if __name__ == "__main__":
    main()
