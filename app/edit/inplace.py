"""--in-place: replace a dataset folder with its edited copy through a crash-safe swap.

The edited copy is built completely in `<DST>.partial` (build.py), then:
1. `.partial` is renamed `<DST>.edit-new`: from here on the new dataset is complete and decided.
2. DST is renamed `<DST>.edit-old`, `.edit-new` is renamed DST, the parent directory is fsynced.
3. `.edit-old` is deleted.
A crash anywhere leaves a state `recover_swap` finishes (every edit and every open of a source runs
it first): `.edit-new` present means roll forward; `.edit-old` beside a DST means delete it; an
`.edit-old` alone goes back to DST. A crash before step 1 leaves DST untouched.

Studio files of the dataset (`.studio/`: spools waiting to be encoded, the queue journal, review
state) are hard-linked into the new copy before the swap, so nothing pending is lost.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from app.dataset import layout as L
from app.durable import fsync_dir

NEW, OLD = ".edit-new", ".edit-old"
_REWRITTEN = {"commits.json", "health.jsonl", "writer.lock", "commit-intent.json"}


def _side(dst: Path, suffix: str) -> Path:
    return dst.with_name(dst.name + suffix)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def carry_studio_files(old: Path, new: Path) -> None:
    src = old / L.STUDIO_DIR
    if not src.is_dir():
        return
    for entry in src.iterdir():
        if entry.name in _REWRITTEN or (new / L.STUDIO_DIR / entry.name).exists():
            continue
        target = new / L.STUDIO_DIR / entry.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if entry.is_dir():
            shutil.copytree(entry, target, copy_function=_link_or_copy)
        else:
            _link_or_copy(str(entry), str(target))


def swap_in(dst: Path, built: Path) -> None:
    dst = Path(dst)
    carry_studio_files(dst, built)
    new, old = _side(dst, NEW), _side(dst, OLD)
    os.replace(built, new)
    fsync_dir(dst.parent)
    os.replace(dst, old)
    os.replace(new, dst)
    fsync_dir(dst.parent)
    shutil.rmtree(old, ignore_errors=True)


def recover_swap(dst: Path) -> str | None:
    """Finish an in-place edit a crash interrupted; returns what was done (None: nothing to do)."""
    dst = Path(dst)
    new, old = _side(dst, NEW), _side(dst, OLD)
    if new.is_dir():
        if dst.exists():
            os.replace(dst, old)
        os.replace(new, dst)
        fsync_dir(dst.parent)
        shutil.rmtree(old, ignore_errors=True)
        return "finished an interrupted in-place edit"
    if old.is_dir():
        if dst.exists():
            shutil.rmtree(old, ignore_errors=True)
            return "removed the previous copy of an in-place edit"
        os.replace(old, dst)
        fsync_dir(dst.parent)
        return "restored the dataset from an interrupted in-place edit"
    return None
