"""Export the review state as one JSON file and import (combine) another reviewer's file.

Import combines verdict by verdict: what only one side has is taken; where both sides decided
differently (accepted vs rejected, two different notes, two notes on the same frame marker) the
result is a Conflict, listed for the user and left as it was, unless `prefer` says which side wins.
A file made for another version of the dataset (other fingerprint) is refused: its episode numbers
would point at other episodes.

`DATASET_FILE` is the name to use when the review travels with the dataset: at the dataset root,
outside `.studio/`, where lerobot never reads (it reads meta/, data/, videos/) and push uploads it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from app.durable import write_atomic
from app.review.state import FORMAT, UNREVIEWED, ReviewError, ReviewState, Verdict

DATASET_FILE = "teleop_studio_review.json"


@dataclass
class Conflict:
    episode: int
    what: str          # "state", "note" or "marker at frame N"
    ours: str
    theirs: str

    def __str__(self) -> str:
        return f"episode {self.episode}: {self.what} is {self.ours!r} here but {self.theirs!r} in the file"


@dataclass
class ImportResult:
    taken: int = 0                     # episodes that changed
    conflicts: list[Conflict] = field(default_factory=list)

    def summary(self) -> str:
        head = f"{self.taken} episode(s) updated, {len(self.conflicts)} conflict(s)"
        return "\n".join([head] + [f"  {c}" for c in self.conflicts])


def export(state: ReviewState, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(state.to_json(), indent=1))
    return path


def load_file(path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReviewError(f"cannot read review file {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ReviewError(f"{path} is not a Teleop Studio review file")
    return data


def import_file(state: ReviewState, path, prefer: str | None = None, force: bool = False) -> ImportResult:
    """Combine `path` into `state` (saved once at the end). prefer: None, "ours" or "theirs"."""
    data = load_file(path)
    fp = data.get("fingerprint", "")
    if not force and state.fingerprint and fp and fp != state.fingerprint:
        raise ReviewError(f"{Path(path).name} was made for another version of this dataset "
                          "(its episodes differ); its episode numbers would not match")
    theirs = {int(k): Verdict.from_json(v) for k, v in data.get("episodes", {}).items()}
    res = ImportResult()
    for ep, t in sorted(theirs.items()):
        o = state.verdicts.get(ep) or Verdict()
        before = o.to_json()
        merged = Verdict(o.state, o.note, dict(o.markers), o.updated)
        if t.state != UNREVIEWED and t.state != o.state:
            if o.state == UNREVIEWED or prefer == "theirs":
                merged.state = t.state
            if o.state != UNREVIEWED:
                res.conflicts.append(Conflict(ep, "state", o.state, t.state))
        if t.note and t.note != o.note:
            if not o.note or prefer == "theirs":
                merged.note = t.note
            if o.note:
                res.conflicts.append(Conflict(ep, "note", o.note, t.note))
        for frame, note in t.markers.items():
            if frame not in o.markers or not o.markers[frame]:
                merged.markers[frame] = note or o.markers.get(frame, "")
            elif note and note != o.markers[frame]:
                if prefer == "theirs":
                    merged.markers[frame] = note
                res.conflicts.append(Conflict(ep, f"marker at frame {frame}", o.markers[frame], note))
        if merged.to_json() != before:
            merged.updated = max(o.updated, t.updated)
            state.verdicts[ep] = merged
            res.taken += 1
    if res.taken:
        state.save()
    return res
