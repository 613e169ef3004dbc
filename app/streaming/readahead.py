"""Read-ahead for remote video files: fetch the blocks after the read position in parallel.

A decoder reads an mp4 front to back in small pieces. Over the Hub a lone reader waits one round
trip per miss (50 ms each at 50 ms latency, even with the file's growing read-ahead). This wrapper
keeps the next `ahead` blocks (the range cache's block size, 256 KiB) in flight on a small shared
thread pool, so the round trips overlap; reads then find their bytes in the range cache. After a
seek the window simply moves with the position.

`window`, a list of byte ranges (first, end), is the part of the file this reader will decode (the
episodes of a DataLoader worker's or a rank's share, in any order): read-ahead stays inside it, so a
worker does not fetch the bytes of other workers' episodes. A read outside it (the file's header and
sample table) fetches only what it needs.
"""

from __future__ import annotations

import io
from concurrent.futures import Future, ThreadPoolExecutor


class ReadAheadFile(io.RawIOBase):
    def __init__(self, raw, fs, rel: str, pool: ThreadPoolExecutor, ahead: int = 8,
                 window: list[tuple[int, int]] | None = None):
        super().__init__()
        self.raw, self.fs, self.rel, self.pool, self.ahead = raw, fs, rel, pool, ahead
        self.window = window
        self.size = fs.manifest.files[rel]
        self.block = fs.range_cache.block_size
        self._inflight: dict[int, Future] = {}
        self._done: set[int] = set()

    def _fetch(self, b: int, demand: tuple[int, int]) -> None:
        """Block b whole, or with a window from its first to its last planned byte or byte the read
        asks for, in one request (a block straddles the end of an episode: the bytes past it belong
        to another worker's share)."""
        lo, hi = b * self.block, min(self.size, (b + 1) * self.block)
        if self.window is not None:
            parts = [(max(lo, a), min(hi, z)) for a, z in [demand] + self.window if max(lo, a) < min(hi, z)]
            if not parts:
                return
            lo, hi = min(a for a, _ in parts), max(z for _, z in parts)
        self.fs.read_range(self.rel, lo, hi)

    def _planned(self, b: int) -> bool:
        lo, hi = b * self.block, (b + 1) * self.block
        return any(a < hi and lo < z for a, z in self.window)

    def _ensure(self, pos: int, n: int) -> None:
        first, last_block = pos // self.block, (self.size - 1) // self.block
        # the fsspec file below reads one block beyond what is asked (its readahead cache)
        need = range(first, min((pos + max(n, 1)) // self.block + 1, last_block) + 1)
        ahead = range(first, min(first + max(self.ahead, len(need)), last_block + 1))
        if self.window is not None:
            inside = any(lo <= pos < hi for lo, hi in self.window)
            ahead = [b for b in ahead if b in need or (inside and self._planned(b))]
        for b in ahead:
            if b not in self._done and b not in self._inflight:
                self._inflight[b] = self.pool.submit(self._fetch, b, (pos, pos + max(n, 1)))
        for b in need:                       # wait for the blocks this read needs: no double fetch
            f = self._inflight.pop(b, None)
            if f is not None:
                f.result()
                self._done.add(b)
        for b in [b for b, f in self._inflight.items() if f.done()]:
            self._inflight.pop(b).result()   # raises a failed fetch here, not silently later
            self._done.add(b)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def read(self, n: int = -1) -> bytes:
        pos = self.raw.tell()
        if pos < self.size:
            self._ensure(pos, self.size - pos if n is None or n < 0 else n)
        return self.raw.read(n)

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)

    def close(self) -> None:
        for f in self._inflight.values():
            f.cancel()
        self._inflight.clear()
        self.raw.close()
        super().close()


def wrap_remote(raw, fs, rel: str, pool: ThreadPoolExecutor | None, window: list[tuple[int, int]] | None = None):
    """`raw` wrapped with read-ahead (inside `window` when given) when it is a Hub file
    (app.hub.remote_fs), else unchanged."""
    manifest = getattr(fs, "manifest", None)
    if pool is None or manifest is None or not hasattr(fs, "read_range") or rel not in manifest.files:
        return raw
    return ReadAheadFile(raw, fs, rel, pool, window=window)
