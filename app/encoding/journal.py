"""The encode queue's journal: one entry per recorded episode, kept on disk so the queue survives a crash.

The file is `<dataset>/.studio/queue.json`, rewritten whole (temp file, fsync, rename, fsync of the
folder) after every state change, so a reader only ever sees the previous or the next version.
An entry that was being encoded or verified when the process died goes back to pending on load:
its spool is still there (spools are deleted only after a verified commit) and the commit itself is
idempotent (the writer remembers the spool id), so running it again can neither lose nor duplicate
an episode.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

from app.durable import UnsafePath, confined, write_atomic

PENDING, ENCODING, VERIFYING, DONE, FAILED = "pending", "encoding", "verifying", "done", "failed"
STATES = (PENDING, ENCODING, VERIFYING, DONE, FAILED)
ACTIVE = (ENCODING, VERIFYING)
VERSION = 1
KEEP_DONE = 500  # finished entries remembered for the panel's history; older ones are dropped


@dataclass
class Entry:
    id: str  # the spool id; also the writer's source_id, which makes the commit idempotent
    spool: str  # spool folder
    task: str = ""
    cameras: list[str] = field(default_factory=list)  # video keys
    length: int = 0  # frames per camera
    fps: int = 30
    state: str = PENDING
    attempts: int = 0
    error: str = ""
    order: float = 0.0  # lower runs first; "raise priority" makes it the smallest
    created: float = 0.0
    updated: float = 0.0
    started: float = 0.0
    finished: float = 0.0
    episode_index: int | None = None
    codec: str = ""
    output_bytes: int = 0
    retry_at: float = 0.0  # failed for a cause that may go away (disk full, I/O error): tried again then

    @property
    def video_seconds(self) -> float:
        return self.length / self.fps if self.fps else 0.0

    @classmethod
    def for_spool(cls, spool) -> "Entry":
        return cls(id=spool.id, spool=str(spool.path), task=spool.task, cameras=list(spool.cameras),
                   length=int(spool.length), fps=int(spool.fps))

    @classmethod
    def from_dict(cls, d: dict) -> "Entry":
        known = {f.name for f in fields(cls)}
        entry = cls(**{k: v for k, v in d.items() if k in known})
        if entry.state not in STATES:
            raise ValueError(f"unknown state {entry.state!r} for entry {entry.id}")
        return entry


class Journal:
    """Ordered entries keyed by spool id. Not thread-safe: the queue serialises access with its lock."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.entries: dict[str, Entry] = {}
        self.recovered: list[str] = []  # ids that were mid-encode when the last process stopped

    @classmethod
    def load(cls, path: Path, root: Path | str | None = None) -> "Journal":
        """With `root` (the dataset), `path` and the damaged-journal rename are confined to it."""
        if root is not None:
            try:
                path = confined(root, path)
            except UnsafePath as exc:
                raise JournalError(f"refusing the encode queue journal: {exc}") from None
        journal = cls(path)
        if not journal.path.exists():
            return journal
        try:
            raw = json.loads(journal.path.read_text(encoding="utf-8"))
            entries = [Entry.from_dict(d) for d in raw.get("entries", [])]
        except (ValueError, TypeError, AttributeError) as exc:
            # Never silently start empty over a damaged journal: keep it aside for inspection.
            broken = journal.path.with_name(f"queue.broken-{int(time.time())}.json")
            if root is not None:
                try:
                    broken = confined(root, broken)
                except UnsafePath as e:
                    raise JournalError(f"encode queue journal {journal.path} is damaged ({exc}) and "
                                       f"cannot be moved aside: {e}") from exc
            os.replace(journal.path, broken)
            raise JournalError(f"encode queue journal {journal.path} is damaged ({exc}); "
                               f"moved to {broken.name}, spools will be re-adopted") from exc
        for e in entries:
            if e.state in ACTIVE:
                e.state = PENDING
                journal.recovered.append(e.id)
            journal.entries[e.id] = e
        return journal

    def save(self) -> None:
        self.write(self.snapshot())

    def snapshot(self) -> list[dict]:
        """The entries as plain dicts, cheap enough to take under the queue's lock (write() does the
        slow part: JSON and the synced file). Finished entries beyond KEEP_DONE are dropped here."""
        done = [e for e in self.entries.values() if e.state == DONE]
        if len(done) > KEEP_DONE:
            for e in sorted(done, key=lambda e: e.finished)[: len(done) - KEEP_DONE]:
                del self.entries[e.id]
        return [dict(vars(e), cameras=list(e.cameras)) for e in self.entries.values()]

    def write(self, snapshot: list[dict]) -> None:
        write_atomic(self.path, json.dumps({"version": VERSION, "entries": snapshot}, separators=(",", ":")))

    def add(self, entry: Entry) -> None:
        now = time.time()
        entry.created = entry.created or now
        entry.updated = now
        if not entry.order:
            entry.order = max((e.order for e in self.entries.values()), default=0.0) + 1.0
        self.entries[entry.id] = entry

    def set_state(self, entry_id: str, state: str, **changes) -> Entry:
        entry = self.entries[entry_id]
        entry.state = state
        entry.updated = time.time()
        for k, v in changes.items():
            setattr(entry, k, v)
        return entry

    def ordered(self) -> list[Entry]:
        return sorted(self.entries.values(), key=lambda e: (e.order, e.created))


class JournalError(RuntimeError):
    pass
