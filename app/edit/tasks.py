"""modify-tasks: replace task strings, set one task for every episode, or set tasks per episode.

Precedence per episode, as lerobot-edit-dataset's modify_tasks: an episode's own new task, then a
replacement of its task string, then the new default task, then the task it had.
"""

from __future__ import annotations

from app.edit.plan import EditError, Pick, Plan, parse_episode_list
from app.edit.source import Source


def plan(src: Source, new_task: str | None = None, replace: dict[str, str] | None = None,
         episode_tasks: dict[str, str] | None = None) -> Plan:
    """episode_tasks: {"0-9": "task", "12": "other"} (episode lists as keys)."""
    r = src.reader
    if not (new_task or replace or episode_tasks):
        raise EditError("give --task, --replace OLD=NEW or --episode-task EPISODES=TASK")
    unknown = sorted(set(replace or {}) - set(r.tasks))
    if unknown:
        raise EditError(f"no episode has the task {unknown[0]!r}; the tasks are: {', '.join(r.tasks)}")
    for t in [new_task, *(replace or {}).values(), *(episode_tasks or {}).values()]:
        if t is not None and not str(t).strip():
            raise EditError("a task cannot be empty")
    per_episode: dict[int, str] = {}
    for spec, task in (episode_tasks or {}).items():
        for e in parse_episode_list(spec, len(r.episodes)):
            per_episode[e] = task
    picks = [Pick(0, e.index, per_episode.get(e.index, None if replace else new_task)) for e in r.episodes]
    rename = None
    if replace:
        def rename(t: str) -> str:
            return replace.get(t, new_task or t)
    return Plan([src], picks, rename_task=rename, description=f"modify tasks of {src.label}")
