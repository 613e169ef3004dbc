"""lerobot-record's bimanual flags (`--robot.type=bi_so_follower`, `--teleop.type=bi_so_leader`) and the
bimanual rig they describe. Nesting as lerobot 0.6.1's BiSOFollowerConfig / BiSOLeaderConfig:

    --robot.left_arm_config.port  --robot.right_arm_config.port      (SOFollowerConfig.port)
    --robot.left_arm_config.cameras --robot.right_arm_config.cameras (per-arm: keys prefixed left_/right_)
    --robot.cameras                                                  (top-level: keys kept as they are)
    --robot.id=X -> the arms' calibration ids X_left, X_right        (same for --teleop.id)
    --teleop.left_arm_config.port  --teleop.right_arm_config.port    (SOLeaderConfig.port)

Not a subcommand: app/commands/lerobot_flags.py adds these flags and calls bimanual_rig_from_args.
"""

from __future__ import annotations

import argparse

from app.rig.bimanual import ROBOT_TYPE, SIDES, TELEOP_TYPE

# per-arm settings of lerobot's arm configs that change nothing here: accepted, ignored
IGNORED_ARM = {"robot": ("disable_torque_on_disconnect", "max_relative_target", "use_degrees",
                         "position_p_coefficient", "position_i_coefficient", "position_d_coefficient",
                         "num_read_retries"),
               "teleop": ("use_degrees", "num_read_retries")}


def dest(device: str, side: str, field: str) -> str:
    return f"{device}_{side}_{field}"


def add_bimanual_flags(p: argparse.ArgumentParser) -> None:
    for device, what in (("robot", "follower"), ("teleop", "leader")):
        for side in SIDES:
            kind = ROBOT_TYPE if device == "robot" else TELEOP_TYPE
            p.add_argument(f"--{device}.{side}_arm_config.port", dest=dest(device, side, "port"),
                           help=f"serial port of the {side} {what} arm ({kind})")
            for name in IGNORED_ARM[device]:
                p.add_argument(f"--{device}.{side}_arm_config.{name}", nargs="?", default=argparse.SUPPRESS,
                               dest=f"ignored_{device}_{side}_{name}", help=argparse.SUPPRESS)
    for side in SIDES:
        p.add_argument(f"--robot.{side}_arm_config.cameras", dest=dest("robot", side, "cameras"), metavar="DICT",
                       help=f"cameras on the {side} arm (dataset keys prefixed {side}_), lerobot's syntax")


def is_bimanual(args) -> bool:
    return getattr(args, "robot_type", None) == ROBOT_TYPE or getattr(args, "teleop_type", None) == TELEOP_TYPE \
        or any(getattr(args, dest(d, s, "port"), None) for d in ("robot", "teleop") for s in SIDES)


def _problems(args) -> bool:
    """True when the four ports are given (hardware), False for the simulated pairs; else RigFlagError."""
    from app.commands.lerobot_flags import RigFlagError

    if getattr(args, "robot_type", None) not in (None, ROBOT_TYPE):
        raise RigFlagError(f"--robot.type={args.robot_type} with per-arm ports: use --robot.type={ROBOT_TYPE}")
    if getattr(args, "teleop_type", None) not in (None, TELEOP_TYPE):
        raise RigFlagError(f"--teleop.type={args.teleop_type} with a bimanual robot: use --teleop.type={TELEOP_TYPE}")
    if getattr(args, "robot_port", None) or getattr(args, "teleop_port", None):
        raise RigFlagError(f"{ROBOT_TYPE} has no --robot.port/--teleop.port: give "
                           "--robot.left_arm_config.port, --robot.right_arm_config.port and the --teleop ones")
    ports = {f"--{d}.{s}_arm_config.port": getattr(args, dest(d, s, "port"), None)
             for d in ("robot", "teleop") for s in SIDES}
    given = {k: v for k, v in ports.items() if v}
    if given and len(given) != 4:
        raise RigFlagError("give all four ports: " + ", ".join(k for k, v in ports.items() if not v) + " missing")
    if len(set(given.values())) != len(given):
        raise RigFlagError("the four arms need four different serial ports")
    return bool(given)


def cameras_from_args(args, fps: int) -> list:
    """bi_so_follower's cameras, named and ordered as it names them: left arm's (prefixed) then the
    top-level ones (unprefixed), then the right arm's (prefixed)."""
    from dataclasses import replace

    from app.commands.lerobot_flags import RigFlagError, parse_cameras

    left = parse_cameras(getattr(args, dest("robot", "left", "cameras"), None), fps)
    top = parse_cameras(getattr(args, "robot_cameras", None), fps)
    right = parse_cameras(getattr(args, dest("robot", "right", "cameras"), None), fps)
    clash = {c.name for c in top} & ({c.name for c in left} | {c.name for c in right})
    if clash:  # lerobot refuses the same
        raise RigFlagError(f"top-level camera names collide with per-arm camera names: {sorted(clash)}")
    return [replace(c, name=f"left_{c.name}") for c in left] + top + [replace(c, name=f"right_{c.name}") for c in right]


def bimanual_rig_from_args(args):
    """The rig of `--robot.type=bi_so_follower ...`; with no ports, the simulated bimanual rig (plus the
    cameras given). Every device is checked once by the caller."""
    from app.rig.bimanual import BimanualRig
    from app.rig.rig import camera_from_config, notice_replug_quickly
    from app.rig.so101_arm import FeetechArm

    fps = int(getattr(args, "fps", 30) or 30)
    hardware = _problems(args)
    cameras = cameras_from_args(args, fps)
    if not hardware:
        from app.rig.sim_bimanual import build_sim_bimanual_rig

        rig = build_sim_bimanual_rig(width=getattr(args, "width", 640), height=getattr(args, "height", 480), fps=fps)
        if cameras:
            rig.cameras.clear()
            for c in cameras:
                rig.cameras[c.name] = camera_from_config(c)
            notice_replug_quickly(rig)
        return rig, False
    pairs = {}
    for side in SIDES:
        robot_id = f"{args.robot_id}_{side}" if getattr(args, "robot_id", None) else f"{side}_follower"
        teleop_id = f"{args.teleop_id}_{side}" if getattr(args, "teleop_id", None) else f"{side}_leader"
        pairs[side] = (FeetechArm(f"{side} leader", "leader", getattr(args, dest("teleop", side, "port")),
                                  arm_id=teleop_id),
                       FeetechArm(f"{side} follower", "follower", getattr(args, dest("robot", side, "port")),
                                  arm_id=robot_id))
    rig = BimanualRig([camera_from_config(c) for c in cameras], pairs, fps=fps, simulated=False,
                      name=f"{ROBOT_TYPE} on {pairs['left'][1].port} + {pairs['right'][1].port}")
    notice_replug_quickly(rig)
    return rig, True


def arm_flags(rig) -> list[tuple[object, str]]:
    """(arm, the flag that named its port), for error messages."""
    return [(arm, f"--{'teleop' if arm.role == 'leader' else 'robot'}.{side}_arm_config.port")
            for side, pair in rig.pairs.items() for arm in pair]
