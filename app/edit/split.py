"""split: one source into named parts, by fractions (train=0.8,val=0.2) or explicit episode lists
(train=0-79,val=80-99). Fractions take consecutive episodes in order, as lerobot's split does:
each part gets int(fraction * total) episodes, the last part named also takes any remainder."""

from __future__ import annotations

from app.edit.plan import EditError, Plan, keep_plan, parse_episode_list
from app.edit.source import Source


def parse_parts(text: str) -> list[tuple[str, str]]:
    parts = []
    for item in _split_top(text):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name or not value.strip():
            raise EditError(f"{item!r}: write parts as name=fraction or name=episodes, e.g. train=0.8,val=0.2")
        if "/" in name or name in (".", ".."):
            raise EditError(f"{name!r} cannot be a folder name")
        parts.append((name, value.strip()))
    if len({n for n, _ in parts}) != len(parts):
        raise EditError("part names must be different")
    if not parts:
        raise EditError("name at least one part, e.g. train=0.8,val=0.2")
    return parts


def _split_top(text: str) -> list[str]:
    """Split 'train=0-3,5,val=4,6' at the commas that start a new name=... item."""
    items: list[str] = []
    for piece in text.split(","):
        if "=" in piece or not items:
            items.append(piece)
        else:
            items[-1] += "," + piece
    return [i for i in items if i.strip()]


def plans(src: Source, text: str) -> dict[str, Plan]:
    total = len(src.reader.episodes)
    parts = parse_parts(text)
    out: dict[str, list[int]] = {}

    def is_fraction(v: str) -> bool:
        try:
            return "." in v and 0 < float(v) <= 1
        except ValueError:
            return False

    if all(is_fraction(v) for _, v in parts):
        fracs = [float(v) for _, v in parts]
        if sum(fracs) > 1 + 1e-9:
            raise EditError(f"the fractions add up to {sum(fracs):g}, more than 1")
        start = 0
        for k, (name, _) in enumerate(parts):
            count = int(fracs[k] * total)
            if k == len(parts) - 1 and abs(sum(fracs) - 1) < 1e-9:
                count = total - start
            out[name] = list(range(start, start + count))
            start += count
    elif any(is_fraction(v) for _, v in parts):
        raise EditError("give every part a fraction, or every part an episode list, not a mix")
    else:
        seen: set[int] = set()
        for name, value in parts:
            eps = parse_episode_list(value, total)
            twice = seen & set(eps)
            if twice:
                raise EditError(f"episode(s) {sorted(twice)[:5]} are in more than one part")
            seen |= set(eps)
            out[name] = eps
    for name, eps in out.items():
        if not eps:
            raise EditError(f"part {name!r} would get no episodes out of {total}")
    return {name: keep_plan(src, eps, f"split {src.label}: {name} gets {len(eps)} episodes")
            for name, eps in out.items()}
