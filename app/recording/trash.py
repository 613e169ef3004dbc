"""Trim and trash takes before they are committed: a trashed take can be brought back until emptied.

Every folder moved or deleted here is confined to the dataset (app.durable.confined): a take folder,
or a trash planted as a symlink, can never carry a rename or a delete outside it.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from app.durable import UnsafePath, confined
from app.recording.spool import SPOOL_DIR, Spool, studio_folder, take_folders

TRASH_DIR = Path(".studio") / "trash"


def trash_root(dataset_root: Path | str) -> Path:
    return Path(dataset_root) / TRASH_DIR


def trim(spool: Spool, head_s: float = 0.0, tail_s: float = 0.0) -> Spool:
    """Cut seconds off the head and tail of a take (recorded before its commit)."""
    spool.set_trim(round(head_s * spool.fps), round(tail_s * spool.fps))
    return spool


def _take(dataset_root: Path | str, folder: Path, spool_id: str) -> Path:
    if not isinstance(spool_id, str) or "/" in spool_id or "\\" in spool_id or spool_id in ("", ".", ".."):
        raise UnsafePath(f"{spool_id!r} is not a take id")
    return confined(dataset_root, folder / spool_id)


def move_to_trash(dataset_root: Path | str, spool: Spool) -> Path:
    src = studio_folder(spool.path)
    dest = _take(dataset_root, TRASH_DIR, src.name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    confined(dataset_root, TRASH_DIR)  # the trash made just now is still a plain folder
    (src / "trashed.json").write_text(json.dumps({"time": time.time()}), encoding="utf-8")
    src.rename(dest)  # same file system: atomic, so a crash leaves it in one place
    return dest


def trashed(dataset_root: Path | str) -> list[Spool]:
    return [Spool(d) for d in take_folders(dataset_root, TRASH_DIR) if (d / "meta.json").exists()]


def restore(dataset_root: Path | str, spool_id: str) -> Spool:
    """Undo: the take goes back to the spool folder, to be submitted again."""
    src = _take(dataset_root, TRASH_DIR, spool_id)
    if not src.is_dir():
        raise FileNotFoundError(f"take {spool_id} is not in the trash")
    dest = _take(dataset_root, SPOOL_DIR, spool_id)
    dest.parent.mkdir(parents=True, exist_ok=True)
    confined(dataset_root, SPOOL_DIR)
    src.rename(dest)
    (dest / "trashed.json").unlink(missing_ok=True)
    return Spool(dest)


def empty_trash(dataset_root: Path | str) -> int:
    items = trashed(dataset_root)  # plain folders inside the dataset only
    for s in items:
        shutil.rmtree(studio_folder(s.path), ignore_errors=True)
    return len(items)
