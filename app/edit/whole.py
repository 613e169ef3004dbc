"""Files an edit keeps whole are copied as they are, and every file of the output is made durable
before the output is renamed into place.

Copies go through shutil.copyfile (the kernel copies: sendfile / copy_file_range, no bytes through
Python); a Hub source's file is streamed through its range reader. A copied file is big and written
early, so its fsync starts right away on a helper thread while the edit goes on rewriting rows; the
rest of the tree is fsynced at the end (`Durable.finish`). No hard links: a link would share the
file with the source, and a later append or swap on either side would change both.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from app.durable import fsync_dir, fsync_file
from app.edit.rows import is_local


def copy_file(reader, rel: str, path: Path) -> None:
    if is_local(reader.fs):
        shutil.copyfile(reader.path(rel), path)
    else:
        with reader.open(rel) as src, open(path, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)


class Durable:
    def __init__(self):
        self._pool: ThreadPoolExecutor | None = None
        self._jobs: dict[Path, object] = {}

    def copy(self, reader, rel: str, path: Path) -> None:
        """copy_file, then its fsync in the background."""
        copy_file(reader, rel, path)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="edit-fsync")
        self._jobs[Path(path)] = self._pool.submit(fsync_file, path)

    def finish(self, root: Path) -> None:
        """Every file under root and every directory fsynced (the copies' own fsyncs waited for)."""
        for job in self._jobs.values():
            job.result()
        for dirpath, _, files in os.walk(root):
            for f in files:
                if Path(dirpath) / f not in self._jobs:
                    fsync_file(Path(dirpath) / f)
            fsync_dir(Path(dirpath))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
