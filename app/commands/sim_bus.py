"""`teleop-studio sim-bus`: the simulated SO-101 servo buses alone, for trying Feetech tools against them.

Prints the serial port of each simulated arm (a stable path that points to a pseudo-terminal); open it
at 1,000,000 baud with scservo_sdk, lerobot's FeetechMotorsBus or our driver. Type commands to move
the simulated leader by hand (its servos are unpowered) and to inject faults.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

NAME = "sim-bus"
HELP = "run the simulated Feetech servo buses (leader and follower SO-101 arms) and print their ports"
KEYS = """commands (then Enter):
  <joint 1-6> <degrees>   jog a leader joint, e.g. "1 15" or "6 -20" (gripper in 0..100 units)
  move | hold | middle | sweep   the leader's hand: scripted motion, keep still, middle pose, full sweep
  fault <silence|bad_checksum|garbage> [count] [leader|follower]    clear    unplug [bus]    replug [bus]    quit
  plug <joint or 1-6> [...]   (--factory) wire only these motors to the controller board"""


def add_arguments(p) -> None:
    p.add_argument("--role", choices=["both", "leader", "follower"], default="both")
    p.add_argument("--link-dir", type=Path, help="where to put the port symlinks (default: a temp dir)")
    p.add_argument("--seconds", type=float, default=0, help="stop after this long (default: until quit / Ctrl-C)")
    p.add_argument("--factory", action="store_true",
                   help="factory-new servos, all at id 1 and 1,000,000 baud, for `teleop-studio setup-motors`; "
                        "only the gripper motor is wired to the board at first (type `plug <joint>`)")
    p.add_argument("--bimanual", action="store_true",
                   help="two pairs (bi_so_follower / bi_so_leader): four buses, left/right x leader/follower")
    p.add_argument("--write-calibration", metavar="ID",
                   help="also save the simulated arms' calibration as lerobot files with this id")


def run(args) -> int:
    from app.rig import calibration
    from app.rig.samples import JOINT_NAMES
    from app.rig.sim_servo_bus import SimServoBus

    roles = ["leader", "follower"] if args.role == "both" else [args.role]
    if args.link_dir:
        args.link_dir.mkdir(parents=True, exist_ok=True)
    factory = getattr(args, "factory", False)
    if getattr(args, "bimanual", False):
        from app.rig.sim_bimanual import sim_bimanual_buses

        buses = sim_bimanual_buses(roles, args.link_dir, factory)
    else:
        buses = {r: SimServoBus(r, link=(args.link_dir / r) if args.link_dir else None, factory=factory)
                 for r in roles}
    try:
        for role, bus in buses.items():
            ids = "new servos, all id 1, wired: gripper" if factory else "servo ids 1-6"
            print(f"{role}: {bus.port}  (-> {bus.pty_path})  {ids}, 1000000 baud", flush=True)
            if args.write_calibration:
                arm_role, _, arm_id = _calibration_target(role, args.write_calibration)
                path = calibration.save_calibration(calibration.calibration_path(arm_role, arm_id),
                                                    bus.factory_calibration())
                print(f"{role} calibration: {path}", flush=True)
        print(KEYS, flush=True)
        done = threading.Event()
        if sys.stdin is not None and not sys.stdin.closed:
            threading.Thread(target=_read_commands, args=(buses, done, JOINT_NAMES), daemon=True).start()
        done.wait(args.seconds if args.seconds > 0 else None)
    except KeyboardInterrupt:
        pass
    finally:
        for bus in buses.values():
            bus.close()
    return 0


def _calibration_target(name: str, arm_id: str) -> tuple[str, str, str]:
    """"left_follower" with id "bi" -> ("follower", "left", "bi_left"): lerobot's bimanual arm ids."""
    side, _, role = name.rpartition("_")
    return role, side, f"{arm_id}_{side}" if side else arm_id


def _read_commands(buses: dict, done: threading.Event, joints) -> None:
    target = buses.get("leader") or next(iter(buses.values()))
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            done_now = _command(words, buses, target, joints)
        except (ValueError, IndexError, KeyError) as exc:
            print(f"?? {exc}\n{KEYS}", flush=True)
            continue
        if done_now:
            break
    else:
        return  # stdin closed (e.g. started from a script): keep serving until --seconds or Ctrl-C
    done.set()


def _command(words: list[str], buses: dict, target, joints) -> bool:
    from app.rig.sts3215 import SO101_MOTORS

    cmd = words[0].lower()
    if cmd in ("quit", "exit", "q"):
        return True
    if cmd.isdigit():
        k = int(cmd) - 1
        target.jog(k, float(words[1]))
        print(f"{joints[k]} jogged by {words[1]}: pose {target.pose().round(1).tolist()}", flush=True)
    elif cmd in ("move", "hold", "middle", "sweep"):
        target.move_by_hand("leader" if cmd == "move" else cmd)
    elif cmd == "fault":
        bus = buses[words[3]] if len(words) > 3 else target
        bus.inject(words[1], int(words[2]) if len(words) > 2 and words[2].isdigit() else None)
    elif cmd == "clear":
        for b in buses.values():
            b.clear_faults()
    elif cmd == "plug":
        keys = [int(w) if w.isdigit() else SO101_MOTORS[w] for w in words[1:]]
        for b in buses.values():
            b.connect_motors(keys)
    elif cmd in ("unplug", "replug"):  # all buses, or the one named (e.g. "unplug left_follower")
        for b in [buses[w] for w in words[1:]] or buses.values():
            getattr(b, cmd)()
        time.sleep(0.05)
    else:
        raise ValueError(f"unknown command {cmd!r}")
    print("ok", flush=True)
    return False
