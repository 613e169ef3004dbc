"""`teleop-studio check DATASET_DIR`: validate a LeRobot v3.0 dataset (exit 0 valid, 1 invalid, 2 unreadable)."""

from __future__ import annotations

import argparse

NAME = "check"
HELP = "check a LeRobot v3.0 dataset folder against the format (exit 0 valid, 1 invalid, 2 unreadable)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dataset_dir", metavar="DATASET_DIR", help="the dataset root (the folder holding meta/)")
    p.add_argument("--no-decode", action="store_true", help="skip decoding videos (faster, checks less)")


def run(args) -> int:
    from app.dataset.validate import validate

    rep = validate(args.dataset_dir, decode_videos=not args.no_decode)
    for line in rep.lines():
        print(line)
    if not rep.readable:
        return 2
    print("valid" if rep.ok else f"invalid: {len(rep.errors)} problem(s)")
    return 0 if rep.ok else 1
