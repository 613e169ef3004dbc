"""lerobot-record's command line for `teleop-studio record`: the rig flags (--robot.*, --teleop.*) and the
dataset flags (--dataset.*) as aliases of the studio's own names, and the rig those flags describe.

    teleop-studio record --robot.type=so101_follower --robot.port=/dev/ttyACM0 --robot.id=blue \\
        --robot.cameras="{ front: {type: opencv, index_or_path: 0, width: 640, height: 480, fps: 30}}" \\
        --teleop.type=so101_leader --teleop.port=/dev/ttyACM1 --teleop.id=red \\
        --dataset.repo_id=user/test --dataset.num_episodes=5 --dataset.single_task="Grab the cube"

`--flag value` and `--flag=value` both work (argparse). `index_or_path` may be a video file (played as
a camera at its configured fps, looped). With no --robot.port/--teleop.port the arms are simulated;
with no --robot.cameras, so are the cameras. Before anything is written, every arm is connected and
every camera opened once: one that does not answer is named in a one-line error.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import yaml

# lerobot name -> (studio dest, studio flag, type)
_BOOL = "bool"
DATASET_ALIASES = {
    "repo_id": ("repo_id", "--repo-id", str), "root": ("root", "--root", Path),
    "num_episodes": ("episodes", "--episodes", int), "single_task": ("task", "--task", str),
    "episode_time_s": ("episode_time_s", "--episode-time-s", float),
    "reset_time_s": ("reset_time_s", "--reset-time-s", float), "fps": ("fps", "--fps", int),
    "video_encoding_batch_size": ("video_encoding_batch_size", "--video-encoding-batch-size", int),
    "push_to_hub": ("push_to_hub", "--push-to-hub", _BOOL), "private": ("private", "--private", _BOOL),
}
# lerobot-record flags that change nothing here (display, sounds, its own encoder tuning): accepted, ignored
IGNORED = ("display_data", "play_sounds", "dataset.streaming_encoding", "dataset.encoder_threads",
           "dataset.vcodec", "dataset.num_image_writer_processes", "dataset.num_image_writer_threads_per_camera",
           "dataset.video", "dataset.tags", "robot.disable_torque_on_disconnect", "robot.max_relative_target",
           "robot.use_degrees", "teleop.use_degrees")
ROBOT_TYPES = ("so100_follower", "so101_follower", "bi_so_follower")  # bimanual: app/commands/lerobot_bimanual.py
TELEOP_TYPES = ("so100_leader", "so101_leader", "bi_so_leader")


class RigFlagError(ValueError):
    """A rig flag or a device named by one is wrong; the message names it."""


def _bool(text: str) -> bool:
    value = str(text).strip().lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not {text!r}")


def add_lerobot_flags(p: argparse.ArgumentParser) -> None:
    """Add lerobot-record's names (once). Call after the studio's own arguments are defined."""
    if p.get_default("_lerobot_flags"):
        return
    p.set_defaults(_lerobot_flags=True)
    for name, (dest, studio, kind) in DATASET_ALIASES.items():
        extra = dict(nargs="?", const=True, type=_bool) if kind is _BOOL else dict(type=kind)
        p.add_argument(f"--dataset.{name}", dest=dest, default=argparse.SUPPRESS, help=f"same as {studio}", **extra)
    p.add_argument("--robot.type", dest="robot_type", choices=ROBOT_TYPES, help="lerobot's follower type")
    p.add_argument("--robot.port", dest="robot_port", help="serial port of the follower arm")
    p.add_argument("--robot.id", dest="robot_id", help="calibration id of the follower (lerobot's file name)")
    p.add_argument("--robot.cameras", dest="robot_cameras", metavar="DICT",
                   help='cameras in lerobot\'s syntax: "{ front: {type: opencv, index_or_path: 0, width: 640, '
                        'height: 480, fps: 30}}"; index_or_path may be a video file')
    p.add_argument("--teleop.type", dest="teleop_type", choices=TELEOP_TYPES, help="lerobot's leader type")
    p.add_argument("--teleop.port", dest="teleop_port", help="serial port of the leader arm")
    p.add_argument("--teleop.id", dest="teleop_id", help="calibration id of the leader")
    from app.commands.lerobot_bimanual import add_bimanual_flags

    add_bimanual_flags(p)
    for name in IGNORED:
        p.add_argument(f"--{name}", dest=f"ignored_{name.replace('.', '_')}", nargs="?", default=argparse.SUPPRESS,
                       help=argparse.SUPPRESS)
    # the studio's required dataset flags may now come under lerobot's names: finish_args checks them
    for action in p._actions:  # argparse has no public way to relax `required` once an argument exists
        if action.dest in ("repo_id", "root", "task"):
            action.required = False


def lerobot_home() -> Path:
    """Where lerobot-record puts a dataset given no --dataset.root: $HF_LEROBOT_HOME/<repo_id>."""
    if os.environ.get("HF_LEROBOT_HOME"):
        return Path(os.environ["HF_LEROBOT_HOME"]).expanduser()
    hf_home = os.environ.get("HF_HOME") or Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")) / "huggingface"
    return Path(hf_home).expanduser() / "lerobot"


def finish_args(args) -> str | None:
    """After parsing: the required dataset flags under either name, lerobot's default root. Returns a
    sentence for the user when something is missing, else None."""
    missing = [f"{studio} (--dataset.{name})" for name, (dest, studio, _) in DATASET_ALIASES.items()
               if dest in ("repo_id", "task") and not getattr(args, dest, None)]
    if missing:
        return "missing " + ", ".join(missing)
    if getattr(args, "root", None) is None:
        args.root = lerobot_home() / args.repo_id
    if getattr(args, "push_to_hub", None) is None:
        args.push_to_hub = False
    # private stays None unless --private/--public/--dataset.private is given: the owner's default
    return None


def parse_cameras(text: str | None, default_fps: int = 30):
    """lerobot's --robot.cameras dict -> [profiles.CameraConfig]."""
    from app.rig.profiles import CameraConfig

    if not text:
        return []
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RigFlagError(f"--robot.cameras is not a dict like lerobot's: {exc}".splitlines()[0]) from exc
    if not isinstance(data, dict):
        raise RigFlagError('--robot.cameras: expected a dict, e.g. "{ front: {type: opencv, index_or_path: 0}}"')
    out = []
    for name, cfg in data.items():
        if not isinstance(cfg, dict) or "index_or_path" not in cfg:
            raise RigFlagError(f"--robot.cameras: camera {name!r} needs index_or_path")
        if cfg.get("type", "opencv") != "opencv":
            raise RigFlagError(f"--robot.cameras: camera {name!r} is of type {cfg['type']!r}; only opencv "
                               "cameras (a device index, a /dev path or a video file) are supported")
        try:
            out.append(CameraConfig(str(name), str(cfg["index_or_path"]), int(cfg.get("width") or 640),
                                    int(cfg.get("height") or 480), int(cfg.get("fps") or default_fps),
                                    str(cfg.get("fourcc") or "MJPG")))
        except (TypeError, ValueError) as exc:
            raise RigFlagError(f"--robot.cameras: camera {name!r}: {exc}") from exc
    return out


def uses_lerobot_rig(args) -> bool:
    from app.commands.lerobot_bimanual import is_bimanual

    return any(getattr(args, k, None) for k in ("robot_port", "teleop_port", "robot_cameras")) or is_bimanual(args)


def rig_from_args(args):
    """The rig lerobot's flags describe, every device checked once. Raises RigFlagError naming the one
    that fails; nothing is left open then."""
    from app.commands.lerobot_bimanual import bimanual_rig_from_args, is_bimanual
    from app.rig.rig import Rig, build_sim_rig, camera_from_config, notice_replug_quickly
    from app.rig.so101_arm import FeetechArm

    if is_bimanual(args):
        rig, hardware = bimanual_rig_from_args(args)
        try:
            check_devices(rig, hardware)
        except RigFlagError:
            rig.stop()
            raise
        return rig
    fps = int(getattr(args, "fps", 30) or 30)
    cameras = parse_cameras(getattr(args, "robot_cameras", None), fps)
    hardware = bool(args.robot_port or args.teleop_port)
    if hardware and not (args.robot_port and args.teleop_port):
        raise RigFlagError("give both --robot.port (follower) and --teleop.port (leader)")
    if hardware:
        leader = FeetechArm("leader", "leader", args.teleop_port, arm_id=args.teleop_id or "leader")
        follower = FeetechArm("follower", "follower", args.robot_port, arm_id=args.robot_id or "follower")
        rig = Rig([camera_from_config(c) for c in cameras], leader, follower, fps=fps, simulated=False,
                  name=f"{args.robot_type or 'so101_follower'} on {args.robot_port}")
        notice_replug_quickly(rig)
    else:
        rig = build_sim_rig(n_cameras=0 if cameras else getattr(args, "cameras", 2),
                            width=getattr(args, "width", 640), height=getattr(args, "height", 480), fps=fps)
        for c in cameras:
            cam = camera_from_config(c)
            cam.reopen_interval = 0.5
            rig.cameras[cam.name] = cam
    try:
        check_devices(rig, hardware)
    except RigFlagError:
        rig.stop()
        raise
    return rig


def check_devices(rig, arms: bool = True) -> None:
    """Open every camera once and connect the arms (left connected for the teleop loop)."""
    for cam in rig.cameras.values():
        try:
            cam.open()
        except Exception as exc:
            raise RigFlagError(f"camera {cam.name!r} cannot be opened: {exc}") from exc
        finally:
            cam.close()
    if not arms:
        return
    from app.commands.lerobot_bimanual import arm_flags

    single = ((rig.leader, "--teleop.port"), (rig.follower, "--robot.port"))
    checks = arm_flags(rig) if getattr(rig, "pairs", None) else single
    for arm, flag in checks:
        try:
            arm.connect()
        except Exception as exc:
            for other, _ in checks:
                if other.connected:
                    other.disconnect()
            raise RigFlagError(f"{arm.name} arm on {arm.port} ({flag}): {exc}") from exc
