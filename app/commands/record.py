"""`teleop-studio record`: record episodes with no window and return when the dataset is committed.

Flags are named like lerobot-record's where they mean the same (episodes, episode/reset time, task,
fps, resume, video encoding batch size). Ctrl-C ends the session: takes already recorded are kept
and encoded before the command returns; a second Ctrl-C leaves the rest for the next --resume.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

NAME = "record"
HELP = "record episodes on the rig without a window (simulated with --sim); returns when the dataset is committed"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sim", action="store_true", default=argparse.SUPPRESS, help="record on the simulated rig")
    p.add_argument("--repo-id", required=True, help="USER/NAME of the dataset")
    p.add_argument("--root", required=True, type=Path, help="dataset folder (refused if it exists, unless --resume)")
    p.add_argument("--episodes", type=int, default=50, help="number of episodes to record (default 50)")
    p.add_argument("--episode-time-s", type=float, default=60.0, help="time limit of each episode (default 60)")
    p.add_argument("--reset-time-s", type=float, default=60.0, help="reset time between episodes (default 60)")
    p.add_argument("--task", required=True, help='what the robot does, e.g. "pick the red cube"')
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--resume", action="store_true", help="append to the dataset in --root")
    p.add_argument("--video-encoding-batch-size", type=int, default=1,
                   help="encode videos once this many episodes are recorded (default 1)")
    p.add_argument("--vcodec", default="libsvtav1", choices=["libsvtav1", "h264", "hevc"], help="video codec")
    p.add_argument("--cameras", type=int, default=2, help="simulated cameras (default 2)")
    p.add_argument("--width", type=int, default=640, help="simulated camera width")
    p.add_argument("--height", type=int, default=480, help="simulated camera height")
    p.add_argument("--discard-interrupted", action="store_true",
                   help="discard takes interrupted by a crash instead of keeping them up to their last frame")
    p.add_argument("--push-to-hub", action="store_true",
                   help="push the dataset to the Hub as --repo-id once it is committed (see `teleop-studio push`)")
    p.add_argument("--private", action="store_true", help="with --push-to-hub: create the repo as private")


def _fail(msg: str) -> int:
    print(f"teleop-studio record: {msg}", file=sys.stderr)
    return 2


def run(args) -> int:
    from app.recording.config import SessionConfig

    root: Path = args.root.expanduser()
    cfg = SessionConfig(root=root, repo_id=args.repo_id, task=args.task, fps=args.fps, episodes=args.episodes,
                        episode_time_s=args.episode_time_s, reset_time_s=args.reset_time_s, resume=args.resume,
                        video_encoding_batch_size=args.video_encoding_batch_size)
    problems = cfg.problems()
    if problems:
        return _fail("; ".join(problems))
    has_dataset = (root / "meta" / "info.json").exists()
    if root.exists() and any(root.iterdir()) and not args.resume:
        return _fail(f"{root} already exists{' and holds a dataset' if has_dataset else ''}.\n"
                     f"  Pass --resume to append episodes to it, or choose a new --root.")
    if args.resume and root.exists() and any(root.iterdir()) and not has_dataset:
        return _fail(f"{root} is not a dataset (meta/info.json is missing); nothing to resume")
    return _record(args, cfg, has_dataset)


def _record(args, cfg, has_dataset: bool) -> int:
    from PySide6.QtCore import QCoreApplication, QTimer

    from app.dataset.errors import DatasetError
    from app.dataset.video import VideoSettings
    from app.encoding.workers import EncodeWorkers
    from app.recording.session import State
    from app.recording.setup import open_recording
    from app.rig.rig import build_sim_rig, detect_rig

    kw = dict(n_cameras=args.cameras, width=args.width, height=args.height, fps=cfg.fps)
    rig = build_sim_rig(**kw) if getattr(args, "sim", False) else detect_rig(**kw)
    # a new dataset gets --vcodec; an existing one keeps encoding as it was encoded
    video = None if has_dataset and args.vcodec == "libsvtav1" else VideoSettings(codec=args.vcodec)
    try:
        setup = open_recording(rig, cfg, decide=lambda s: not args.discard_interrupted, video=video)
    except (DatasetError, ValueError) as exc:
        rig.stop()
        return _fail(str(exc))
    writer, queue, session = setup.writer, setup.queue, setup.session

    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    for line in setup.recovery.lines():
        print(f"recovery: {line}", flush=True)
    workers = EncodeWorkers(queue, count=1)
    t0 = time.monotonic()

    def on_event(event: str, data) -> None:
        n, total = session.episode_number, cfg.episodes
        if event == "state":
            if data == State.RECORDING:
                print(f"recording episode {n} of {total}: {session.task}", flush=True)
            elif data == State.RESET:
                print(f"reset ({cfg.reset_time_s:g} s) before episode {n} of {total}", flush=True)
            elif data == State.DONE:
                print(f"session ended with {session.kept} episode(s) kept; encoding...", flush=True)
        elif event == "take_kept":
            print(f"episode {data.number} stopped ({data.reason})", flush=True)
        elif event == "take_submitted":
            h = data.health
            print(f"episode {data.number}: {h.summary()}" + (f"\n  WARNING {h.warning}" if h.warning else ""),
                  flush=True)
        elif event == "take_discarded":
            print(f"episode {data.number} discarded", flush=True)
        elif event in ("disk_low", "disk_full"):
            print(f"{'WARNING' if event == 'disk_low' else 'DISK FULL'}: {data.message()}", flush=True)
        elif event == "error":
            print(f"ERROR: {data}", flush=True)

    session.add_observer(on_event)
    interrupts = {"n": 0}

    def on_sigint(*_):
        interrupts["n"] += 1
        if interrupts["n"] == 1:
            print("ending the session (Ctrl-C again to stop without waiting for encoding)", flush=True)
            QTimer.singleShot(0, session.end)
        else:
            QTimer.singleShot(0, app.quit)

    old = signal.signal(signal.SIGINT, on_sigint)
    phase = {"flushed": False}

    def poll() -> None:
        session.poll()
        if not session.finished.is_set():
            return
        if not phase["flushed"]:
            if not session.wait_takes(0.0):
                return
            queue.flush()
            phase["flushed"] = True
        if queue.wait_idle(0.0):
            app.quit()

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(50)
    workers.start()
    rig.start()
    session.start()
    try:
        app.exec()
    finally:
        signal.signal(signal.SIGINT, old)
        timer.stop()
        session.close()
        rig.stop()
        session.wait_takes(5.0)
        workers.stop()
        writer.close()
    counts = queue.counts()
    failed = counts.get("failed", 0)
    print(f"dataset at {cfg.root}: {writer.total_episodes} episode(s) committed"
          f" ({time.monotonic() - t0:.0f} s)" + (f"; {failed} take(s) failed to encode" if failed else ""),
          flush=True)
    if session.last_error:
        print(f"last error: {session.last_error}", file=sys.stderr)
    code = 1 if failed or not phase["flushed"] else 0
    if code == 0 and getattr(args, "push_to_hub", False):
        from app.commands.push import push_dataset

        code = push_dataset(cfg.root, cfg.repo_id, private=args.private)
    return code
