"""SIGKILL trials: `teleop-studio record --sim` killed at random moments, relaunched, checked.

Each trial starts the real CLI (tiny frames, 2 simulated cameras, the default AV1 codec) on a dataset
that grows over a series of trials, kills it with SIGKILL at a random moment of a recording, a reset or
an encoding, then relaunches it with --resume (one more short take). After the relaunch:

- every take the killed run had stopped, every take it left on disk (stopped, or interrupted and cut
  at its last complete frame by recovery) and every episode committed before is in the dataset,
  each exactly once (.studio/commits.json maps each take to one episode index, and those indexes are
  0..total_episodes-1 with no gaps and no repeats);
- nothing is left in the spool;
- the dataset passes the validator (`teleop-studio check` itself as a subprocess every
  --cli-check-every trials and at the end of each series; the same `validate()` in-process otherwise).

Usage: python bench/kill_trials.py [--trials 100] [--seed 1] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PHASES = ("recording", "reset", "encoding")
SMALL = ["--sim", "--repo-id", "bench/kill", "--task", "pick the cube", "--fps", "30", "--cameras", "2",
         "--width", "64", "--height", "64"]


@dataclass
class Trial:
    number: int
    target: str  # the phase aimed at
    hit: str = ""  # the phase the kill landed in (from the journal and the last line printed)
    stopped_printed: int = 0  # "episode N stopped" lines of the killed run
    left_stopped: int = 0  # complete spools left on disk by the kill
    left_interrupted: int = 0  # spools of a take being recorded when killed
    episodes_after: int = 0
    ok: bool = False
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _env() -> dict:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}


CONTENT = {"content": "camera-like"}  # what the simulated cameras film (--content)


def record_cmd(root: Path, *extra: str) -> list[str]:
    entry = [str(REPO / "bench" / "camera_like_cli.py")] if CONTENT["content"] == "camera-like" else ["-m", "app"]
    return [sys.executable, *entry, "--log-level", "WARNING", "record", "--root", str(root), *SMALL, *extra]


def sources(root: Path) -> dict[str, int]:
    try:
        return json.loads((root / ".studio" / "commits.json").read_text())["sources"]
    except (OSError, ValueError, KeyError):
        return {}


def journal_states(root: Path) -> list[str]:
    try:
        return [e["state"] for e in json.loads((root / ".studio" / "queue.json").read_text())["entries"]]
    except (OSError, ValueError, KeyError):
        return []


def _wait_line(lines: list[str], done: threading.Event, pred, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if any(pred(x) for x in list(lines)):
            return True
        if done.is_set():
            return False
        time.sleep(0.002)
    return False


def kill_run(root: Path, rng: random.Random, target: str) -> tuple[list[str], str]:
    """Run `record` and SIGKILL it at a random moment of the target phase. Returns (stdout lines, hit)."""
    episodes = rng.randint(2, 3)
    ep_s, reset_s = rng.uniform(0.3, 0.8), rng.uniform(0.2, 0.6)
    batch = rng.randint(1, 3)
    args = ["--episodes", str(episodes), "--episode-time-s", f"{ep_s:.2f}", "--reset-time-s", f"{reset_s:.2f}",
            "--video-encoding-batch-size", str(batch)]
    if (root / "meta" / "info.json").exists():
        args.append("--resume")
    p = subprocess.Popen(record_cmd(root, *args), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, env=_env())
    lines: list[str] = []
    done = threading.Event()

    def read():
        for line in p.stdout:
            lines.append(line.rstrip("\n"))
        done.set()

    threading.Thread(target=read, daemon=True).start()
    states: list[str] = []
    try:
        if target == "recording":
            k = rng.randint(1, episodes)
            if _wait_line(lines, done, lambda x: x.startswith(f"recording episode {k} of"), 60):
                time.sleep(rng.uniform(0, ep_s))
        elif target == "reset":
            k = rng.randint(1, episodes - 1)
            if _wait_line(lines, done, lambda x: x.startswith("reset (") and f"before episode {k + 1} " in x, 60):
                time.sleep(rng.uniform(0, reset_s))
        else:  # encoding: wait until the journal shows an entry being encoded or verified
            end = time.monotonic() + 60
            while time.monotonic() < end and not done.is_set():
                if any(s in ("encoding", "verifying") for s in journal_states(root)):
                    time.sleep(rng.uniform(0, 0.05))
                    break
                time.sleep(0.001)
        states = journal_states(root)
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
        p.wait(30)
    done.wait(5)
    return lines, _phase_hit(lines, states, p.returncode)


def _phase_hit(lines: list[str], states: list[str], rc: int) -> str:
    """Where the kill landed: the session phase from the last line printed, "+encoding" when the journal
    had a take being encoded or verified at that moment (encoding runs alongside takes and resets)."""
    if rc != -signal.SIGKILL:
        return "after exit"  # the run finished before the kill
    phase = "start-up"
    for line in reversed(lines):
        if line.startswith("recording episode"):
            phase = "recording"
        elif line.startswith("reset ("):
            phase = "reset"
        elif line.startswith("session ended"):
            phase = "end of session"
        else:
            continue
        break
    return phase + ("+encoding" if any(s in ("encoding", "verifying") for s in states) else "")


def check_cli(root: Path) -> tuple[int, str]:
    r = subprocess.run([sys.executable, "-m", "app", "--log-level", "WARNING", "check", str(root)], cwd=REPO,
                       capture_output=True, text=True, env=_env(), timeout=300)
    return r.returncode, (r.stdout + r.stderr).strip()


def run_trial(root: Path, number: int, target: str, rng: random.Random, cli_check: bool) -> Trial:
    from app.dataset.reader import DatasetReader
    from app.dataset.validate import validate
    from app.recording.spool import scan_spools

    t0 = time.monotonic()
    tr = Trial(number, target)
    lines, tr.hit = kill_run(root, rng, target)
    tr.stopped_printed = sum(1 for x in lines if x.startswith("episode ") and " stopped (" in x)
    before = sources(root)
    left = scan_spools(root)
    committed_before = set(before)
    kept = {s.id for s in left if s.id not in committed_before and (s.complete and s.length > 0
                                                                       or not s.complete and s.recorded_length > 0)}
    tr.left_stopped = sum(1 for s in left if s.complete and s.id not in committed_before)
    tr.left_interrupted = sum(1 for s in left if not s.complete)
    if not (root / "meta" / "info.json").exists() and not committed_before:
        # killed before the dataset existed: the relaunch must create it (no --resume on an empty root)
        extra = []
    else:
        extra = ["--resume"]
    r = subprocess.run(record_cmd(root, "--episodes", "1", "--episode-time-s", "0.2", "--reset-time-s", "0",
                                  *extra), cwd=REPO, capture_output=True, text=True, env=_env(), timeout=300)
    if r.returncode != 0:
        tr.problems.append(f"relaunch exit {r.returncode}: {(r.stderr or r.stdout).strip()[-300:]}")
    after = sources(root)
    missing = (committed_before | kept) - set(after)
    if missing:
        tr.problems.append(f"{len(missing)} take(s) lost: {sorted(missing)}")
    new_in_killed_run = len(kept) + sum(1 for s in committed_before if s not in _series_seen(root))
    _remember(root, committed_before)
    if tr.stopped_printed > new_in_killed_run:
        tr.problems.append(f"the killed run reported {tr.stopped_printed} stopped take(s) but only "
                           f"{new_in_killed_run} reached the dataset or its spool")
    try:
        info = DatasetReader(root).info
        tr.episodes_after = info["total_episodes"]
    except Exception as exc:  # noqa: BLE001 - reported as a failed trial
        tr.problems.append(f"dataset unreadable: {exc}")
        info = None
    indexes = sorted(after.values())
    if indexes != list(range(len(indexes))) or (info and info["total_episodes"] != len(indexes)):
        tr.problems.append(f"episodes not exactly once: take->episode {indexes}, "
                           f"total_episodes {info and info['total_episodes']}")
    expected = len(committed_before | kept) + (1 if r.returncode == 0 else 0)
    if info and info["total_episodes"] != expected:
        tr.problems.append(f"{info['total_episodes']} episodes, expected {expected}")
    if scan_spools(root):
        tr.problems.append(f"{len(scan_spools(root))} spool(s) left after the relaunch")
    if cli_check:
        rc, out = check_cli(root)
        if rc != 0:
            tr.problems.append(f"teleop-studio check exit {rc}: {out[-400:]}")
    else:
        rep = validate(root)
        if not rep.ok:
            tr.problems.append("invalid: " + "; ".join(rep.errors)[:400])
    _remember(root, set(after))
    tr.ok = not tr.problems
    tr.seconds = time.monotonic() - t0
    return tr


_SEEN: dict[Path, set[str]] = {}


def _series_seen(root: Path) -> set[str]:
    return _SEEN.setdefault(root, set())


def _remember(root: Path, ids: set[str]) -> None:
    _series_seen(root).update(ids)


def run_trials(n: int, seed: int, work: Path, series: int = 10, cli_check_every: int = 5,
               progress=print) -> list[Trial]:
    rng = random.Random(seed)
    out: list[Trial] = []
    for i in range(n):
        root = work / f"series-{i // series:03d}"
        last_of_series = i % series == series - 1 or i == n - 1
        target = PHASES[i % len(PHASES)] if i < len(PHASES) else rng.choice(PHASES)
        tr = run_trial(root, i + 1, target, rng, cli_check=last_of_series or (i + 1) % cli_check_every == 0)
        out.append(tr)
        progress(f"trial {tr.number:3d}: aimed at {tr.target:9s} hit {tr.hit:24s} stopped {tr.stopped_printed} "
                 f"left {tr.left_stopped}+{tr.left_interrupted} interrupted -> {tr.episodes_after:3d} episodes "
                 f"{'ok' if tr.ok else 'FAILED: ' + '; '.join(tr.problems)} ({tr.seconds:.1f} s)")
    return out


def summary(trials: list[Trial]) -> dict:
    hits = Counter(t.hit for t in trials)
    return {"trials": len(trials), "passed": sum(t.ok for t in trials), "failed": sum(not t.ok for t in trials),
            "hits": dict(hits), "stopped_printed": sum(t.stopped_printed for t in trials),
            "interrupted_recovered": sum(t.left_interrupted for t in trials),
            "seconds": round(sum(t.seconds for t in trials), 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--series", type=int, default=10, help="trials on the same growing dataset")
    ap.add_argument("--cli-check-every", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one, deleted)")
    ap.add_argument("--json", type=Path, help="write the figures to this JSON file")
    ap.add_argument("--content", choices=("camera-like", "synthetic"), default="camera-like",
                    help="what the simulated cameras film (bench/camera_like.py, or the rig's flat scene)")
    args = ap.parse_args()
    CONTENT["content"] = args.content
    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="kill-trials-")
    work = args.keep or Path(tmp.name)
    print(f"{args.trials} SIGKILL trials of `teleop-studio record --sim` (2 cameras 64x64, {args.content}, AV1), "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
    trials = run_trials(args.trials, args.seed, work, args.series, args.cli_check_every,
                        progress=lambda s: print(s, flush=True))
    s = summary(trials)
    print(f"\nkill trials: {s['passed']}/{s['trials']} passed; kills landed in "
          + ", ".join(f"{k} {v}" for k, v in sorted(s["hits"].items()))
          + f"; {s['stopped_printed']} stopped takes reported by killed runs, all present exactly once"
          if not s["failed"] else f"\nkill trials: {s['passed']}/{s['trials']} passed, {s['failed']} FAILED")
    print(f"total {s['seconds']:.0f} s")
    if args.json:
        failures = [asdict(t) for t in trials if not t.ok]
        args.json.write_text(json.dumps({**s, "content": args.content, "failures": failures}, indent=1))
    if tmp is not None:
        tmp.cleanup()
    return 0 if not s["failed"] else 1


if __name__ == "__main__":
    sys.exit(main())
