"""One entry point for every edit, shared by the command line and the window: an operation name
and its parameters -> the plans to build ({None: plan}, or {part name: plan} for split)."""

from __future__ import annotations

from app.edit import delete, keep_accepted, merge, remove_feature, split, tasks
from app.edit.plan import EditError, Plan
from app.edit.source import Source

OPS = ("delete-episodes", "split", "merge", "modify-tasks", "remove-feature", "keep-accepted")


def pairs(items: list[str], what: str) -> dict[str, str]:
    out = {}
    for item in items:
        k, sep, v = item.partition("=")
        if not sep or not k.strip():
            raise EditError(f"{what} {item!r}: write it as LEFT=RIGHT")
        out[k.strip()] = v.strip()
    return out


def make_plans(op: str, sources: list[Source], *, episodes: str = "", parts: str = "", task: str | None = None,
               replace: dict | None = None, episode_tasks: dict | None = None, features: list | None = None,
               review=None) -> dict[str | None, Plan]:
    if op == "merge":
        return {None: merge.plan(sources)}
    src = sources[0]
    if op == "delete-episodes":
        return {None: delete.plan(src, episodes)}
    if op == "split":
        return split.plans(src, parts)
    if op == "modify-tasks":
        return {None: tasks.plan(src, task, replace or None, episode_tasks or None)}
    if op == "remove-feature":
        return {None: remove_feature.plan(src, list(features or []))}
    if op == "keep-accepted":
        if review is None:
            from app.review.state import ReviewState

            review = ReviewState.for_reader(src.reader, src.local_root, src.repo_id, src.commit)
        return {None: keep_accepted.plan(src, review)}
    raise EditError(f"unknown edit {op!r}; one of {', '.join(OPS)}")
