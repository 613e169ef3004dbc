"""Durable file writes shared by the dataset, the spool and the encode journal.

`write_atomic` is the one way we replace a small file: write a temp sibling, fsync it, rename it over
the target, fsync the directory. A crash leaves either the old or the new file, never half of one.
"""

from __future__ import annotations

import os
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
