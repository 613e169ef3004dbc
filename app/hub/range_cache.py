"""A bounded on-disk cache of fetched byte ranges of remote files, so revisits are instant and offline.

Files are cut into fixed blocks; a block is stored as one small file named by (file key, block index)
under `<cache dir>/hub-ranges/`. The file key names an immutable remote file (repo, commit sha, path),
so a cached block never goes stale. The least recently used blocks are evicted when the total goes
over `max_bytes`. Writes go to a temporary name and are renamed into place, so a crash leaves either
a whole block or none. Nothing is written anywhere else.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

from app.paths import cache_dir

DEFAULT_BLOCK = 256 * 1024
DEFAULT_MAX_BYTES = 2 * 1024 ** 3


def file_key(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()


class RangeCache:
    def __init__(self, directory: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                 block_size: int = DEFAULT_BLOCK):
        self.directory = Path(directory) if directory else cache_dir() / "hub-ranges"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_bytes, self.block_size = int(max_bytes), int(block_size)
        self._lock = threading.Lock()
        self._used: dict[Path, tuple[float, int]] = {}    # block file -> (last use, size)
        for p in self.directory.glob("*/*.blk"):
            st = p.stat()
            self._used[p] = (st.st_mtime, st.st_size)
        self.hits = self.misses = 0

    @property
    def total_bytes(self) -> int:
        with self._lock:
            return sum(size for _, size in self._used.values())

    def _path(self, key: str, block: int) -> Path:
        return self.directory / key[:2] / f"{key}-{self.block_size}-{block}.blk"

    def get(self, key: str, block: int) -> bytes | None:
        path = self._path(key, block)
        try:
            data = path.read_bytes()
        except OSError:
            with self._lock:
                self.misses += 1
            return None
        with self._lock:
            self.hits += 1
            self._used[path] = (time.time(), len(data))
        return data

    def put(self, key: str, block: int, data: bytes) -> None:
        if len(data) > self.max_bytes:
            return
        path = self._path(key, block)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        with self._lock:
            self._used[path] = (time.time(), len(data))
            self._evict_locked()

    def _evict_locked(self) -> None:
        total = sum(size for _, size in self._used.values())
        if total <= self.max_bytes:
            return
        for path, (_, size) in sorted(self._used.items(), key=lambda kv: kv[1][0]):
            if total <= self.max_bytes:
                break
            try:
                path.unlink()
            except OSError:
                pass
            del self._used[path]
            total -= size

    def clear(self) -> None:
        with self._lock:
            for path in list(self._used):
                path.unlink(missing_ok=True)
            self._used.clear()

    def read(self, key: str, start: int, end: int, size: int, fetch) -> bytes:
        """Bytes [start, end) of a file of `size` bytes; missing blocks come from
        fetch(start, end) -> bytes, one request per run of consecutive missing blocks."""
        end = min(end, size)
        if start >= end:
            return b""
        bs = self.block_size
        first, last = start // bs, (end - 1) // bs
        blocks = {b: self.get(key, b) for b in range(first, last + 1)}
        missing = [b for b, d in blocks.items() if d is None]
        runs: list[list[int]] = []
        for b in missing:
            if runs and runs[-1][-1] == b - 1:
                runs[-1].append(b)
            else:
                runs.append([b])
        for run in runs:
            lo, hi = run[0] * bs, min(size, (run[-1] + 1) * bs)
            data = fetch(lo, hi)
            if len(data) != hi - lo:
                raise OSError(f"short read: asked {hi - lo} bytes at {lo}, got {len(data)}")
            for i, b in enumerate(run):
                chunk = data[i * bs:(i + 1) * bs]
                blocks[b] = chunk
                self.put(key, b, chunk)
        joined = b"".join(blocks[b] for b in range(first, last + 1))
        return joined[start - first * bs:end - first * bs]
