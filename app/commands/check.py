"""`teleop-studio check DATASET_DIR`: validate a LeRobot v3.0 dataset (exit 0 valid, 1 invalid, 2 unreadable).

Checking never modifies the dataset (an interrupted commit is reported, and finished only when the
studio opens the dataset for recording)."""

from __future__ import annotations

import argparse
import time

NAME = "check"
HELP = "check a LeRobot v3.0 dataset folder against the format (exit 0 valid, 1 invalid, 2 unreadable)"
MAX_LINES = 200


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dataset_dir", metavar="DATASET_DIR", help="the dataset root (the folder holding meta/)")
    p.add_argument("--no-decode", action="store_true", help="skip decoding videos (faster, checks less)")
    p.add_argument("--deep", action="store_true",
                   help="also recompute every episode's statistics from its rows and frames and compare "
                        "them with meta/episodes (catches silently corrupted data; slower)")


def run(args) -> int:
    from app.dataset.validate import validate

    t0 = time.monotonic()
    try:
        rep = validate(args.dataset_dir, decode_videos=not args.no_decode, deep=args.deep)
    except (MemoryError, RecursionError, OverflowError) as exc:
        print(f"ERROR: the dataset holds a value too large or too deep to check ({type(exc).__name__}); "
              "it is corrupt or hostile")
        return 2
    except Exception as exc:  # never a traceback: name what happened, the log has the rest
        print(f"ERROR: checking stopped on something unexpected ({type(exc).__name__}: {str(exc)[:200]}); "
              "the dataset is probably corrupt. Please report this with the log file.")
        return 2
    lines = rep.lines()
    for line in lines[:MAX_LINES]:
        print(line[:2000])
    if len(lines) > MAX_LINES:
        print(f"... and {len(lines) - MAX_LINES} more problem(s)")
    if not rep.readable:
        return 2
    took = f" ({time.monotonic() - t0:.1f} s)" if args.deep else ""
    print(("valid" if rep.ok else f"invalid: {len(rep.errors)} problem(s)") + took)
    return 0 if rep.ok else 1
