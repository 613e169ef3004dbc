"""Durable file writes shared by the dataset, the spool and the encode journal.

`write_atomic` is the one way we replace a small file: write a temp sibling, fsync it, rename it over
the target, fsync the directory. A crash leaves either the old or the new file, never half of one.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    if os.name == "nt":  # no directory handles; NTFS renames are journalled
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes_durable(path: Path, data: bytes) -> None:
    """Write and fsync `path` itself (callers that rename it later, like a commit, use this)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def write_atomic(path: Path, data: bytes | str) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write_bytes_durable(tmp, data.encode("utf-8") if isinstance(data, str) else data)
    os.replace(tmp, path)
    fsync_dir(path.parent)


class UnsafePath(ValueError):
    """A path recovery or a writer was asked to touch that leaves its root or goes through a symlink."""


def confined(root: Path | str, rel: Path | str) -> Path:
    """`root`/`rel`, refused (UnsafePath) unless it stays inside `root` with no symlink on the way.

    `rel` is a relative path, or an absolute one lexically under `root`. Every existing component
    after the root is checked with lstat, the last one included, so neither a symlinked directory
    (`meta/v -> ../V`) nor a symlinked file can carry a rename, a delete or a write outside the root.
    Recovery of commits, spools, the encode journal and the trash must build every path it touches
    with this. The root itself may be reached through a symlink (it is resolved once).
    """
    base = Path(os.path.realpath(root))
    text = os.fspath(rel)
    if "\x00" in text:
        raise UnsafePath(f"{text!r} holds a NUL byte")
    p = Path(text)
    if p.is_absolute():
        lexical_root = Path(os.path.abspath(root))
        ap = Path(os.path.abspath(p))
        for r in (lexical_root, base):
            if ap == r or r in ap.parents:
                p = ap.relative_to(r)
                break
        else:
            raise UnsafePath(f"{text} is outside {root}")
    parts = p.parts
    if not parts or any(part in ("..", "") for part in parts) or "\\" in text and os.name != "nt":
        raise UnsafePath(f"{text!r} is not a plain path inside {root}")
    cur = base
    for part in parts:
        if part == ".":
            continue
        cur = cur / part
        try:
            st = os.lstat(cur)
        except FileNotFoundError:
            break           # nothing further exists: a later mkdir/create makes plain entries
        except OSError as exc:
            raise UnsafePath(f"cannot check {cur}: {exc}") from None
        if stat.S_ISLNK(st.st_mode):
            raise UnsafePath(f"{cur} is a symbolic link; the studio never follows links inside {base}")
    out = base.joinpath(*[x for x in parts if x != "."])
    if out != base and base not in out.parents:
        raise UnsafePath(f"{text!r} is outside {root}")
    return out
