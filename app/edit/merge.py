"""merge: several datasets into one, episodes in source order, tasks and indexes renumbered.

The sources must agree on fps, robot type (as lerobot's merge requires), every feature (name, dtype,
shape, names) and each camera's size, codec and pixel format; otherwise the merge is refused with the
first difference named.
"""

from __future__ import annotations

from app.edit.plan import EditError, Pick, Plan
from app.edit.source import Source


def _describe(ft: dict) -> str:
    return f"{ft.get('dtype')} {ft.get('shape')}"


def check_compatible(sources: list[Source]) -> None:
    a = sources[0]
    for b in sources[1:]:
        ra, rb = a.reader, b.reader
        if ra.fps != rb.fps:
            raise EditError(f"cannot merge: {a.label} is {ra.fps} fps, {b.label} is {rb.fps} fps")
        if ra.info.get("robot_type") != rb.info.get("robot_type"):     # lerobot's merge refuses it too
            raise EditError(f"cannot merge: {a.label} was recorded with robot {ra.info.get('robot_type')!r}, "
                            f"{b.label} with {rb.info.get('robot_type')!r}")
        fa, fb = ra.features, rb.features
        only_a, only_b = sorted(set(fa) - set(fb)), sorted(set(fb) - set(fa))
        if only_a or only_b:
            what = [f"{k} only in {a.label}" for k in only_a] + [f"{k} only in {b.label}" for k in only_b]
            raise EditError("cannot merge: different features: " + "; ".join(what))
        for k in fa:
            x, y = fa[k], fb[k]
            if (x.get("dtype"), list(x.get("shape") or [])) != (y.get("dtype"), list(y.get("shape") or [])):
                raise EditError(f"cannot merge: feature {k} is {_describe(x)} in {a.label} "
                                f"but {_describe(y)} in {b.label}")
            if x.get("dtype") == "video":
                for field in ("video.codec", "video.pix_fmt"):
                    va, vb = (x.get("info") or {}).get(field), (y.get("info") or {}).get(field)
                    if va and vb and va != vb:
                        raise EditError(f"cannot merge: camera {k} is {field.split('.')[1]} {va} in {a.label} but "
                                        f"{vb} in {b.label} (one camera file holds one kind of stream)")
            if x.get("dtype") != "video" and x.get("names") != y.get("names"):
                raise EditError(f"cannot merge: feature {k} names {x.get('names')} in {a.label} "
                                f"but {y.get('names')} in {b.label}")


def plan(sources: list[Source]) -> Plan:
    if len(sources) < 2:
        raise EditError("merge needs at least two datasets")
    check_compatible(sources)
    picks = [Pick(i, e) for i, s in enumerate(sources) for e in range(len(s.reader.episodes))]
    return Plan(sources, picks, description=f"merge {len(sources)} datasets ({len(picks)} episodes)")
