"""Which files a push sends, frozen while they upload, and their hashes remembered between pushes.

- Only committed dataset files go: everything under the root except `.studio/` (spools, journal, commit
  records), `images/`, and hidden names (the writer's `.<name>.studio-tmp` stages).
- `take_snapshot` hard-links them into `<root>/.studio/push/snapshot/`: the writer replaces files by
  rename, so a snapshot keeps the bytes of one commit even if recording appends an episode meanwhile,
  costs no disk space, and is the only folder upload code ever reads. A link that fails (another
  filesystem) falls back to a copy.
- `HashCache` (`.studio/push/hashes.json`) keeps sha256 (LFS oid) and git blob sha1 per (path, size,
  mtime, inode): a second push hashes only the files that changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from app.dataset import layout as L

PUSH_DIR = ".studio/push"
SKIP_TOP = {L.STUDIO_DIR, "images"}
GIT_HASH_LIMIT = 10 * 1024 * 1024   # regular (non-LFS) files on the Hub are small; bigger ones are LFS


class SnapshotError(Exception):
    """The dataset could not be frozen for a push (message for the user)."""


@dataclass(frozen=True)
class LocalFile:
    rel: str           # path in the repo, POSIX
    path: Path         # the frozen copy to read from
    size: int
    mtime_ns: int
    ino: int

    def changed(self) -> bool:
        try:
            st = self.path.stat()
        except OSError:
            return True
        return (st.st_size, st.st_mtime_ns) != (self.size, self.mtime_ns)


def committed_files(root: Path) -> dict[str, Path]:
    """rel path -> file, for every file a push may upload."""
    root = Path(root)
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        if rel_dir == Path("."):
            dirnames[:] = [d for d in dirnames if d not in SKIP_TOP and not d.startswith(".")]
        else:
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith(".") or name.endswith(".studio-tmp"):
                continue
            out[(rel_dir / name).as_posix()] = Path(dirpath) / name
    return dict(sorted(out.items()))


def _stats(files: dict[str, Path]) -> dict[str, tuple]:
    out = {}
    for rel, p in files.items():
        st = p.stat()
        out[rel] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return out


def take_snapshot(root: Path, attempts: int = 20, wait: float = 0.25) -> list[LocalFile]:
    """Freeze the committed files of `root`; retried while a commit is being applied."""
    from app.dataset.commit import pending

    root = Path(root)
    if not (root / L.INFO_PATH).exists():
        raise SnapshotError(f"{root} is not a dataset (meta/info.json is missing)")
    snap = root / PUSH_DIR / "snapshot"
    for _ in range(attempts):
        if (root / L.INTENT_PATH).exists():     # a live writer is renaming files in: wait for it
            time.sleep(wait)
            continue
        before = _stats(committed_files(root))
        shutil.rmtree(snap, ignore_errors=True)
        out = []
        for rel, (size, mtime, ino) in before.items():
            dst = snap / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(root / rel, dst)
            except OSError:
                shutil.copy2(root / rel, dst)
            st = dst.stat()
            out.append(LocalFile(rel, dst, st.st_size, st.st_mtime_ns, st.st_ino))
        after = _stats(committed_files(root))
        if after == before and not (root / L.INTENT_PATH).exists():
            return out
        time.sleep(wait)
    left = pending(root)    # still there after every wait: a crashed commit, which only a writer may finish
    if left:
        raise SnapshotError(f"{root}: {left}; open it for recording (or `teleop-studio record --resume`), "
                            "then push again")
    raise SnapshotError(f"{root} kept changing (a recording is committing episodes); push again when "
                        "the encoding queue is idle")


def hash_file(path: Path, git: bool) -> tuple[str, str | None]:
    """(sha256, git blob sha1 or None) in one read."""
    sha256 = hashlib.sha256()
    size = path.stat().st_size
    sha1 = hashlib.sha1(b"blob %d\0" % size) if git else None
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            sha256.update(chunk)
            if sha1 is not None:
                sha1.update(chunk)
    return sha256.hexdigest(), (sha1.hexdigest() if sha1 is not None else None)


class HashCache:
    def __init__(self, root: Path):
        self.path = Path(root) / PUSH_DIR / "hashes.json"
        try:
            self._data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self._data = {}
        self.hashed = 0                 # files actually read this time

    def hashes(self, f: LocalFile) -> tuple[str, str | None]:
        key = [f.size, f.mtime_ns, f.ino]
        hit = self._data.get(f.rel)
        if hit and hit[:3] == key:
            return hit[3], hit[4]
        sha256, sha1 = hash_file(f.path, git=f.size <= GIT_HASH_LIMIT)
        self.hashed += 1
        self._data[f.rel] = key + [sha256, sha1]
        return sha256, sha1

    def save(self, keep: set[str]) -> None:
        self._data = {k: v for k, v in self._data.items() if k in keep}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._data))
        tmp.replace(self.path)
