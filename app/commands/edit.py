"""`teleop-studio edit OPERATION ...`: edit a dataset by stream copy (no video re-encoding).

  edit delete-episodes SRC --episodes 5,150,299 --out DST
  edit split SRC --parts train=0.8,val=0.2 --out DIR          (or train=0-79,val=80-99)
  edit merge --out DST SRC1 SRC2 ...
  edit modify-tasks SRC --task "pick" | --replace OLD=NEW | --episode-task 0-9="pick" --out DST
  edit remove-feature SRC --feature observation.images.wrist --out DST
  edit keep-accepted SRC --out DST                            (the episodes accepted in review)

SRC is a dataset folder or a Hub repo id (owner/name[@revision]). Output goes to a new folder;
--in-place replaces a local SRC through a crash-safe swap; --push uploads the result.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

NAME = "edit"
HELP = "delete, split, merge, retask or trim datasets without re-encoding video"


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="op", metavar="OPERATION", required=True)

    def common(q, src=True):
        if src:
            q.add_argument("src", metavar="SRC", help="dataset folder or Hub repo id owner/name[@revision]")
        q.add_argument("--out", type=Path, help="new output folder")
        q.add_argument("--in-place", action="store_true",
                       help="replace SRC itself (local folders only; crash-safe swap)")
        q.add_argument("--push", metavar="REPO_ID", help="push the result to this Hub dataset repo")
        q.add_argument("--revision", help="revision of a Hub SRC (default v3.0)")
        q.add_argument("--quiet", action="store_true", help="no progress line")
        return q

    common(sub.add_parser("delete-episodes", help="drop the listed episodes")).add_argument(
        "--episodes", required=True, help="episode numbers and ranges, e.g. 5,150,299 or 10-19")
    q = common(sub.add_parser("split", help="split into parts (folders under --out)"))
    q.add_argument("--parts", required=True, help="train=0.8,val=0.2 or train=0-79,val=80-99")
    q = common(sub.add_parser("merge", help="merge datasets with the same features and fps"), src=False)
    q.add_argument("sources", nargs="+", metavar="SRC", help="datasets to merge, in order")
    q = common(sub.add_parser("modify-tasks", help="change task strings"))
    q.add_argument("--task", help="one task for every episode not otherwise given one")
    q.add_argument("--replace", action="append", default=[], metavar="OLD=NEW", help="replace a task string")
    q.add_argument("--episode-task", action="append", default=[], metavar="EPISODES=TASK",
                   help="task for some episodes, e.g. 0-9='pick the cube'")
    q = common(sub.add_parser("remove-feature", help="drop features (columns or cameras)"))
    q.add_argument("--feature", action="append", required=True, help="feature name (repeatable)")
    q = common(sub.add_parser("keep-accepted", help="keep the episodes accepted in review"))
    q.add_argument("--review", type=Path, help="a review file to use instead of the dataset's saved review")


class _Progress:
    def __init__(self, quiet: bool):
        self.quiet, self.last = quiet or not sys.stderr.isatty(), 0.0

    def __call__(self, done: int, total: int, what: str) -> None:
        now = time.monotonic()
        if self.quiet or (now - self.last < 0.2 and done < total):
            return
        self.last = now
        print(f"\r  {done}/{total} episodes  ({what})".ljust(70), end="" if done < total else "\n",
              file=sys.stderr, flush=True)


def _plans(args, open_source):
    from app.edit.ops import make_plans, pairs
    from app.edit.plan import EditError

    if args.op == "split" and args.in_place:
        raise EditError("split writes several datasets; give --out DIR instead of --in-place")
    specs = args.sources if args.op == "merge" else [args.src]
    sources = [open_source(s, args.revision) for s in specs]
    review = None
    if args.op == "keep-accepted" and args.review:
        from app.review.exchange import import_file
        from app.review.state import ReviewState, fingerprint

        review = ReviewState(None, fp=fingerprint(sources[0].reader))
        import_file(review, args.review)
    return make_plans(args.op, sources, episodes=getattr(args, "episodes", ""), parts=getattr(args, "parts", ""),
                      task=getattr(args, "task", None), replace=pairs(getattr(args, "replace", []), "--replace"),
                      episode_tasks=pairs(getattr(args, "episode_task", []), "--episode-task"),
                      features=getattr(args, "feature", None), review=review)


def run(args) -> int:
    from app.dataset.errors import DatasetError
    from app.edit.build import EditCancelled, build
    from app.edit.source import open_source
    from app.review.state import ReviewError

    if not args.in_place and args.out is None:
        print("edit: give --out DST (a new folder), or --in-place to replace SRC", file=sys.stderr)
        return 2
    if args.in_place and args.out is not None:
        print("edit: give either --out or --in-place, not both", file=sys.stderr)
        return 2
    plans = {}
    try:
        plans = _plans(args, open_source)
        results = []
        for name, plan in plans.items():
            out = args.out if name is None else args.out / name
            print(plan.description + (f" -> {out}" if out else " (in place)"), file=sys.stderr)
            results.append(build(plan, out, in_place=args.in_place, progress=_Progress(args.quiet)))
        for r in results:
            print(r.summary())
    except EditCancelled:
        print("edit: cancelled; the source is untouched and no output was left", file=sys.stderr)
        return 130
    except (DatasetError, ReviewError, OSError) as exc:
        print(f"edit: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # network and Hub errors: one line, never a traceback
        from app.hub.errors import explain

        logging.getLogger(__name__).debug("edit failed", exc_info=True)
        print(f"edit: {explain(exc, getattr(args, 'src', 'the dataset'))}", file=sys.stderr)
        return 1
    finally:
        for plan in plans.values():
            for s in plan.sources:
                s.close()
    if args.push:
        from app.commands.push import push_dataset

        for r in results:
            code = push_dataset(r.path, args.push if len(results) == 1 else f"{args.push}-{r.path.name}")
            if code:
                return code
    return 0
