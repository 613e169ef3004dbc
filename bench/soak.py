"""Soak: a long recording session on the simulated rig, looking for leaks and late frames.

The simulated operator records take after take (episode, short reset, next) with the AV1 encode
queue committing in the background, for --minutes of wall time. Sped up where it is honest: resets
are short (the operator never idles) and episodes follow each other back to back; cameras, teleop loop,
spool, encoder and commits all run in real time as in a session.

The cameras film camera-like content (bench/camera_like.py) unless --content synthetic.

Growth compares like with like: the same state at the start and at the end. After the warm-up takes
(1-2: caches, encoder pool, first files) and again after the last take, the soak waits until the queue
has committed everything and nothing is encoding, with the rig still running and no take open, and
reads RSS, OS threads (Python's own too) and open file handles there (median of 5 readings over 1 s).
Growth is end minus start. Samples every second are kept too, each take summarised by its minimum,
to show the trend over the run.

Targets (issue 12): RSS growth <= 50 MB, thread and file-handle counts flat, frames on time >= 99.9 %.

Usage: python bench/soak.py [--minutes 60] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.camera_like import CONTENTS, build_bench_rig  # noqa: E402

WARM_UP_TAKES = 2


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--episode-s", type=float, default=20.0)
    ap.add_argument("--reset-s", type=float, default=2.0)
    ap.add_argument("--cameras", type=int, default=2)
    ap.add_argument("--width", type=int, default=320)
    ap.add_argument("--height", type=int, default=240)
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--json", type=Path, help="write the figures to this JSON file")
    ap.add_argument("--content", choices=CONTENTS, default="camera-like", help="what the cameras film")
    ap.add_argument("--tracemalloc", type=int, default=0, metavar="N",
                    help="diagnose RSS growth: print the N source lines whose Python allocations grew most "
                         "between the two settled states (slows Python down; not for the figures)")
    a = ap.parse_args()
    episode_s = min(a.episode_s, max(3.0, a.minutes * 60 / 4))  # short runs still see >= 4 takes
    n_takes = max(4, math.ceil(a.minutes * 60 / (episode_s + a.reset_s)))

    from PySide6.QtCore import QCoreApplication

    from app.encoding.workers import EncodeWorkers
    from app.recording.config import SessionConfig
    from app.recording.session import State
    from app.studio import open_recording

    app = QCoreApplication.instance() or QCoreApplication([])  # noqa: F841 - QThreads want one
    tmp = tempfile.TemporaryDirectory(prefix="soak-")
    root = Path(tmp.name) / "ds"
    rig = build_bench_rig(a.content, a.cameras, a.width, a.height, a.fps)
    # the time limit is a safety net: the simulated operator presses Next just before it
    cfg = SessionConfig(root=root, repo_id="bench/soak", task="pick the cube", fps=a.fps, episodes=n_takes + 1,
                        episode_time_s=episode_s + 2, reset_time_s=a.reset_s + 60)
    setup = open_recording(rig, cfg)
    s, queue = setup.session, setup.queue
    s.add_observer(lambda e, d: queue.set_throttled(d == State.RECORDING) if e == "state" else None)
    workers = EncodeWorkers(queue)
    workers.start()
    proc = psutil.Process()
    peak = {"rss": 0}
    stop = threading.Event()
    samples: list[dict] = []
    current = {"take": 0}

    def watch() -> None:
        t0 = time.monotonic()
        while not stop.wait(1.0):
            rss = proc.memory_info().rss
            peak["rss"] = max(peak["rss"], rss)
            samples.append({"t": round(time.monotonic() - t0, 1), "take": current["take"], "rss_mb": rss / 1e6,
                            "threads": proc.num_threads(), "py_threads": threading.active_count(),
                            "fds": proc.num_fds()})

    threading.Thread(target=watch, daemon=True).start()

    def settled() -> dict:
        """The state compared at start and end: in a reset (the last take held, as the session holds it for
        trimming or trashing until the next starts), everything before it committed, nothing encoding."""
        s.wait_takes(30)
        queue.flush()
        queue.wait_idle(timeout=1800)
        time.sleep(0.5)
        reads = []
        for _ in range(5):
            reads.append({"rss_mb": proc.memory_info().rss / 1e6, "threads": proc.num_threads(),
                          "py_threads": threading.active_count(), "fds": proc.num_fds()})
            time.sleep(0.2)
        if a.tracemalloc:
            snaps.append(tracemalloc.take_snapshot())
        return {k: statistics.median(r[k] for r in reads) for k in reads[0]}

    snaps: list = []
    if a.tracemalloc:
        tracemalloc.start(8)

    state: dict[str, dict] = {}
    print(f"soak: {a.minutes:g} min, takes of {episode_s:g} s + {a.reset_s:g} s resets, {a.cameras} cameras "
          f"{a.width}x{a.height}@{a.fps} ({a.content}), AV1 queue in the background; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    rig.start()
    time.sleep(1.0)
    takes = []  # each take's health only: holding the recorders would add the harness's own growth
    t_begin = time.monotonic()
    for ep in range(n_takes):
        s.start() if ep == 0 else s.skip_reset()
        current["take"] = ep + 1
        take = s._current
        time.sleep(episode_s)
        last = ep == n_takes - 1 or time.monotonic() - t_begin >= a.minutes * 60 - a.reset_s
        s.next()  # the last take too: the end state is read in a reset, as the start state was
        take.wait(10.0)
        takes.append(take.health)
        cams = take.health.cameras.values()
        m = _take_min(samples, ep + 1)
        print(f"take {ep + 1}: {sum(c.captured for c in cams)}/{sum(c.expected for c in cams)} frames; minimum "
              f"RSS {m.get('rss_mb', 0):.0f} MB, threads {m.get('threads')} (Python {m.get('py_threads')}), "
              f"fds {m.get('fds')}; backlog {queue.backlog().episodes}", flush=True)
        if last:
            break
        if ep + 1 == WARM_UP_TAKES:
            state["start"] = settled()
            print(f"settled state after the warm-up takes: {state['start']}", flush=True)
        time.sleep(a.reset_s)
    wall = time.monotonic() - t_begin
    state["end"] = settled()
    print(f"settled state at the end: {state['end']}", flush=True)
    if len(snaps) == 2:
        print(f"Python allocations grown most between the settled states (tracemalloc, top {a.tracemalloc}):")
        for stat in snaps[1].compare_to(snaps[0], "traceback")[:a.tracemalloc]:
            print(f"  {stat.size_diff / 1e6:+8.2f} MB {stat.count_diff:+7d} blocks  "
                  + " <- ".join(f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno}" for f in stat.traceback[:4]))
    s.end()  # hands over the take held through the reset
    s.wait_takes(30)
    queue.flush()
    drained = queue.wait_idle(timeout=1800)
    stop.set()
    rig.stop()
    workers.stop()
    committed = setup.writer.total_episodes
    setup.writer.close()

    from app.dataset.validate import validate

    valid = validate(root, decode_videos=False).ok
    tmp.cleanup()
    expected = sum(c.expected for h in takes for c in h.cameras.values())
    captured = sum(c.captured for h in takes for c in h.cameras.values())
    base = state.get("start", state["end"])  # a run too short to settle after warm-up compares nothing
    growth = {k: state["end"][k] - base[k] for k in ("rss_mb", "threads", "py_threads", "fds")}
    later = [x for x in samples if x["take"] >= 2]
    slope = 0.0
    if len(later) > 2 and later[-1]["t"] > later[0]["t"]:
        import numpy as np
        slope = float(np.polyfit([x["t"] for x in later], [x["rss_mb"] for x in later], 1)[0]) * 3600
    out = {
        "minutes": round(wall / 60, 2), "takes": len(takes), "committed": committed, "drained": drained,
        "valid": valid, "frames_on_time_pct": round(100 * captured / max(1, expected), 3),
        "frames": [captured, expected],
        "rss_growth_mb": round(growth["rss_mb"], 1), "rss_peak_mb": round(peak["rss"] / 1e6),
        "rss_trend_mb_per_h": round(slope, 1),
        "threads_growth": growth["threads"], "py_threads_growth": growth["py_threads"], "fds_growth": growth["fds"],
        "content": a.content, "settled_start": base, "settled_end": state["end"],
        "per_take_min": [_take_min(samples, i) for i in range(1, len(takes) + 1)],
    }
    print(f"\nsoak: {out['minutes']:.1f} min, {len(takes)} takes, {committed} committed "
          f"({'drained' if drained else 'NOT drained'}, dataset {'valid' if valid else 'INVALID'})")
    print(f"frames on time: {captured}/{expected} = {out['frames_on_time_pct']:.2f} % (target >= 99.9 %)")
    print(f"RSS growth, settled after warm-up -> settled at the end: {out['rss_growth_mb']:+.1f} MB (target <= 50 MB); "
          f"trend {out['rss_trend_mb_per_h']:+.0f} MB/h; peak {out['rss_peak_mb']} MB")
    print(f"threads growth (same state): {out['threads_growth']:+.0f} "
          f"(Python threads {out['py_threads_growth']:+.0f}); open files growth: {out['fds_growth']:+.0f} "
          "(target: flat)")
    if a.json:
        a.json.write_text(json.dumps(out, indent=1))
    return 0


def _take_min(samples: list[dict], take: int) -> dict:
    rows = [x for x in samples if x["take"] == take] or samples[-1:] or [{}]
    return {k: min(x[k] for x in rows) for k in ("rss_mb", "threads", "py_threads", "fds") if k in rows[0]}


if __name__ == "__main__":
    sys.exit(main())
