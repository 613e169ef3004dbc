"""`teleop-studio replay ROOT_OR_REPO_ID --episode N`: play a recorded episode's actions on the follower at
the dataset's fps, as lerobot-replay does (its --robot.* and --dataset.* names work too).

Ctrl-C stops the motion where it is; the arm then holds that pose with its torque on until Enter (or a
second Ctrl-C) switches the torque off. Without --robot.port, the simulated follower plays it.
"""

from __future__ import annotations

import argparse
import sys
import time

NAME = "replay"
HELP = "replay a recorded episode's actions on the follower arm (simulated without --robot.port)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", nargs="?", help="dataset folder or Hub repo id (USER/NAME)")
    p.add_argument("--episode", type=int, help="episode index (0-based)")
    p.add_argument("--robot.port", "--port", dest="robot_port", help="serial port of the follower arm")
    p.add_argument("--robot.id", dest="robot_id", default="follower", help="calibration id of the follower")
    p.add_argument("--robot.type", dest="robot_type", choices=("so100_follower", "so101_follower"),
                   help=argparse.SUPPRESS)
    p.add_argument("--dataset.repo_id", dest="dataset_repo_id", help=argparse.SUPPRESS)  # lerobot-replay's names
    p.add_argument("--dataset.root", dest="dataset_root", help=argparse.SUPPRESS)
    p.add_argument("--dataset.episode", dest="episode", type=int, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    p.add_argument("--hold", type=float, default=None, metavar="SECONDS",
                   help="hold the last pose this long, then switch torque off (default: until Enter)")


def _fail(msg: str) -> int:
    print(f"teleop-studio replay: {msg}", file=sys.stderr)
    return 2


def run(args) -> int:
    from app.hub.errors import explain
    from app.rig.arm import ArmError
    from app.rig.replay import DEFAULT_MAX_STEP_DEG, Replay, load_episode_actions

    source = args.source or getattr(args, "dataset_root", None) or getattr(args, "dataset_repo_id", None)
    if not source or args.episode is None:
        return _fail("say what to replay: teleop-studio replay ROOT_OR_REPO_ID --episode N")
    try:
        ep = load_episode_actions(source, args.episode)
    except Exception as exc:  # a clear sentence, never a traceback
        return _fail(explain(exc, source))
    follower, sim = _follower(args)
    try:
        try:
            follower.connect()
        except (ArmError, OSError) as exc:
            return _fail(f"follower arm on {follower.port} does not answer: {exc}")
        print(f"replaying episode {ep.episode} of {source}: {len(ep.actions)} steps at {ep.fps} fps "
              f"({len(ep.actions) / ep.fps:.1f} s); Ctrl-C stops", flush=True)
        replay = Replay(follower, ep.actions, ep.fps, DEFAULT_MAX_STEP_DEG).start()
        try:
            while not replay.wait(0.1):
                pass
        except KeyboardInterrupt:
            replay.stop()
            replay.wait(2.0)
        if replay.error:
            return _fail(f"stopped at step {replay.index}: {replay.error}")
        how = "stopped" if replay.stopped else "done"
        print(f"{how} after {replay.index} of {replay.total} steps; the arm holds its pose (torque on)", flush=True)
        _hold(args.hold)
        return 0
    finally:
        follower.disconnect()
        if sim is not None:
            sim.close()


def _follower(args):
    from app.rig.so101_arm import FeetechArm

    if args.robot_port:
        return FeetechArm("follower", "follower", args.robot_port, arm_id=args.robot_id), None
    from app.rig.sim_servo_process import SimServoProcess

    sim = SimServoProcess("follower")
    sim.wait_ready()
    print(f"no --robot.port: replaying on the simulated follower ({sim.port})", flush=True)
    return FeetechArm("follower", "follower", sim.port, calibration=sim.factory_calibration(), timeout=0.05), sim


def _hold(seconds: float | None) -> None:
    try:
        if seconds is not None:
            time.sleep(seconds)
            return
        print("press Enter to switch the torque off and exit", flush=True)
        sys.stdin.readline()
    except (KeyboardInterrupt, OSError, ValueError):
        pass
