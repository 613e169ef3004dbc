"""A Hub repo file read through the range cache (HubFileSystem opens these; see app/hub/remote_fs.py)."""

from __future__ import annotations

import io


class HubFile(io.RawIOBase):
    """A repo file read through the range cache.

    A read that misses fetches what it asks for; a file no larger than a cache block is fetched
    whole (metadata, small parquet files); reads that follow each other grow a read-ahead (64 KiB,
    doubling up to 4 blocks, like an OS) that stays inside `window` when one is set (the byte
    extent of the episode being decoded). With `partial_reads`, a read returns the cached bytes at
    the position instead of waiting for the rest: PyAV accepts short reads, and FFmpeg's 32 KiB
    buffer would otherwise ask for bytes past a range planned with `HubFileSystem.prefetch`.
    """

    def __init__(self, fs, rel: str):          # fs: a HubFileSystem
        super().__init__()
        self.fs, self.rel, self.size = fs, rel, fs.manifest.files[rel]
        self.pos = 0
        self.partial_reads = False
        self.failure: Exception | None = None     # the last read error (see `read`)
        self.window: tuple[int, int] | None = None
        self._next, self._ahead = -1, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        pos = offset + (0 if whence == 0 else self.pos if whence == 1 else self.size)
        if pos < 0:
            raise ValueError("negative seek position")
        self.pos = pos
        return pos

    def tell(self) -> int:
        return self.pos

    def _span(self, pos: int, end: int) -> tuple[int, int]:
        block = self.fs.range_cache.block_size
        if self.size <= block:
            return 0, self.size
        self._ahead = min(max(2 * self._ahead, 64 * 1024), 4 * block) if pos == self._next else 0
        hi = end + self._ahead
        if self.window and self.window[0] <= pos < self.window[1]:
            hi = min(hi, max(end, self.window[1]))
        return pos, hi

    def read(self, n: int = -1) -> bytes:
        pos = self.pos
        end = self.size if n is None or n < 0 else min(self.size, pos + n)
        if pos >= end:
            return b""
        try:
            have = self.fs.cached_prefix(self.rel, pos, end, wait=self.partial_reads)
            if have == end - pos or (have and self.partial_reads):
                data = self.fs.read_range(self.rel, pos, pos + have)
            else:
                data = self.fs.read_range(self.rel, pos, end, self._span(pos, end))
        except Exception as exc:
            # pyarrow and PyAV replace an exception raised in read() by their own ("not a parquet
            # file", "invalid data"): keep it, so the reader can say what really happened
            self.failure = exc
            raise
        self.pos = self._next = pos + len(data)
        return data

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)
