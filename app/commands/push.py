"""`teleop-studio push ROOT --repo-id USER/NAME`: publish a recorded dataset to the Hugging Face Hub.

Creates the dataset repo if needed, uploads the committed episodes (never spools, journals or images/),
writes the dataset card and tags the pushed revision `v3.0`. Interrupted? Run it again: files already
sent are not sent again. A new repo gets its owner's default visibility unless `--private` or
`--public` is given. Without write access to an existing repo, `--create-pr` opens a Hub pull request
with the files instead. Exit 0 pushed, 1 failed (token missing or refused, network, Hub; the message
says which), 2 not a dataset or bad flags, 130 cancelled.
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
    p.add_argument("--create-pr", action="store_true",
                   help="open a pull request on an existing repo instead of committing (no write access needed)")
    p.add_argument("--tags", nargs="*", default=[], help="extra tags for the dataset card (LeRobot is always first)")


def add_hub_flags(p: argparse.ArgumentParser) -> None:
    """--private / --public (mutually exclusive); neither: the owner's default. Read back with visibility()."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--private", dest="private", action="store_const", const=True, default=None,
                   help="create the repo as private")
    g.add_argument("--public", dest="private", action="store_const", const=False,
                   help="create the repo as public (default: the user's or organisation's default visibility)")


def visibility(args) -> bool | None:
    """True private, False public, None the owner's default (what PushOptions.private takes)."""
    return getattr(args, "private", None)


def describe_visibility(private: bool | None) -> str:
    return {True: "private", False: "public"}.get(private, "the owner's default visibility")


def _human(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def push_dataset(root: Path, repo_id: str, *, private: bool | None = None, branch: str = "main",
                 tags=(), out=sys.stdout, endpoint: str | None = None, create_pr: bool = False) -> int:
    """Push with a progress line every second; shared by `push` and `record --push-to-hub`."""
    from app.hub.push import Push, PushCancelled, PushError, PushOptions

    root = Path(root).expanduser()
    if not (root / "meta" / "info.json").exists():
        print(f"teleop-studio push: {root} is not a dataset (meta/info.json is missing)", file=sys.stderr)
        return 2
    if create_pr and branch != "main":
        print("teleop-studio push: --create-pr opens a pull request against main; drop --branch",
              file=sys.stderr)
        return 2
    last = {"t": 0.0, "phase": "", "notice": ""}

    def show(p) -> None:
        if p.notice and p.notice != last["notice"]:
            last["notice"] = p.notice
            print(f"  note: {p.notice}", file=out, flush=True)
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

    push = Push(PushOptions(root, repo_id, private=private, branch=branch, tags=tuple(tags), endpoint=endpoint,
                            create_pr=create_pr), on_progress=show)
    print(f"pushing {root} to {repo_id} " + ("as a pull request" if create_pr else
                                            f"({describe_visibility(private)} if new)"), file=out, flush=True)
    try:
        r = push.run()
    except PushCancelled as exc:
        print(f"teleop-studio push: {exc}", file=sys.stderr)
        return 130
    except PushError as exc:
        print(f"teleop-studio push: {exc}", file=sys.stderr)
        if exc.can_open_pr:
            print(f"  to open a pull request instead: teleop-studio push {root} --repo-id {repo_id} --create-pr",
                  file=sys.stderr)
        return 1
    if create_pr and not r.pr_url:
        print(f"nothing to propose: {repo_id} already holds these files", file=out, flush=True)
        return 0
    if r.pr_url:
        print(f"opened a pull request with {len(r.committed)} changed file(s) in {r.seconds:.1f} s\n"
              f"  {r.pr_url}  (the v3.0 tag moves when a maintainer merges it and re-tags)", file=out, flush=True)
        return 0
    print(f"pushed {len(r.committed)} changed file(s) ({len(r.uploaded)} uploaded, {_human(r.bytes_sent)}; "
          f"{r.unchanged} unchanged; {r.resumed} already sent by an earlier try) in {r.seconds:.1f} s\n"
          f"  {r.url}  commit {r.commit[:10]}, tag v3.0", file=out, flush=True)
    return 0


def run(args) -> int:
    return push_dataset(args.root, args.repo_id, private=visibility(args), branch=args.branch, tags=args.tags,
                        create_pr=args.create_pr)
