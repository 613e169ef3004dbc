"""Review verdicts of one dataset at one version: per episode a state (unreviewed, accepted,
rejected), a note, and markers on frames ("gripper slipped here").

Where it lives (`review_path`): a local dataset keeps it in `<root>/.studio/review/<fingerprint>.json`
(lerobot and push never look in .studio); a Hub dataset in the studio's cache dir under
`review/<owner>--<name>/<commit>.json`. The fingerprint names the dataset's content (episode count,
lengths, tasks, files), so after an edit renumbers the episodes the old verdicts are not applied to
the wrong episodes.

Every change is written at once with app.durable.write_atomic (temp, fsync, rename): a kill -9 at
any moment leaves the file as it was before or after the change, never half of it.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.durable import write_atomic

UNREVIEWED, ACCEPTED, REJECTED = "unreviewed", "accepted", "rejected"
STATES = (UNREVIEWED, ACCEPTED, REJECTED)
FORMAT = "teleop-studio-review/1"


class ReviewError(ValueError):
    pass


@dataclass
class Verdict:
    state: str = UNREVIEWED
    note: str = ""
    markers: dict[int, str] = field(default_factory=dict)    # frame -> what happened there
    updated: float = 0.0

    def to_json(self) -> dict:
        return {"state": self.state, "note": self.note, "updated": self.updated,
                "markers": [{"frame": f, "note": n} for f, n in sorted(self.markers.items())]}

    @classmethod
    def from_json(cls, d: dict) -> "Verdict":
        state = d.get("state", UNREVIEWED)
        if state not in STATES:
            raise ReviewError(f"unknown review state {state!r}")
        markers = {int(m["frame"]): str(m.get("note", "")) for m in d.get("markers", [])}
        return cls(state, str(d.get("note", "")), markers, float(d.get("updated", 0.0)))

    def empty(self) -> bool:
        return self.state == UNREVIEWED and not self.note and not self.markers


def fingerprint(reader) -> str:
    """Names a dataset's content: fps, features, and each episode's length, tasks and files."""
    h = hashlib.sha256()
    h.update(json.dumps([reader.fps, sorted(reader.features)]).encode())
    for e in reader.episodes:
        h.update(json.dumps([e.length, e.tasks, e.data_file,
                             sorted((k, v.path, round(v.from_ts, 4)) for k, v in e.videos.items())]).encode())
    return h.hexdigest()[:16]


def review_path(reader, local_root: Path | None, repo_id: str = "", commit: str = "") -> Path:
    if local_root is not None:
        return Path(local_root) / ".studio" / "review" / f"{fingerprint(reader)}.json"
    from app.paths import cache_dir

    name = repo_id.replace("/", "--") or "unknown"
    return cache_dir() / "review" / name / f"{commit or fingerprint(reader)}.json"


class ReviewState:
    """Verdicts keyed by episode index, saved on every change."""

    def __init__(self, path: Path | None, dataset: str = "", fp: str = ""):
        self.path, self.dataset, self.fingerprint = (Path(path) if path else None), dataset, fp
        self.verdicts: dict[int, Verdict] = {}
        self._lock = threading.Lock()
        if self.path is not None and self.path.exists():
            self._load(json.loads(self.path.read_text(encoding="utf-8")))
        if self.path is not None and self.path.parent.is_dir():
            for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):   # a save cut by kill -9
                stale.unlink(missing_ok=True)

    @classmethod
    def for_reader(cls, reader, local_root: Path | None, repo_id: str = "", commit: str = "") -> "ReviewState":
        return cls(review_path(reader, local_root, repo_id, commit), repo_id or str(local_root or ""),
                   fingerprint(reader))

    def _load(self, data: dict) -> None:
        if data.get("format") != FORMAT:
            raise ReviewError(f"not a Teleop Studio review file (format {data.get('format')!r})")
        self.verdicts = {int(k): Verdict.from_json(v) for k, v in data.get("episodes", {}).items()}
        self.dataset = self.dataset or data.get("dataset", "")
        self.fingerprint = self.fingerprint or data.get("fingerprint", "")

    def to_json(self) -> dict:
        return {"format": FORMAT, "dataset": self.dataset, "fingerprint": self.fingerprint,
                "episodes": {str(e): v.to_json() for e, v in sorted(self.verdicts.items()) if not v.empty()}}

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, json.dumps(self.to_json(), indent=1))

    # -- queries -------------------------------------------------------------------------------------
    def get(self, episode: int) -> Verdict:
        return self.verdicts.get(episode) or Verdict()

    def state(self, episode: int) -> str:
        return self.get(episode).state

    def counts(self, total: int) -> dict[str, int]:
        out = {s: 0 for s in STATES}
        for e in range(total):
            out[self.state(e)] += 1
        return out

    # -- changes (each one saved durably) -------------------------------------------------------------
    def _change(self, episode: int, fn) -> Verdict:
        with self._lock:
            v = self.verdicts.setdefault(int(episode), Verdict())
            fn(v)
            v.updated = time.time()
            self.save()
            return v

    def set_state(self, episode: int, state: str) -> Verdict:
        if state not in STATES:
            raise ReviewError(f"unknown review state {state!r}")
        return self._change(episode, lambda v: setattr(v, "state", state))

    def set_note(self, episode: int, note: str) -> Verdict:
        return self._change(episode, lambda v: setattr(v, "note", note.strip()))

    def add_marker(self, episode: int, frame: int, note: str = "") -> Verdict:
        return self._change(episode, lambda v: v.markers.__setitem__(int(frame), note.strip()))

    def remove_marker(self, episode: int, frame: int) -> Verdict:
        return self._change(episode, lambda v: v.markers.pop(int(frame), None))
