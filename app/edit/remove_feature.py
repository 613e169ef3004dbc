"""remove-feature: drop data columns or cameras (their video files are simply not copied)."""

from __future__ import annotations

from app.dataset.features import DEFAULT_FEATURES
from app.edit.plan import EditError, Pick, Plan
from app.edit.source import Source


def plan(src: Source, names: list[str]) -> Plan:
    feats = src.reader.features
    missing = [n for n in names if n not in feats]
    if missing:
        raise EditError(f"the dataset has no feature {missing[0]!r}; it has: {', '.join(feats)}")
    default = [n for n in names if n in DEFAULT_FEATURES]
    if default:
        raise EditError(f"{default[0]} is one of lerobot's own columns and cannot be removed")
    if len(set(feats) - set(names) - set(DEFAULT_FEATURES)) == 0:
        raise EditError("removing these would leave no feature but lerobot's own columns")
    return Plan([src], [Pick(0, e.index) for e in src.reader.episodes], drop_features=set(names),
                description=f"remove {', '.join(names)} from {src.label}")
