"""`check --deep` on a 300-episode dataset: seconds for the deep check beside the plain check (with and
without decoding videos), in one run, on the same dataset.

The dataset is written by our writer (DatasetWriter) with one small camera (camera-like frames from
tests/dataset_helpers: gradients and a moving block), EPISODES x FRAMES, and kept in /tmp between runs
(its name carries the settings). Each check runs in a fresh process (`python -m app.cli check`), so
imports count as a user sees them; best of --repeat runs.

    .venv/bin/python bench/check_deep.py [--episodes 300] [--frames 30] [--size 48x64] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile_helpers import make_dataset  # noqa: E402

RUNS = (("check --no-decode", ["--no-decode"]), ("check", []), ("check --deep", ["--deep"]))


def dataset(episodes: int, frames: int, h: int, w: int) -> Path:
    root = Path(tempfile.gettempdir()) / f"teleop-bench-check-deep-{episodes}x{frames}-{h}x{w}"
    if not (root / "meta/info.json").exists():
        import shutil
        shutil.rmtree(root, ignore_errors=True)
        t0 = time.perf_counter()
        make_dataset(root, episodes=episodes, length=frames, h=h, w=w)
        print(f"wrote {episodes} episodes in {time.perf_counter() - t0:.0f} s: {root}", file=sys.stderr)
    return root


def timed(args: list[str]) -> tuple[float, int, str]:
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "app.cli", "check", *args], capture_output=True, text=True,
                       cwd=ROOT, timeout=3600)
    last = (p.stdout.strip().splitlines() or ["?"])[-1]
    return time.perf_counter() - t0, p.returncode, last


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--episodes", type=int, default=300)
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--size", default="48x64", help="camera HxW")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    h, w = (int(x) for x in args.size.split("x"))
    root = dataset(args.episodes, args.frames, h, w)
    rows = {}
    for name, extra in RUNS:
        runs = [timed([*extra, str(root)]) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r[0])
        rows[name] = {"seconds": round(best[0], 2), "exit": best[1], "said": best[2]}
    base = rows["check"]["seconds"]
    title = f"{args.episodes} episodes x {args.frames} frames, 1 camera {w}x{h}"
    print(f"| {title} | seconds | vs check | exit | last line |")
    print("|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['seconds']:.2f} | {r['seconds'] / base:.2f}x | {r['exit']} | {r['said'][:60]} |")
    deep = rows["check --deep"]["seconds"]
    print(f"check --deep: {deep:.1f} s for {args.episodes} episodes ({1000 * deep / args.episodes:.0f} ms per episode)")
    out = {"episodes": args.episodes, "frames": args.frames, "size": args.size, "runs": rows}
    if args.json:
        print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
