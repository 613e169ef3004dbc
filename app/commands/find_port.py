"""`teleop-studio find-port`: which serial port is the arm's, found by unplugging its USB cable, as
lerobot-find-port does; then plugging it back in confirms it (the kernel may give it another name)."""

from __future__ import annotations

import sys

NAME = "find-port"
HELP = "find the serial port of an arm's controller board by unplugging and replugging its USB cable"


def add_arguments(p) -> None:
    p.add_argument("--glob", metavar="PATTERN", help="look only at paths matching this pattern "
                   "(default: /dev/tty* as lerobot-find-port; e.g. '/dev/serial/by-id/*')")


def run(args, ask=input) -> int:
    from app.rig.discovery import PortFinder

    finder = PortFinder(args.glob)
    try:
        print(f"{len(finder.before)} ports now. Remove the USB cable from the arm's controller board and "
              "press Enter.", flush=True)
        ask("")
        try:
            port = finder.unplugged()
        except ValueError as exc:
            print(f"teleop-studio find-port: {exc} Run find-port again.", file=sys.stderr)
            return 1
        print(f"The port of this arm is {port}. Plug the cable back in and press Enter.", flush=True)
        ask("")
    except EOFError:
        print("teleop-studio find-port: stopped (no more input)", file=sys.stderr)
        return 2
    print(finder.replugged()[1])
    return 0
