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
    from app.rig.discovery import port_names, stable_name

    try:
        before = port_names(args.glob)
        print(f"{len(before)} ports now. Remove the USB cable from the arm's controller board and press Enter.",
              flush=True)
        ask("")
        gone = sorted(before - port_names(args.glob))
        if len(gone) != 1:
            print("teleop-studio find-port: " + (
                "no port disappeared: was the right cable removed? Run find-port again." if not gone else
                f"{len(gone)} ports disappeared ({', '.join(gone)}): remove only one cable. Run find-port again."),
                file=sys.stderr)
            return 1
        port = gone[0]
        print(f"The port of this arm is {port}. Plug the cable back in and press Enter.", flush=True)
        ask("")
    except EOFError:
        print("teleop-studio find-port: stopped (no more input)", file=sys.stderr)
        return 2
    back = sorted(port_names(args.glob) - (before - {port}))
    if port in back:
        stable = stable_name(port)
        print(f"{port} is back." + (f" Its stable name (same after replugging): {stable}" if stable else ""))
    elif back:
        print(f"It came back as {back[0]}: use {back[0]} (names can change on replug; "
              "/dev/serial/by-id/ names do not).")
    else:
        print(f"{port} has not come back yet; the arm's port is {port} once it is plugged in.")
    return 0
