"""Trim and trash takes before they are committed: a trashed take can be brought back until emptied."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from app.recording.spool import Spool, spool_root

TRASH_DIR = Path(".studio") / "trash"


def trash_root(dataset_root: Path | str) -> Path:
    return Path(dataset_root) / TRASH_DIR


def trim(spool: Spool, head_s: float = 0.0, tail_s: float = 0.0) -> Spool:
    """Cut seconds off the head and tail of a take (recorded before its commit)."""
    spool.set_trim(round(head_s * spool.fps), round(tail_s * spool.fps))
    return spool


def move_to_trash(dataset_root: Path | str, spool: Spool) -> Path:
    dest = trash_root(dataset_root) / spool.id
    dest.parent.mkdir(parents=True, exist_ok=True)
    (spool.path / "trashed.json").write_text(json.dumps({"time": time.time()}), encoding="utf-8")
    spool.path.rename(dest)  # same file system: atomic, so a crash leaves it in one place
    return dest


def trashed(dataset_root: Path | str) -> list[Spool]:
    base = trash_root(dataset_root)
    return [Spool(d) for d in sorted(base.iterdir()) if (d / "meta.json").exists()] if base.is_dir() else []


def restore(dataset_root: Path | str, spool_id: str) -> Spool:
    """Undo: the take goes back to the spool folder, to be submitted again."""
    src = trash_root(dataset_root) / spool_id
    if not src.is_dir():
        raise FileNotFoundError(f"take {spool_id} is not in the trash")
    dest = spool_root(dataset_root) / spool_id
    dest.parent.mkdir(parents=True, exist_ok=True)
    src.rename(dest)
    (dest / "trashed.json").unlink(missing_ok=True)
    return Spool(dest)


def empty_trash(dataset_root: Path | str) -> int:
    items = trashed(dataset_root)
    for s in items:
        shutil.rmtree(s.path, ignore_errors=True)
    return len(items)
