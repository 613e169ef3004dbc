"""Dataset edits: `teleop-studio edit` (stream copy) against `lerobot-edit-dataset` (lerobot 0.6.1) on
the same 640x480 camera-like datasets, in one run.

  python -m bench.edit [--episodes 300] [--frames 10] [--merge-episodes 60] [--work DIR]

Camera-like video: bench/camera_like.py (a 1/f scene with objects, panned hand-held, sensor noise
sigma 3 on every frame), encoded by the studio's writer with lerobot's default settings (AV1, g=2,
crf 30, preset 12).
To keep the set-up short, 20 distinct episodes are recorded and the 300-episode dataset is built
from them by stream copy (episode content repeats; the files are as lerobot writes them: one mp4
per camera until 200 MB, one data file).

Measured, each as a separate process (wall clock, imports included, as a user runs them: bytecode
caches on, each tool started once before timing so its files are in the page cache):
- delete 3 of N episodes (5, N/2, N-1), and merge the N-episode dataset with a second one; the merge,
  short on both sides, is timed --repeat times alternating the tools, best run of each kept (a shared
  machine's noise hits sub-second runs hardest);
- each tool's start-up alone (its imports), to show where a short edit's time goes;
- frames re-encoded: ours from the edit's own report; lerobot's by comparing the kept episodes'
  video packets with the source's (any changed packet means the frame was re-encoded).
A missing lerobot venv prints "not measured" for its side.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

LEROBOT_PY = Path(os.environ.get("LEROBOT_COMPAT_VENV", Path.home() / ".cache/teleop-studio/lerobot-compat-venv")) \
    / "bin" / "python"
CAM = "observation.images.front"
H, W = 480, 640


def make_dataset(root: Path, repo_id: str, episodes: int, frames: int, seed: int) -> Path:
    from app.dataset.features import make_features
    from app.dataset.writer import DatasetWriter, Episode
    from app.edit.build import build
    from app.edit.plan import Pick, Plan
    from app.edit.source import open_source
    from app.rig.samples import FEATURE_NAMES
    from bench.camera_like import CameraLikeClip

    if (root / "meta/info.json").exists():
        return root
    distinct = min(20, episodes)
    seedroot = root.with_name(root.name + "-distinct")
    shutil.rmtree(seedroot, ignore_errors=True)
    t0 = time.monotonic()
    clip = CameraLikeClip(W, H, seed)          # one hand-held take, cut into episodes
    w = DatasetWriter.create(seedroot, repo_id, 30, make_features(list(FEATURE_NAMES), {"front": (H, W)}))
    for e in range(distinct):
        tt = np.arange(frames, dtype=np.float32)[:, None]
        state = (40 * np.sin(0.03 * tt + np.arange(6) + e)).astype(np.float32)
        w.add_episode(Episode(f"task {e % 3}", {"observation.state": state, "action": state + 0.5},
                              {CAM: clip.frames(frames)}))
    w.close()
    src = open_source(str(seedroot))
    build(Plan([src], [Pick(0, e % distinct) for e in range(episodes)]), root)
    src.close()
    shutil.rmtree(seedroot)
    size = sum(p.stat().st_size for p in root.rglob("*.mp4")) / 1e6
    print(f"made {root.name}: {episodes} episodes x {frames} frames of {W}x{H}, video {size:.1f} MB "
          f"({time.monotonic() - t0:.1f} s)", flush=True)
    return root


def user_env(**extra) -> dict:
    """The environment a user runs the tools in: bytecode caches on (a sandbox may turn them off)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env


def timed(cmd: list[str], env=None) -> tuple[float, str]:
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env or user_env(), cwd=REPO)
    dt = time.monotonic() - t0
    if p.returncode:
        raise RuntimeError(f"{cmd[0]} failed ({p.returncode}): {(p.stderr or p.stdout)[-800:]}")
    return dt, p.stdout + p.stderr


def episode_packets_all(root: Path) -> dict[int, list[bytes]]:
    """Every episode's packet bytes for the camera, each file demuxed once."""
    import av

    from app.dataset.reader import DatasetReader

    r = DatasetReader(root)
    by_file: dict[str, list] = {}
    for ep in r.episodes:
        by_file.setdefault(ep.videos[CAM].path, []).append(ep)
    out, half = {}, 0.5 / r.fps
    for rel, eps in by_file.items():
        with av.open(str(root / rel)) as c:
            s = c.streams.video[0]
            pkts = [(float(p.pts * s.time_base), bytes(p)) for p in c.demux(s) if p.pts is not None]
        pkts.sort(key=lambda x: x[0])
        times = np.array([t for t, _ in pkts])
        for ep in eps:
            ref = ep.videos[CAM]
            lo, hi = np.searchsorted(times, ref.from_ts - half), np.searchsorted(times, ref.to_ts - half)
            out[ep.index] = [b for _, b in pkts[lo:hi]]
    return out


def kept_packets_changed(src: dict, out_root: Path, mapping: dict[int, int]) -> tuple[int, int]:
    """(packets that differ, packets compared) over the kept episodes' video."""
    out = episode_packets_all(out_root)
    changed = total = 0
    for oe, se in mapping.items():
        pa, pb = out[oe], src[se]
        total += len(pb)
        changed += sum(x != y for x, y in zip(pa, pb)) + abs(len(pa) - len(pb))
    return changed, total


def studio(args: list[str]) -> tuple[float, str]:
    return timed([sys.executable, "-m", "app.cli", "edit", *args, "--quiet"])


def lerobot(args: list[str]) -> tuple[float, str]:
    env = user_env(HF_HUB_OFFLINE="1", HF_LEROBOT_HOME=str(Path(tempfile.gettempdir()) / "lerobot-home"))
    return timed([str(LEROBOT_PY), "-m", "lerobot.scripts.lerobot_edit_dataset", *args], env)


def startup(python: str, module: str) -> float:
    """Seconds to start python and import module (run once first: caches warm)."""
    cmd = [python, "-c", f"import {module}"]
    timed(cmd)
    return timed(cmd)[0]


def have_lerobot() -> bool:
    return LEROBOT_PY.exists() and subprocess.run([str(LEROBOT_PY), "-c", "import lerobot"],
                                                  capture_output=True).returncode == 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=300)
    ap.add_argument("--frames", type=int, default=10, help="frames per episode")
    ap.add_argument("--merge-episodes", type=int, default=60, help="episodes of the second dataset to merge")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "teleop-bench-edit")
    ap.add_argument("--repeat", type=int, default=3, help="merge runs per tool (best kept)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    n = args.episodes
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    a = make_dataset(work / f"a-{n}x{args.frames}-cl", "bench/a", n, args.frames, 1)
    b = make_dataset(work / f"b-{args.merge_episodes}x{args.frames}-cl", "bench/b", args.merge_episodes, args.frames, 2)
    runs = work / "runs"
    shutil.rmtree(runs, ignore_errors=True)
    runs.mkdir()
    gone = sorted({5, n // 2, n - 1})
    keep = {o: e for o, e in enumerate(e for e in range(n) if e not in gone)}
    res: dict = {"episodes": n, "frames": args.frames, "deleted": gone}
    lerobot_ok = have_lerobot()
    res["studio_startup_s"] = startup(sys.executable, "app.edit.build, app.edit.source, app.cli")
    if lerobot_ok:
        res["lerobot_startup_s"] = startup(str(LEROBOT_PY), "lerobot.scripts.lerobot_edit_dataset")

    dt, out = studio(["delete-episodes", str(a), "--episodes", ",".join(map(str, gone)), "--out", str(runs / "s-del")])
    res["studio_delete_s"] = dt
    res["studio_reencoded_frames"] = int(out.split(" frames re-encoded")[0].rsplit(" ", 1)[1])
    source_packets = episode_packets_all(a)
    res["studio_changed_packets"], res["compared_packets"] = kept_packets_changed(source_packets, runs / "s-del", keep)
    from app.dataset.validate import validate

    res["s-del_valid"] = validate(runs / "s-del", decode_videos=False).ok
    merges: dict[str, list[float]] = {"studio": [], "lerobot": []}
    for k in range(max(1, args.repeat)):
        for d in ("s-merge", "l-merge"):
            shutil.rmtree(runs / d, ignore_errors=True)
        merges["studio"].append(studio(["merge", "--out", str(runs / "s-merge"), str(a), str(b)])[0])
        if k == 0:
            res["s-merge_valid"] = validate(runs / "s-merge", decode_videos=False).ok
        if lerobot_ok:
            merges["lerobot"].append(lerobot([
                "--new_repo_id", "bench/m", "--new_root", str(runs / "l-merge"), "--operation.type", "merge",
                "--operation.repo_ids", json.dumps(["bench/a", "bench/b"]),
                "--operation.roots", json.dumps([str(a), str(b)])])[0])
    res["studio_merge_s"] = min(merges["studio"])
    res["merge_runs"] = merges
    if merges["lerobot"]:
        res["lerobot_merge_s"] = min(merges["lerobot"])
    if lerobot_ok:
        dt, _ = lerobot(["--repo_id", "bench/a", "--root", str(a), "--new_repo_id", "bench/a_del",
                         "--new_root", str(runs / "l-del"), "--operation.type", "delete_episodes",
                         "--operation.episode_indices", json.dumps(gone)])
        res["lerobot_delete_s"] = dt
        res["lerobot_changed_packets"], _ = kept_packets_changed(source_packets, runs / "l-del", keep)
    res["load_average"] = os.getloadavg()
    print(f"data: {n} + {args.merge_episodes} episodes x {args.frames} frames, one {W}x{H} camera "
          "(bench/camera_like.py: hand-held pan, sensor noise sigma 3)")
    for op, label in (("delete", f"delete {len(gone)} of {n} episodes"),
                      ("merge", f"merge {n} + {args.merge_episodes}")):
        ours, theirs = res[f"studio_{op}_s"], res.get(f"lerobot_{op}_s")
        if theirs is None:
            print(f"{label}: studio {ours:.2f} s, lerobot not measured, speed-up not measured")
        else:
            print(f"{label}: studio {ours:.2f} s, lerobot {theirs:.2f} s, speed-up {theirs / ours:.1f}x")
    runs_s = ", ".join(f"{t}: " + " ".join(f"{x:.2f}" for x in v) for t, v in merges.items() if v)
    print(f"merge runs (s, best of each kept): {runs_s}")
    theirs = res.get("lerobot_startup_s")
    print(f"start-up alone (python + imports): studio {res['studio_startup_s']:.2f} s, lerobot "
          + ("not measured" if theirs is None else f"{theirs:.2f} s ({100 * theirs / res['lerobot_merge_s']:.0f} % "
             "of its merge)"))
    lr, compared = res.get("lerobot_changed_packets"), res["compared_packets"]
    theirs = "not measured" if lr is None else f"{lr} of {compared}"
    print(f"kept episodes' video packets changed: studio {res['studio_changed_packets']} of {compared}, "
          f"lerobot {theirs}")
    print(f"frames re-encoded on keyframe cuts: studio {res['studio_reencoded_frames']}")
    print(f"outputs valid: delete {res['s-del_valid']}, merge {res['s-merge_valid']}")
    print("load average at the end: {:.2f} {:.2f} {:.2f} (shared machine: figures are noisy)".format(
        *res["load_average"]))
    if args.json:
        print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
