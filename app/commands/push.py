"""`teleop-studio push ROOT --repo-id USER/NAME`: publish a recorded dataset to the Hugging Face Hub.

Creates the dataset repo if needed, uploads the committed episodes (never spools, journals or images/),
writes the dataset card and tags the pushed revision `v3.0`. Interrupted? Run it again: files already
sent are not sent again. Exit 0 pushed, 1 failed (token missing or refused,
network, Hub; the message says which), 2 not a dataset, 130 cancelled.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

NAME = "push"
HELP = "push a recorded dataset to the Hugging Face Hub (resumable; creates the repo, card and v3.0 tag)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("root", metavar="ROOT", type=Path, help="the dataset folder (holding meta/info.json)")
    p.add_argument("--repo-id", required=True, help="USER/NAME (or ORG/NAME) of the dataset repo on the Hub")
    add_hub_flags(p)
    p.add_argument("--branch", default="main", help="branch to push to (default main)")
    p.add_argument("--tags", nargs="*", default=[], help="extra tags for the dataset card (LeRobot is always first)")


def add_hub_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--private", action="store_true", help="create the repo as private")


def _human(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def push_dataset(root: Path, repo_id: str, *, private: bool = False, branch: str = "main",
                 tags=(), out=sys.stdout, endpoint: str | None = None) -> int:
    """Push with a progress line every second; shared by `push` and `record --push-to-hub`."""
    from app.hub.push import Push, PushCancelled, PushError, PushOptions

    root = Path(root).expanduser()
    if not (root / "meta" / "info.json").exists():
        print(f"teleop-studio push: {root} is not a dataset (meta/info.json is missing)", file=sys.stderr)
        return 2
    last = {"t": 0.0, "phase": ""}

    def show(p) -> None:
        now = time.monotonic()
        if p.phase == last["phase"] and now - last["t"] < 1.0 and p.bytes_done < p.bytes_total:
            return
        last.update(t=now, phase=p.phase)
        if p.phase == "uploading":
            eta = f", {p.eta:.0f} s left" if p.eta else ""
            print(f"  {p.phase}: {p.files_done}/{p.files_total} files, {_human(p.bytes_done)} of "
                  f"{_human(p.bytes_total)} at {_human(p.speed)}/s{eta}", file=out, flush=True)
        elif not p.finished:
            print(f"  {p.message or p.phase}", file=out, flush=True)

    push = Push(PushOptions(root, repo_id, private=private, branch=branch, tags=tuple(tags), endpoint=endpoint),
                on_progress=show)
    print(f"pushing {root} to {repo_id}" + (" (private)" if private else ""), file=out, flush=True)
    try:
        r = push.run()
    except PushCancelled as exc:
        print(f"teleop-studio push: {exc}", file=sys.stderr)
        return 130
    except PushError as exc:
        print(f"teleop-studio push: {exc}", file=sys.stderr)
        return 1
    print(f"pushed {len(r.committed)} changed file(s) ({len(r.uploaded)} uploaded, {_human(r.bytes_sent)}; "
          f"{r.unchanged} unchanged; {r.resumed} already sent by an earlier try) in {r.seconds:.1f} s\n"
          f"  {r.url}  commit {r.commit[:10]}, tag v3.0", file=out, flush=True)
    return 0


def run(args) -> int:
    return push_dataset(args.root, args.repo_id, private=args.private, branch=args.branch, tags=args.tags)
