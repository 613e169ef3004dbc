"""`teleop-studio record`: record episodes with no window and return when the dataset is committed.

Flags are named like lerobot-record's where they mean the same (episodes, episode/reset time, task,
fps, resume, video encoding batch size). Ctrl-C (or SIGTERM) ends the session: takes already recorded
are kept and encoded before the command returns; a second one leaves the rest for the next --resume.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

NAME = "record"
HELP = "record episodes on the rig without a window (simulated with --sim); returns when the dataset is committed"


# shared with the lab launcher (`teleop-studio --root ... --task ...`, app/cli.py)
DEFAULTS = dict(episodes=50, episode_time_s=60.0, reset_time_s=60.0, fps=30, video_encoding_batch_size=1)


def add_session_arguments(p, required: bool) -> None:
    """The session flags `record` and the lab launcher share, with the same defaults."""
    p.add_argument("--repo-id", required=required, help="USER/NAME of the dataset")
    p.add_argument("--root", required=required, type=Path, help="dataset folder")
    p.add_argument("--task", required=required, help='what the robot does, e.g. "pick the red cube"')
    p.add_argument("--episodes", type=int, default=DEFAULTS["episodes"],
                   help=f"number of episodes to record (default {DEFAULTS['episodes']})")
    p.add_argument("--episode-time-s", type=float, default=DEFAULTS["episode_time_s"],
                   help="time limit of each episode (default 60)")
    p.add_argument("--reset-time-s", type=float, default=DEFAULTS["reset_time_s"],
                   help="reset time between episodes (default 60)")
    p.add_argument("--fps", type=int, default=DEFAULTS["fps"])
    p.add_argument("--video-encoding-batch-size", type=int, default=DEFAULTS["video_encoding_batch_size"],
                   help="encode videos once this many episodes are recorded (default 1)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sim", action="store_true", default=argparse.SUPPRESS, help="record on the simulated rig")
    add_session_arguments(p, required=True)  # --root is refused if it exists, unless --resume
    p.add_argument("--resume", action="store_true", help="append to the dataset in --root")
    p.add_argument("--vcodec", default="libsvtav1", choices=["libsvtav1", "h264", "hevc"], help="video codec")
    p.add_argument("--cameras", type=int, default=2, help="simulated cameras (default 2)")
    p.add_argument("--bimanual", action="store_true", default=argparse.SUPPRESS,
                   help="with --sim: two SO-101 pairs (bi_so_follower), cameras left_wrist, top, right_wrist")
    p.add_argument("--width", type=int, default=640, help="simulated camera width")
    p.add_argument("--height", type=int, default=480, help="simulated camera height")
    p.add_argument("--discard-interrupted", action="store_true",
                   help="discard takes interrupted by a crash instead of keeping them up to their last frame")
    p.add_argument("--push-to-hub", action="store_true",
                   help="push the dataset to the Hub as --repo-id once it is committed (see `teleop-studio push`)")
    from app.commands.push import add_hub_flags

    add_hub_flags(p)  # --private / --public with --push-to-hub; neither: the owner's default visibility
    from app.commands.lerobot_flags import add_lerobot_flags

    add_lerobot_flags(p)  # lerobot-record's --robot.*, --teleop.*, --dataset.* names


def _fail(msg: str) -> int:
    print(f"teleop-studio record: {msg}", file=sys.stderr)
    return 2


def session_config(args, resume: bool | None):
    """(SessionConfig, problem) from the session flags; the lab launcher shares it (resume=None:
    an existing dataset is appended to)."""
    from app.recording.config import SessionConfig, root_problem

    cfg = SessionConfig(root=args.root.expanduser(), repo_id=args.repo_id, task=args.task, fps=args.fps,
                        episodes=args.episodes, episode_time_s=args.episode_time_s,
                        reset_time_s=args.reset_time_s, resume=bool(resume),
                        video_encoding_batch_size=args.video_encoding_batch_size,
                        vcodec=getattr(args, "vcodec", "") or "")
    problems = cfg.problems()
    return cfg, "; ".join(problems) if problems else root_problem(cfg.root, resume)


def run(args) -> int:
    from app.commands.lerobot_flags import finish_args

    problem = finish_args(args)  # --repo-id/--task under either name; lerobot's default root
    if problem:
        return _fail(problem)
    cfg, problem = session_config(args, resume=args.resume)
    if problem:
        return _fail(problem)
    return _record(args, cfg)


def _record(args, cfg) -> int:
    """Drives app.studio.Studio, the model the window drives: same lifecycle, batches and flushes."""
    from PySide6.QtCore import QCoreApplication, QTimer

    from app.dataset.video import VideoSettings
    from app.recording.session import State
    from app.rig.rig import build_sim_rig, detect_rig
    from app.studio import Studio, StudioError

    has_dataset = (cfg.root / "meta" / "info.json").exists()
    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    kw = dict(n_cameras=args.cameras, width=args.width, height=args.height, fps=cfg.fps)
    sim, bimanual = getattr(args, "sim", False), getattr(args, "bimanual", False)
    from app.commands.lerobot_flags import RigFlagError, rig_from_args, uses_lerobot_rig

    try:  # --robot.port/--teleop.port/--robot.cameras: every device checked before anything is written
        rig = rig_from_args(args) if uses_lerobot_rig(args) else (
            build_sim_rig(**kw) if sim and not bimanual else detect_rig(force_sim=sim, bimanual=bimanual, **kw))
    except RigFlagError as exc:
        return _fail(str(exc))
    studio = Studio(rig)
    # a new dataset gets --vcodec; an existing one keeps encoding as it was encoded
    video = None if has_dataset and args.vcodec == "libsvtav1" else VideoSettings(codec=args.vcodec)
    try:
        report = studio.open_session(cfg, decide=lambda s: not args.discard_interrupted, video=video)
    except StudioError as exc:
        rig.stop()
        return _fail(str(exc))
    session = studio.session
    for line in report.lines():
        print(f"recovery: {line}", flush=True)
    t0 = time.monotonic()
    result = {}

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
            if str(data).startswith("not enough disk space") and session.state != State.RECORDING:
                result["disk"] = True  # no take can start: the clock below ends the session
                # (this may run on the teleop thread, which has no event loop for a QTimer)
        elif event == "session_committed":
            result["done"] = data
            QTimer.singleShot(0, app.quit)

    studio.subscribe(on_event)
    interrupts = {"n": 0}

    def on_sigint(*_):
        interrupts["n"] += 1
        if interrupts["n"] == 1:
            print("ending the session (Ctrl-C again to stop without waiting for encoding; the rest is "
                  "encoded by the next --resume)", flush=True)
            QTimer.singleShot(0, lambda: studio.command("end"))
        else:
            QTimer.singleShot(0, app.quit)

    status = session.guard.status()
    if status.full:  # refuse before the first take rather than wait for space that never comes
        studio.shutdown(5.0)
        rig.stop()
        return _fail(f"not enough disk space to record: {status.message()}; free some space and run again")
    old = signal.signal(signal.SIGINT, on_sigint)
    old_term = signal.signal(signal.SIGTERM, on_sigint)  # a service stop ends the session like Ctrl-C
    timer = QTimer()
    timer.timeout.connect(lambda: "disk" in result and studio.command("end"))  # ignored once ended
    timer.timeout.connect(studio.poll)
    timer.start(50)
    rig.start()
    studio.command("start")
    writer = studio.current.writer
    try:
        app.exec()
    finally:
        signal.signal(signal.SIGINT, old)
        signal.signal(signal.SIGTERM, old_term)
        timer.stop()
        committed = writer.total_episodes
        studio.shutdown(5.0)  # stops the workers, releases the dataset (what is left: next --resume)
        rig.stop()
    failed = result["done"].failed if "done" in result else 0
    print(f"dataset at {cfg.root}: {committed} episode(s) committed"
          f" ({time.monotonic() - t0:.0f} s)" + (f"; {failed} take(s) failed to encode" if failed else ""),
          flush=True)
    if session.last_error:
        print(f"last error: {session.last_error}", file=sys.stderr)
    code = 1 if failed or "done" not in result or "disk" in result else 0
    if code == 0 and getattr(args, "push_to_hub", False):
        from app.commands.push import push_dataset, visibility

        code = push_dataset(cfg.root, cfg.repo_id, private=visibility(args))
    return code
