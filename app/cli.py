"""`teleop-studio`: the window by default, or a headless subcommand for scripts and labs.

Each subcommand lives in app/commands/<name>.py with NAME, HELP, add_arguments(parser) and
run(args) -> exit code, so new ones slot in without touching this file's logic.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

# module names under app.commands, in the order `--help` lists them
COMMANDS = ("record", "check", "stream", "push", "sim_bus", "edit", "setup_motors", "find_port", "find_cameras",
            "replay")


def _load_commands() -> list:
    mods = []
    for name in COMMANDS:
        try:
            mods.append(importlib.import_module(f"app.commands.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"app.commands.{name}":
                raise
    return mods


class _ShowVersion(argparse.Action):
    """--version, looked up only when asked for (see app/__init__.py)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help="show program's version number and exit"):
        super().__init__(option_strings, dest, nargs=0, default=default, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        import app

        print(f"teleop-studio {app.__version__}")
        parser.exit()


def build_parser(commands: list | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="teleop-studio", description=(
        "Record, encode, review and publish LeRobot v3.0 datasets. Without a subcommand, opens the window."))
    parser.add_argument("--version", action=_ShowVersion)
    parser.add_argument("--sim", action="store_true", help="use the simulated rig even if hardware is plugged in")
    parser.add_argument("--bimanual", action="store_true",
                        help="with --sim: the simulated bimanual rig (two SO-101 pairs, bi_so_follower)")
    parser.add_argument("--log-level", default=os.environ.get("TELEOP_STUDIO_LOG_LEVEL", "INFO"),
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"], type=str.upper)
    from app.commands.record import add_session_arguments

    add_session_arguments(parser.add_argument_group(
        "lab launcher", "open the window with this session ready to Start (Space); same flags and checks as "
        "`record`, an existing dataset at --root is appended to"), required=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in commands if commands is not None else _load_commands():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        p.add_argument("--log-level", default=argparse.SUPPRESS, type=str.upper,
                       choices=["DEBUG", "INFO", "WARNING", "ERROR"])
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def _has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM", "").split(":")[0] in ("offscreen", "minimal", "vnc", "eglfs"):
        return True
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _named_command(argv: list[str]) -> list | None:
    """[module] when argv starts with a subcommand: only its parser is built, so a script's
    `teleop-studio edit ...` does not import what every other subcommand's flags need."""
    name = argv[0].replace("-", "_") if argv else ""
    if name not in COMMANDS:
        return None
    try:
        mod = importlib.import_module(f"app.commands.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"app.commands.{name}":
            raise
        return None
    return [mod] if mod.NAME == argv[0] else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(_named_command(argv)).parse_args(argv)
    from app.logs import setup_logging

    log_path = setup_logging(args.log_level)
    if getattr(args, "_run", None):
        try:
            return int(args._run(args) or 0)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
    if not _has_display():
        print("teleop-studio: no display found (DISPLAY is not set).\n"
              "  Run it on a virtual screen:   xvfb-run -a teleop-studio --sim\n"
              "  or use a headless subcommand: teleop-studio record --sim ... (see teleop-studio --help)",
              file=sys.stderr)
        return 2
    logging.getLogger(__name__).info("log file: %s", log_path)
    session = None
    if args.root is not None or args.task is not None or args.repo_id is not None:
        from app.commands.record import session_config

        given = (("--root", args.root), ("--repo-id", args.repo_id), ("--task", args.task))
        missing = [flag for flag, value in given if value is None]
        if missing:
            print(f"teleop-studio: the lab launcher needs {', '.join(missing)} as well", file=sys.stderr)
            return 2
        session, problem = session_config(args, resume=None)
        if problem:
            print(f"teleop-studio: {problem}", file=sys.stderr)
            return 2
    from widgets.main_window import run_app

    return run_app(sim=args.sim, session=session, bimanual=args.bimanual)


if __name__ == "__main__":
    sys.exit(main())
