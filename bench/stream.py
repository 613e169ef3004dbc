"""Training-side streaming: frames/s into a torch DataLoader with 1, 2 and 4 workers, local disk and
through the Hub stand-in at 50 ms per request; lerobot 0.6.1's StreamingLeRobotDataset and its
map-style LeRobotDataset side by side when a Python with lerobot exists; shuffle randomness.

Dataset: EPISODES x FRAMES of two 640x480 cameras with camera-like content (bench/camera_dataset.py:
textured scene, hand-held motion, sensor noise sigma 3), written by our writer and kept in /tmp.
Every run is a fresh process, and every Hub run starts with an empty range cache (all bytes cross the
link). Figures: frames/s from constructing the dataset to the last batch (end to end), and from the
first `iter` (streaming), and CPU ms per frame of the process and its DataLoader workers together (the
figure that a busy machine disturbs least). Imports (torch) are not timed. Every process runs torch
with one thread. A training config's rows add delta_timestamps (diffusion policy's: two frames per
camera per item), where lerobot's class decodes every frame of the window for every item.

The bare decode floor: the same camera files decoded by PyAV (FFmpeg's dav1d) to RGB with nothing
else, and lerobot's own decoding (torchcodec, one get_frames_at per frame) for where its time goes;
the DataLoader hand-off alone (items of the same shapes, no decoding). A loader that hands out every
frame pays at least the floor; when lerobot's CPU per frame is under 10x the floor, no such loader is
10x lerobot's, and the lines `lerobot / bare decode floor` and `... hand-off floor` say so.

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
from bench.camera_dataset import CAMS, write_camera_dataset  # noqa: E402
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
deltas = json.loads(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[5] else None
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
                 "StreamingLeRobotDataset(repo, root=root, return_uint8=uint8, delta_timestamps=deltas)", BATCH,
                 "False")
LEROBOT_STREAM = LOADER % ("from lerobot.datasets.streaming_dataset import StreamingLeRobotDataset",
                           "StreamingLeRobotDataset(repo, return_uint8=uint8, delta_timestamps=deltas)", BATCH, "False")
# the bare decode floor: the same camera files decoded with nothing else, one process; CPU of all its threads
FLOOR = r"""
import json, resource, sys, time
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
mode, files = sys.argv[1], sys.argv[2:]
n, c0, t0 = 0, cpu(), time.perf_counter()
if mode == "torchcodec":            # as lerobot 0.6.1's streaming class: one cached decoder, get_frames_at([i])
    import fsspec, torch
    from torchcodec.decoders import VideoDecoder
    for f in files:
        d = VideoDecoder(fsspec.open(f).__enter__(), seek_mode="approximate")
        for i in range(d.metadata.num_frames):
            d.get_frames_at(indices=[i])
            n += 1
else:                               # PyAV (FFmpeg's dav1d for AV1), frames converted to RGB as every loader must
    import av
    for f in files:
        with av.open(f) as c:
            s = c.streams.video[0]
            s.thread_type = "AUTO" if mode == "pyav" else "SLICE"
            if mode != "pyav":
                s.thread_count = 1
            for frame in c.decode(s):
                frame.to_ndarray(format="rgb24")
                n += 1
print(json.dumps({"camera_frames": n, "seconds": time.perf_counter() - t0, "cpu_s": cpu() - c0}))
"""
# the DataLoader hand-off alone: items shaped like ours (two CHW frames, lerobot's float32 or uint8, a few
# scalars) made from one RGB image without decoding, through a DataLoader as the loaders above
HANDOFF = r"""
import json, resource, sys, time
import numpy as np, torch
def cpu(who):
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime
frames, workers, uint8, steps = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1", int(sys.argv[4])
class Frames(torch.utils.data.IterableDataset):
    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid, n = (0, 1) if info is None else (info.id, info.num_workers)
        img = np.random.default_rng(0).integers(0, 256, (480, 640, 3), np.uint8)
        for i in range(wid, frames, n):
            item = {"index": torch.tensor(i), "observation.state": torch.zeros(6), "action": torch.zeros(6)}
            for cam in ("front", "wrist"):
                chw = np.moveaxis(np.stack([img] * steps) if steps > 1 else img, -1, -3)
                item[cam] = torch.from_numpy(np.ascontiguousarray(chw) if uint8 else
                                             np.multiply(chw, np.float32(1 / 255), dtype=np.float32))
            yield item
c0, t0 = cpu(resource.RUSAGE_SELF), time.perf_counter()
n = sum(len(b["index"]) for b in torch.utils.data.DataLoader(Frames(), batch_size=%d, num_workers=workers))
dt = time.perf_counter() - t0
print(json.dumps({"camera_frames": 2 * n, "seconds": dt,
                  "cpu_s": cpu(resource.RUSAGE_SELF) - c0 + cpu(resource.RUSAGE_CHILDREN)}))
""" % BATCH
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


def training_deltas(fps: int) -> dict:
    """A training config's delta_timestamps: diffusion policy's defaults (n_obs_steps 2, horizon 16), so
    each item holds two frames per camera, as a policy that sees the previous frame asks."""
    two = [-1 / fps, 0.0]
    return {**{c: two for c in CAMS}, "observation.state": two, "action": [i / fps for i in range(-1, 15)]}


def loader_name(workers: int, uint8: bool, deltas: bool = False) -> str:
    name = "dataset alone (no DataLoader)" if workers < 0 else f"DataLoader, {workers} worker{'s' * (workers > 1)}"
    return name + (", uint8 frames" if uint8 else "") + (", 2-frame deltas" if deltas else "")


def measure(py: str, code: str, hub: HubServer, tmp: Path, repeat: int, root: str, key: tuple,
            extra_env: dict | None = None, fps: int = 30) -> tuple[dict | str, str]:
    """Best of `repeat` fresh processes; also the Hub requests and MB per run ("- | -" for local).
    key: (workers, uint8 frames, training deltas)."""
    workers, uint8, deltas = key
    mark = len(hub.log)
    args = [REPO, root, str(workers), "1" if uint8 else "0", json.dumps(training_deltas(fps)) if deltas else ""]
    runs = [_run(py, code, args, {**hub_env(hub, tmp), **(extra_env or {})}) for _ in range(repeat)]
    reqs = hub.requests_since(mark)
    net = "- | -" if root else f"{len(reqs) // repeat} | {sum(x.bytes for x in reqs) / repeat / 1e6:.1f}"
    return _best(runs), net


def row(where: str, loader: str, r: dict | str, net: str) -> str:
    if isinstance(r, str):
        return f"| {where} | {loader} | {r} | | | | | |"
    return (f"| {where} | {loader} | {r['frames']} | {r['open_s']:.2f} | {r['stream_fps']:.0f} | {r['total_fps']:.0f} "
            f"| {r['cpu_ms']:.1f} | {net} |")


# (workers, uint8, deltas): workers -1 = iterate the dataset alone; float frames are lerobot's default, uint8
# what lerobot's own training (make_dataset) asks for; deltas = training_deltas (several frames per item)
OURS_RUNS = [(-1, False, False)] + [(w, False, False) for w in WORKERS]
OURS_HUB_EXTRA = [(-1, True, False), (1, True, False), (1, True, True)]
LEROBOT_RUNS = [("StreamingLeRobotDataset", LEROBOT_STREAM, (-1, False, False)),
                ("StreamingLeRobotDataset", LEROBOT_STREAM, (1, False, False)),
                ("StreamingLeRobotDataset", LEROBOT_STREAM, (1, True, False)),
                ("StreamingLeRobotDataset", LEROBOT_STREAM, (1, True, True)),
                ("LeRobotDataset (map-style)", LEROBOT_MAP, (1, False, False))]


def ours_table(py: str | None, gen: Path, hub: HubServer, tmp: Path, repeat: int, latency: float) -> dict:
    """Local and Hub runs of one setting alternate, so a change in the machine's load hits both."""
    out, lines = {}, {}
    hub_where = f"Hub {latency * 1000:.0f} ms"
    for key in OURS_RUNS + OURS_HUB_EXTRA:
        wheres = ["local", hub_where] if key in OURS_RUNS else [hub_where]
        if py is None:
            for where in wheres:
                lines[(where, *key)] = (f"| {where} | {loader_name(*key)} | not measured (no Python with torch: "
                                        "`make test` creates .venv-torch) | | | | | |")
            continue
        runs = {where: [] for where in wheres}
        for _ in range(repeat):
            for where in wheres:
                runs[where].append(measure(py, OURS, hub, tmp, 1, str(gen) if where == "local" else "", key))
        for where in wheres:
            r, net = max(runs[where], key=lambda x: x[0]["total_fps"] if isinstance(x[0], dict) else -1)
            out[(where, *key)] = r
            lines[(where, *key)] = row(where, loader_name(*key), r, net)
    print("ours, teleop_studio.streaming.StreamingLeRobotDataset:")
    print("| where | loader | frames | open s | frames/s streaming | frames/s end to end | CPU ms/frame | requests "
          "| MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for k in sorted(lines, key=lambda k: (k[0] != "local", k[2], k[3], k[1])):
        print(lines[k])
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


def lerobot_table(py: str | None, hub: HubServer, tmp: Path, repeat: int, ours: dict, latency: float,
                  shim: dict) -> dict:
    where = f"Hub {latency * 1000:.0f} ms"
    print(f"lerobot 0.6.1, {where}, side by side (ours/lerobot = end-to-end frames/s at the same setting):")
    if py is None:
        why = "no Python with lerobot 0.6.1 (pass --lerobot-python, or run `make compat`), or --skip-lerobot"
        for name, _, key in LEROBOT_RUNS:
            print(f"  lerobot {name}, {loader_name(*key)}: not measured ({why})")
        return {}
    if shim:
        print("  (no system ffmpeg: lerobot's torchcodec loads FFmpeg 7 from its venv's PyAV wheel, LD_LIBRARY_PATH)")
    print("| lerobot class | loader | frames | open s | frames/s streaming | frames/s end to end | CPU ms/frame "
          "| requests | MB | ours/lerobot | CPU lerobot/ours |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    out = {}
    for name, code, key in LEROBOT_RUNS:
        r, net = measure(py, code, hub, tmp, repeat, "", key, shim)
        out[(name, *key)] = r
        mine = ours.get((where, *key))
        both = isinstance(mine, dict) and isinstance(r, dict)
        ratio = f"{mine['total_fps'] / r['total_fps']:.1f}x" if both else "not measured"
        cpu = f"{r['cpu_ms'] / mine['cpu_ms']:.1f}x" if both else "not measured"
        print(row(name, loader_name(*key), r, net)[:-1] + f"| {ratio} | {cpu} |", flush=True)
    return out


def video_files(gen: Path) -> list[str]:
    return [str(p) for c in CAMS for p in sorted((gen / "videos" / c).rglob("*.mp4"))]


def floor_table(gen: Path, frames: int, lerobot_py: str | None, torch_py: str | None, shim: dict,
                repeat: int) -> dict:
    """The same camera files decoded with nothing else: what any loader that hands out every frame
    pays at least. Per dataset frame = both cameras."""
    files = video_files(gen)
    runs = [("pyav", "PyAV (FFmpeg dav1d), frame threads, to RGB: the floor", sys.executable, {}),
            ("pyav1", "PyAV, one decoder thread, to RGB", sys.executable, {}),
            ("torchcodec", "torchcodec get_frames_at([i]) frame by frame, uint8 (lerobot 0.6.1's decoding)",
             lerobot_py, shim),
            ("handoff", "DataLoader hand-off alone, 1 worker, float frames (no decoding)", torch_py, {}),
            ("handoff8", "DataLoader hand-off alone, 1 worker, uint8 frames (no decoding)", torch_py, {}),
            ("handoff8x2", "DataLoader hand-off alone, 1 worker, uint8 frames, 2 per camera (no decoding)",
             torch_py, {})]
    print(f"\nbare decode floor: the same {len(files)} camera files ({', '.join(CAMS)}), nothing else, one process; "
          "per dataset frame = both cameras")
    print("| decoder | camera frames | frames/s | CPU ms/frame |")
    print("|---|---|---|---|")
    out = {}
    for mode, label, py, env in runs:
        if py is None:
            need = "torch" if mode.startswith("handoff") else "lerobot 0.6.1"
            print(f"| {label} | not measured (no Python with {need}) | | |")
            continue
        code, args = (FLOOR, [mode, *files]) if not mode.startswith("handoff") else \
            (HANDOFF, [str(frames), "1", "0" if mode == "handoff" else "1", "2" if mode.endswith("x2") else "1"])
        res = [_run(py, code, args, {**os.environ, **env, "OMP_NUM_THREADS": "1"}) for _ in range(repeat)]
        ok = [r for r in res if isinstance(r, dict)]
        if not ok:
            print(f"| {label} | {res[-1]} | | |")
            continue
        r = min(ok, key=lambda x: x["cpu_s"])
        if r["camera_frames"] != frames * len(CAMS):
            print(f"| {label} | decoded {r['camera_frames']} camera frames, expected {frames * len(CAMS)} | | |")
            continue
        out[mode] = {"fps": frames / r["seconds"], "cpu_ms": 1000 * r["cpu_s"] / frames}
        print(f"| {label} | {r['camera_frames']} | {out[mode]['fps']:.0f} | {out[mode]['cpu_ms']:.2f} |", flush=True)
    return out


# each setting's floor: the decode floor, plus the DataLoader hand-off of items of that setting's shape
FLOORS = {(-1, False, False): ("pyav",), (1, False, False): ("pyav", "handoff"), (1, True, False): ("pyav", "handoff8"),
          (1, True, True): ("pyav", "handoff8x2")}


def floor_comparison(floor: dict, ours: dict, lerobot: dict, latency: float) -> None:
    """Both loaders against the floor of each setting, and whether 10x lerobot's is within reach of a
    loader that decodes every frame and hands it to a DataLoader (it needs lerobot's CPU per frame / 10
    to be at least the floor)."""
    where = f"Hub {latency * 1000:.0f} ms"
    f = floor.get("pyav")
    print(f"\nagainst the floor ({where}; floor = bare decode, plus the DataLoader hand-off of the setting's items; "
          "x floor = CPU ms per frame / the floor's):")
    if f is None:
        print("  ours / bare decode floor: not measured (the floor did not run)")
        return
    print("| loader | floor CPU ms/frame | ours CPU ms/frame | ours x floor | lerobot CPU ms/frame | lerobot x floor "
          "| 10x lerobot needs CPU ms/frame | 10x reachable above the floor |")
    print("|---|---|---|---|---|---|---|---|")
    for name, _, key in LEROBOT_RUNS:
        parts = FLOORS.get(key)
        if name != "StreamingLeRobotDataset" or parts is None:
            continue
        if any(x not in floor for x in parts):
            print(f"| {loader_name(*key)} | not measured | | | | | | |")
            continue
        fl = sum(floor[x]["cpu_ms"] for x in parts)
        mine, theirs = ours.get((where, *key)), lerobot.get((name, *key))
        o = f"{mine['cpu_ms']:.1f} | {mine['cpu_ms'] / fl:.1f}x" if isinstance(mine, dict) else "not measured | "
        if isinstance(theirs, dict):
            need = theirs["cpu_ms"] / 10
            t = (f"{theirs['cpu_ms']:.1f} | {theirs['cpu_ms'] / fl:.1f}x | {need:.2f} | "
                 f"{'yes' if need >= fl else 'no: below the floor'}")
        else:
            t = "not measured | | | "
        print(f"| {loader_name(*key)} | {fl:.2f} | {o} | {t} |")
    key = (1, False, False)
    mine, theirs = ours.get((where, *key)), lerobot.get(("StreamingLeRobotDataset", *key))
    name = loader_name(*key)
    print(f"bare decode floor: {f['cpu_ms']:.2f} CPU ms/frame, {f['fps']:.0f} frames/s (all cores)")
    print(f"ours / bare decode floor, CPU per frame, {name}: " +
          (f"{mine['cpu_ms'] / f['cpu_ms']:.1f}x" if isinstance(mine, dict) else "not measured"))
    print(f"lerobot / bare decode floor, CPU per frame, {name}: " +
          (f"{theirs['cpu_ms'] / f['cpu_ms']:.1f}x" if isinstance(theirs, dict) else "not measured"))
    h = floor.get("handoff")
    if h is None:
        print(f"decode + DataLoader hand-off floor, {name}: not measured")
    else:
        both = f["cpu_ms"] + h["cpu_ms"]
        o = f"{mine['cpu_ms'] / both:.1f}x" if isinstance(mine, dict) else "not measured"
        t = f"{theirs['cpu_ms'] / both:.1f}x" if isinstance(theirs, dict) else "not measured"
        verdict = ""
        if isinstance(theirs, dict):
            verdict = (" (10x lerobot is above this floor: reachable in CPU)" if theirs["cpu_ms"] / both >= 10 else
                       f" (10x lerobot would need {theirs['cpu_ms'] / 10:.2f} CPU ms/frame, under this floor's "
                       f"{both:.2f}: no loader that decodes every frame and hands it to a DataLoader reaches it)")
        print(f"decode + DataLoader hand-off floor, {name}: {f['cpu_ms']:.2f} + {h['cpu_ms']:.2f} = {both:.2f} CPU "
              f"ms/frame; ours / it {o}; lerobot / it {t}{verdict}")
    if isinstance(theirs, dict):
        print(f"lerobot x 10 = {10 * theirs['total_fps']:.0f} frames/s vs the bare decode floor's {f['fps']:.0f} "
              "frames/s (decoding alone on every core, nothing handed to a DataLoader)")
    dk = (1, True, True)
    mine, theirs = ours.get((where, *dk)), lerobot.get(("StreamingLeRobotDataset", *dk))
    if isinstance(mine, dict) and isinstance(theirs, dict):
        print(f"with 2-frame deltas ({loader_name(*dk)}): ours/lerobot {mine['total_fps'] / theirs['total_fps']:.1f}x "
              f"end to end, CPU lerobot/ours {theirs['cpu_ms'] / mine['cpu_ms']:.1f}x")
    else:
        print(f"with 2-frame deltas ({loader_name(*dk)}): ours/lerobot not measured")


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
          f"request, cold cache per run; batch {BATCH}; best of {args.repeat}; load average at start "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    shim = _ffmpeg_shim(lerobot_py, tmp) if lerobot_py else {}
    with HubServer(latency=args.latency) as hub:
        hub.add_dataset(REPO, gen)
        ours = ours_table(torch_py, gen, hub, tmp, args.repeat, args.latency)
        if torch_py is None:
            numpy_rows(gen, hub, tmp, args.latency)
        hub_where = f"Hub {args.latency * 1000:.0f} ms"
        pairs = [(ours.get((hub_where, w, False, False)), ours.get(("local", w, False, False))) for w in WORKERS]
        ratios = [h["total_fps"] / lo["total_fps"] for h, lo in pairs if isinstance(h, dict) and isinstance(lo, dict)]
        if len(ratios) == len(WORKERS):
            print("\nHub/local end to end: " + ", ".join(f"{w} worker(s) {r:.2f}x" for w, r in zip(WORKERS, ratios))
                  + f"; lowest {min(ratios):.2f}x (target >= 0.8)")
        else:
            print("\nHub/local end to end: not measured")
        print()
        lerobot = lerobot_table(lerobot_py, hub, tmp, args.repeat, ours, args.latency, shim)
    floor = floor_table(gen, args.episodes * args.frames, lerobot_py, torch_py, shim, max(2, args.repeat))
    floor_comparison(floor, ours, lerobot, args.latency)
    print(f"load average after the runs: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    randomness_table(gen, (1, 10, 100, 1000))


if __name__ == "__main__":
    main()
