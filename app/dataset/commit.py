"""Atomic multi-file commit of one episode, and recovery after a crash.

Commit protocol (one episode = one commit):
1. Stage. Every new or changed file is written to a temp sibling `.<name>.studio-tmp` in its final
   directory, flushed and fsynced: the data parquet (existing row groups copied + the episode as its
   own row group, or a new file on rollover), each camera's mp4 (remuxed, no re-encode), the
   episodes-meta parquet, tasks.parquet (when tasks were added), stats.json, the studio commit record
   `.studio/commits.json`, and info.json. Temp names never match lerobot's `*.parquet`/`*.mp4` globs.
2. Intent. `.studio/commit-intent.json` lists the temp -> final renames in order; it is written to a
   temp name, fsynced and renamed, so it exists either whole or not at all. From here on the commit
   is decided.
3. Apply. The renames run in the listed order, chosen so that lerobot can load every intermediate
   state: payload files (data, videos) first, then tasks.parquet, the episodes metadata, stats.json,
   the commit record, and info.json last (its totals are what make the episode visible).
   Then the touched directories are fsynced and the intent is deleted.

Recovery (`recover(root)`): with an intent present, roll forward: perform the renames whose temp still
exists (the others were already done), fsync, delete the intent. Without an intent, delete every stray
`*.studio-tmp` file (an unfinished stage; the previous state is intact). DatasetWriter.open runs it;
DatasetReader and validate run it for local roots before reading. It only runs when the writer lock
(`.studio/writer.lock`, an advisory flock held by a live DatasetWriter) can be taken, so a reader never
deletes the temp files of a writer that is still working.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from app.dataset.errors import DatasetError
from app.durable import fsync_dir, fsync_file, write_bytes_durable
from app.dataset.layout import INTENT_PATH, LOCK_PATH, safe_relpath

try:
    import fcntl
except ImportError:  # Windows: no advisory lock; recovery then always runs
    fcntl = None

TMP_SUFFIX = ".studio-tmp"


def temp_path(final: Path) -> Path:
    return final.with_name(f".{final.name}{TMP_SUFFIX}")


class Commit:
    """Stage files under temp names, then apply them all with an intent file (see module doc)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.renames: list[tuple[Path, Path]] = []

    def stage(self, rel: str) -> Path:
        """Temp path to write the new content of `rel` to (call `staged` once it is written)."""
        final = self.root / safe_relpath(rel)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_path(final)
        if tmp.exists():
            tmp.unlink()
        return tmp

    def staged(self, rel: str, tmp: Path) -> None:
        fsync_file(tmp)
        self.renames.append((tmp, self.root / safe_relpath(rel)))

    def stage_bytes(self, rel: str, data: bytes) -> None:
        tmp = self.stage(rel)
        write_bytes_durable(tmp, data)
        self.renames.append((tmp, self.root / safe_relpath(rel)))

    def apply(self, order_key=None) -> None:
        if order_key is not None:
            self.renames.sort(key=lambda r: order_key(r[1].relative_to(self.root).as_posix()))
        intent = self.root / INTENT_PATH
        entries = [[t.relative_to(self.root).as_posix(), f.relative_to(self.root).as_posix()]
                   for t, f in self.renames]
        tmp = temp_path(intent)
        write_bytes_durable(tmp, json.dumps({"renames": entries}).encode())
        os.replace(tmp, intent)
        fsync_dir(intent.parent)
        _apply(self.root, entries)
        intent.unlink()
        fsync_dir(intent.parent)


def _apply(root: Path, entries: list) -> None:
    dirs = set()
    for tmp_rel, final_rel in entries:
        tmp, final = root / safe_relpath(tmp_rel), root / safe_relpath(final_rel)
        if tmp.exists():
            os.replace(tmp, final)
            dirs.add(final.parent)
    for d in dirs:
        fsync_dir(d)


class WriterLock:
    """Advisory lock held by a live writer; recovery needs it."""

    def __init__(self, root: Path):
        self.path = Path(root) / LOCK_PATH
        self.fd = None

    def acquire(self, blocking: bool = False) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except OSError:
                os.close(fd)
                return False
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            if fcntl is not None:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def _stray_temps(root: Path) -> list[Path]:
    found = [p for sub in ("meta", "data", "videos") for p in (root / sub).rglob(f"*{TMP_SUFFIX}")]
    found += list((root / ".studio").glob(f"*{TMP_SUFFIX}"))
    return [p for p in found if p.is_file()]


def recover(root: Path, *, locked: bool = False) -> str | None:
    """Finish or roll back an interrupted commit. Returns what was done, or None if nothing/busy."""
    root = Path(root)
    if not (root / INTENT_PATH).exists() and not _stray_temps(root):
        return None
    lock = None
    if not locked:
        lock = WriterLock(root)
        try:
            if not lock.acquire():
                return None  # a live writer owns the dataset and will recover it itself
        except OSError as exc:
            raise DatasetError(f"{root} has an unfinished commit but is not writable: {exc}") from exc
    try:
        intent = root / INTENT_PATH
        if intent.exists():
            try:
                entries = json.loads(intent.read_text())["renames"]
            except (OSError, ValueError, KeyError) as exc:
                raise DatasetError(f"commit intent {intent} is unreadable: {exc}") from exc
            _apply(root, entries)
            intent.unlink()
            fsync_dir(intent.parent)
            done = "rolled forward an interrupted commit"
        else:
            done = None
        stray = _stray_temps(root)
        for p in stray:
            p.unlink()
        if stray and done is None:
            done = f"removed {len(stray)} unfinished temp file(s)"
        return done
    finally:
        if lock is not None:
            lock.release()
