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

Recovery runs only inside `DatasetWriter` (open for writing, holding the writer lock
`.studio/writer.lock`), never when a dataset is read, checked, streamed or pushed. It only follows an
intent this studio wrote: `apply` first records a random token and the digest of the renames in a
file of the studio's own data dir (outside every dataset), puts the token in the intent, and deletes
that file when the commit is done. An intent whose token the studio does not hold (planted, copied
from another computer, edited) is never applied: the writer refuses to open the dataset and says so.
Every path recovery touches goes through `app.durable.confined` (inside the root, no symlinks). With
a verified intent, recovery rolls forward: it performs the renames whose temp still exists (the
others were already done), fsyncs, deletes the intent. Without an intent, it deletes every stray
`*.studio-tmp` regular file (an unfinished stage; the previous state is intact).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import stat
from pathlib import Path

from app.dataset.errors import DatasetError
from app.dataset.layout import INTENT_PATH, LOCK_PATH, safe_relpath
from app.durable import UnsafePath, confined, fsync_dir, fsync_file, write_bytes_durable

try:
    import fcntl
except ImportError:  # Windows: no advisory lock; recovery then always runs
    fcntl = None

TMP_SUFFIX = ".studio-tmp"
MAX_INTENT_BYTES = 1024 * 1024
_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")


def temp_path(final: Path) -> Path:
    return final.with_name(f".{final.name}{TMP_SUFFIX}")


def dataset_path(root: Path, rel: str) -> Path:
    """root/rel for a path the studio writes or renames: confined to the root, no symlink on the way."""
    try:
        return confined(root, safe_relpath(rel))
    except UnsafePath as exc:
        raise DatasetError(f"refusing to touch {rel}: {exc}") from None


# -- tokens: which intents this studio wrote ------------------------------------------------------

def _token_dir() -> Path:
    from app.paths import data_dir
    return data_dir() / "commit-tokens"


def _digest(root: Path, entries: list) -> str:
    blob = json.dumps([os.path.realpath(root), entries], separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


def _remember(token: str, root: Path, entries: list) -> None:
    """Durably note that this studio is about to apply `entries` in `root` (before the intent exists).
    A new file written in place (no rename): a half-written one only ever belongs to an intent that
    was never written, and does not match any digest."""
    d = _token_dir()
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{token}.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, json.dumps({"root": os.path.realpath(root), "digest": _digest(root, entries)}).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(d)


def _forget(token: str) -> None:
    (_token_dir() / f"{token}.json").unlink(missing_ok=True)


def _forget_stale(root: Path) -> None:
    """Drop tokens of `root` left by a crash before its intent was written (the writer holds the lock)."""
    real = os.path.realpath(root)
    for p in _token_dir().glob("*.json"):
        try:
            if json.loads(p.read_text()).get("root") == real:
                p.unlink()
        except (OSError, ValueError, AttributeError):
            continue


def _ours(token, root: Path, entries: list) -> bool:
    if not isinstance(token, str) or not _TOKEN_RE.match(token):
        return False
    try:
        mine = json.loads((_token_dir() / f"{token}.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(mine, dict) and mine.get("digest") == _digest(root, entries)


class Commit:
    """Stage files under temp names, then apply them all with an intent file (see module doc)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.renames: list[tuple[Path, Path]] = []

    def stage(self, rel: str) -> Path:
        """Temp path to write the new content of `rel` to (call `staged` once it is written)."""
        final = dataset_path(self.root, rel)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = dataset_path(self.root, temp_path(Path(safe_relpath(rel))).as_posix())
        if tmp.exists():
            tmp.unlink()
        return tmp

    def staged(self, rel: str, tmp: Path) -> None:
        fsync_file(tmp)
        self.renames.append((tmp, dataset_path(self.root, rel)))

    def stage_bytes(self, rel: str, data: bytes) -> None:
        tmp = self.stage(rel)
        write_bytes_durable(tmp, data)
        self.renames.append((tmp, dataset_path(self.root, rel)))

    def apply(self, order_key=None) -> None:
        base = Path(os.path.realpath(self.root))
        if order_key is not None:
            self.renames.sort(key=lambda r: order_key(r[1].relative_to(base).as_posix()))
        intent = dataset_path(self.root, INTENT_PATH)
        entries = [[t.relative_to(base).as_posix(), f.relative_to(base).as_posix()]
                   for t, f in self.renames]
        token = secrets.token_hex(16)
        _remember(token, self.root, entries)
        tmp = temp_path(intent)
        write_bytes_durable(tmp, json.dumps({"token": token, "renames": entries}).encode())
        os.replace(tmp, intent)
        fsync_dir(intent.parent)
        _apply(self.root, entries)
        intent.unlink()
        fsync_dir(intent.parent)
        _forget(token)


def _check_entries(root: Path, entries) -> list[tuple[Path, Path]]:
    """The renames of an intent as confined paths; each temp must be its final file's temp sibling."""
    if not isinstance(entries, list) or len(entries) > 10_000:
        raise DatasetError("commit intent: renames must be a list")
    out = []
    for e in entries:
        if not (isinstance(e, list) and len(e) == 2 and all(isinstance(x, str) for x in e)):
            raise DatasetError(f"commit intent: malformed rename {str(e)[:100]}")
        tmp_rel, final_rel = safe_relpath(e[0], "intent path"), safe_relpath(e[1], "intent path")
        if tmp_rel != temp_path(Path(final_rel)).as_posix():
            raise DatasetError(f"commit intent: {tmp_rel} is not the staged copy of {final_rel}")
        out.append((dataset_path(root, tmp_rel), dataset_path(root, final_rel)))
    return out


def _apply(root: Path, entries: list) -> None:
    dirs = set()
    for tmp, final in _check_entries(root, entries):
        try:
            st = os.lstat(tmp)
        except FileNotFoundError:
            continue                                # renamed before the interruption
        if not stat.S_ISREG(st.st_mode):
            raise DatasetError(f"commit intent: {tmp} is not a regular file")
        os.replace(tmp, final)
        dirs.add(final.parent)
    for d in dirs:
        fsync_dir(d)


class WriterLock:
    """Advisory lock held by a live writer; recovery needs it."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.path = self.root / LOCK_PATH
        self.fd = None

    def acquire(self, blocking: bool = False) -> bool:
        self.path = dataset_path(self.root, LOCK_PATH)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path = dataset_path(self.root, LOCK_PATH)   # .studio may have been created just now
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
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
    """Regular `*.studio-tmp` files under meta/, data/, videos/ and .studio/ (links never followed)."""
    found = []
    for sub in ("meta", "data", "videos", ".studio"):
        try:
            top = dataset_path(root, sub)
        except DatasetError:
            continue
        if not top.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
            if sub == ".studio" and Path(dirpath) != top:
                dirnames[:] = []
                continue
            for name in filenames:
                p = Path(dirpath) / name
                if name.endswith(TMP_SUFFIX) and stat.S_ISREG(os.lstat(p).st_mode):
                    found.append(p)
    return found


def pending(root: Path) -> str | None:
    """What an interrupted commit left in `root`, without changing anything (for `check`)."""
    root = Path(root)
    if os.path.lexists(root / INTENT_PATH):
        return ("an interrupted commit is pending (.studio/commit-intent.json); opening the dataset for "
                "recording finishes it")
    return None


def recover(root: Path, *, locked: bool = False) -> str | None:
    """Finish or roll back an interrupted commit; only for a writer holding the lock (`locked`).

    Without the lock this does nothing and returns None: reading, checking, streaming and pushing
    never modify a dataset. Raises DatasetError for an intent this studio did not write.
    """
    if not locked:
        return None
    root = Path(root)
    intent = dataset_path(root, INTENT_PATH)
    done = None
    if os.path.lexists(intent):
        if not stat.S_ISREG(os.lstat(intent).st_mode) or os.lstat(intent).st_size > MAX_INTENT_BYTES:
            raise DatasetError(f"{intent} is not a commit intent this studio wrote; it was not applied")
        try:
            body = json.loads(intent.read_text())
            token, entries = body["token"], body["renames"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DatasetError(f"commit intent {intent} is unreadable ({type(exc).__name__}); it was not "
                               "applied. Delete that file to keep the dataset as it is.") from None
        if not _ours(token, root, entries):
            raise DatasetError(
                f"{root} holds an unfinished commit that this studio did not start here "
                "(.studio/commit-intent.json); it was not applied. If the folder was copied from another "
                "computer, open it there to finish the commit, or delete that file to keep the dataset "
                "as it is.")
        _apply(root, entries)
        intent.unlink()
        fsync_dir(intent.parent)
        _forget(token)
        done = "rolled forward an interrupted commit"
    stray = _stray_temps(root)
    for p in stray:
        p.unlink()
    _forget_stale(root)
    if stray and done is None:
        done = f"removed {len(stray)} unfinished temp file(s)"
    return done
