"""delete-episodes: every episode but the listed ones, renumbered 0..N-1."""

from __future__ import annotations

from app.edit.plan import Plan, keep_plan, parse_episode_list
from app.edit.source import Source


def plan(src: Source, episodes: str | list[int]) -> Plan:
    total = len(src.reader.episodes)
    gone = parse_episode_list(episodes, total) if isinstance(episodes, str) else sorted(set(episodes))
    if not gone:
        raise ValueError("no episodes to delete")
    drop = set(gone)
    return keep_plan(src, [e for e in range(total) if e not in drop],
                     f"delete {len(gone)} of {total} episodes from {src.label}")
