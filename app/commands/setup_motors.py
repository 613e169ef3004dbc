"""`teleop-studio setup-motors`: give a new arm's servos their ids and baud rate, one motor at a time.

Same steps and order as lerobot-setup-motors (gripper first); also takes its flag names
(--robot.type/--robot.port, --teleop.type/--teleop.port). Try it without hardware against
`teleop-studio sim-bus --factory`, whose servos are all new (id 1); type `plug <joint>` there to wire
the next motor to the board.
"""

from __future__ import annotations

import argparse
import sys

NAME = "setup-motors"
HELP = "set the id and baud rate of each servo of a new SO-100/SO-101 arm, one motor plugged at a time"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from app.rig.motor_setup import ARMS

    p.add_argument("--port", help="serial port of the arm's controller board (see `teleop-studio find-port`)")
    p.add_argument("--arm", choices=sorted(ARMS), help="which arm the servos are for")
    for who in ("robot", "teleop"):  # lerobot-setup-motors' names
        p.add_argument(f"--{who}.type", dest=f"{who}_type", help=argparse.SUPPRESS)
        p.add_argument(f"--{who}.port", dest=f"{who}_port", help=argparse.SUPPRESS)
        p.add_argument(f"--{who}.id", dest=f"{who}_id", help=argparse.SUPPRESS)


def _fail(msg: str) -> int:
    print(f"teleop-studio setup-motors: {msg}", file=sys.stderr)
    return 2


def resolve(args) -> tuple[str, str] | str:
    """(port, arm) from the studio's or lerobot's flags, or a sentence saying what is missing."""
    from app.rig.motor_setup import ARMS, LEROBOT_TYPES

    arm, port = args.arm, args.port
    for who in ("robot", "teleop"):
        kind = getattr(args, f"{who}_type", None)
        if kind:
            if kind not in LEROBOT_TYPES:
                return f"--{who}.type {kind!r} is not an SO-100/SO-101 arm ({', '.join(sorted(LEROBOT_TYPES))})"
            arm = arm or LEROBOT_TYPES[kind]
        port = port or getattr(args, f"{who}_port", None)
    if not port:
        return "say which serial port: --port /dev/ttyACM0 (find it with `teleop-studio find-port`)"
    if arm not in ARMS:
        return f"say which arm: --arm {' | '.join(sorted(ARMS))}"
    return port, arm


def run(args, ask=input) -> int:
    from app.rig.motor_setup import MotorSetup, MotorSetupError, setup_order

    resolved = resolve(args)
    if isinstance(resolved, str):
        return _fail(resolved)
    port, arm = resolved
    setup = MotorSetup(port)
    print(f"Setting up the {arm} servos on {port}, one motor at a time.", flush=True)
    for joint in setup_order():
        while True:
            try:
                answer = ask(f"Connect the controller board to the '{joint}' motor only and press Enter "
                             "(q to quit). ")
            except EOFError:
                return _fail(f"stopped before the '{joint}' motor (no more input)")
            if answer.strip().lower() in ("q", "quit"):
                return _fail(f"stopped before the '{joint}' motor")
            try:
                print(setup.setup_motor(joint).sentence(), flush=True)
                break
            except MotorSetupError as exc:
                print(f"  {exc}. Press Enter to try again.", flush=True)
    print("All six motors are set up. Next: calibrate the arm.", flush=True)
    return 0
