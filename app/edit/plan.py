"""What an edit produces: which source episodes, in which order, with which tasks and features.

Every operation (delete, split, merge, modify-tasks, remove-feature, keep-accepted) only builds a
Plan; app/edit/build.py turns any Plan into a dataset by stream copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from app.dataset.errors import DatasetError
from app.edit.source import Source


class EditError(DatasetError):
    """A request that cannot be carried out (bad episode list, mismatched datasets, ...)."""


@dataclass
class Pick:
    source: int              # index into Plan.sources
    episode: int             # episode index in that source
    task: str | None = None  # a new task for every frame of the episode (modify-tasks)


@dataclass
class Plan:
    sources: list[Source]
    picks: list[Pick]
    drop_features: set[str] = field(default_factory=set)
    rename_task: Callable[[str], str] | None = None   # task string replacements (modify-tasks)
    description: str = ""

    @property
    def features(self) -> dict:
        feats = self.sources[0].reader.features
        return {k: v for k, v in feats.items() if k not in self.drop_features}


def parse_episode_list(text: str, total: int) -> list[int]:
    """'5,150,299' or ranges '0-9,20' -> sorted unique episode indices, each checked against total."""
    out: set[int] = set()
    for part in str(text).replace(" ", "").split(","):
        if not part:
            continue
        try:
            if "-" in part[1:]:
                a, b = part.split("-", 1)
                lo, hi = int(a), int(b)
                if hi < lo:
                    raise ValueError
                out.update(range(lo, hi + 1))
            else:
                out.add(int(part))
        except ValueError:
            raise EditError(f"{part!r} is not an episode number or range (use e.g. 5,150,299 or 10-19)") from None
    bad = sorted(e for e in out if not 0 <= e < total)
    if bad:
        raise EditError(f"episode(s) {', '.join(map(str, bad[:5]))} do not exist: "
                        f"the dataset has episodes 0-{total - 1}")
    return sorted(out)


def keep_plan(src: Source, keep: list[int], description: str) -> Plan:
    if not keep:
        raise EditError("the edit would leave no episodes; a dataset needs at least one")
    return Plan([src], [Pick(0, e) for e in keep], description=description)


def kept_whole(plan: Plan, place: Callable) -> dict[int, int]:
    """Picks whose source file the plan keeps whole (all its episodes, each once, consecutive and in
    the file's order), so the file can be copied as it is. place(episode) -> (file, position in it),
    or None. -> {pick position: position of that file's first pick}."""
    by_file: dict[tuple[int, str], list] = {}
    for si, s in enumerate(plan.sources):
        for e, ep in enumerate(s.reader.episodes):
            where = place(ep)
            if where is not None:
                by_file.setdefault((si, where[0]), []).append((where[1], e))
    at: dict[tuple[int, int], list[int]] = {}
    for i, p in enumerate(plan.picks):
        at.setdefault((p.source, p.episode), []).append(i)
    out: dict[int, int] = {}
    for (si, _), eps in by_file.items():
        where = [at.get((si, e), ()) for _, e in sorted(eps)]
        if any(len(w) != 1 for w in where):
            continue
        first = where[0][0]
        if [w[0] for w in where] == list(range(first, first + len(where))):
            out.update((w[0], first) for w in where)
    return out
