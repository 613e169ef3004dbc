"""A bounded on-disk cache of fetched byte ranges of remote files, so revisits are instant and offline.

Any byte range can be cached, not fixed blocks: readers ask for exactly the bytes they plan to use
(a parquet footer, an episode's column chunks, an episode's video samples), and a block grid would
round every such request up at both ends. A fetched range is stored as pieces of at most
`block_size` bytes, one small file each, named by (file key, start, end) under
`<cache dir>/hub-ranges/`; the pieces are the unit of eviction (least recently used first, when the
total goes over `max_bytes`). The file key names an immutable remote file (repo, commit sha, path),
so a cached piece never goes stale. Writes go to a temporary name and are renamed into place, so a
crash leaves whole pieces only. Nothing is written anywhere else.

Concurrent readers of overlapping ranges share one request: a range being fetched is registered
while in flight, and a second reader waits for it instead of asking the server again.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path

from app.paths import cache_dir

DEFAULT_BLOCK = 256 * 1024
DEFAULT_MAX_BYTES = 2 * 1024 ** 3
_NAME = re.compile(r"([0-9a-f]{40})-(\d+)-(\d+)\.rng")


def file_key(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()


def _subtract(ranges: list[tuple[int, int]], cut: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of `ranges` outside every range in `cut` (both lists sorted, non-overlapping)."""
    out = []
    for a, b in ranges:
        for c, d in cut:
            if d <= a or c >= b:
                continue
            if c > a:
                out.append((a, c))
            a = max(a, d)
            if a >= b:
                break
        if a < b:
            out.append((a, b))
    return out


class RangeCache:
    def __init__(self, directory: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                 block_size: int = DEFAULT_BLOCK):
        self.directory = Path(directory) if directory else cache_dir() / "hub-ranges"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_bytes, self.block_size = int(max_bytes), int(block_size)
        self._lock = threading.Lock()
        self._pieces: dict[str, list[tuple[int, int]]] = {}   # key -> sorted, non-overlapping
        self._used: OrderedDict[Path, int] = OrderedDict()      # piece file -> size, least recent first
        self._total = 0
        self._inflight: dict[str, list[tuple[int, int, threading.Event]]] = {}
        self.hits = self.misses = 0
        for p in self.directory.glob("*/*.blk"):               # fixed blocks of older versions
            p.unlink(missing_ok=True)
        found = []
        for p in self.directory.glob("*/*.rng"):
            m, st = _NAME.fullmatch(p.name), p.stat()
            if not m or st.st_size != int(m[3]) - int(m[2]):
                p.unlink(missing_ok=True)
                continue
            self._pieces.setdefault(m[1], []).append((int(m[2]), int(m[3])))
            found.append((st.st_mtime, p, st.st_size))
        for _, p, size in sorted(found):
            self._used[p] = size
            self._total += size
        for pieces in self._pieces.values():
            pieces.sort()

    @property
    def total_bytes(self) -> int:
        with self._lock:
            return self._total

    def _path(self, key: str, start: int, end: int) -> Path:
        return self.directory / key[:2] / f"{key}-{start}-{end}.rng"

    # -- what is cached ----------------------------------------------------------------------------
    def _overlapping(self, key: str, start: int, end: int) -> list[tuple[int, int]]:
        pieces = self._pieces.get(key, [])
        i = max(0, bisect.bisect_right(pieces, (start, float("inf"))) - 1)
        out = []
        while i < len(pieces) and pieces[i][0] < end:
            if pieces[i][1] > start:
                out.append(pieces[i])
            i += 1
        return out

    def missing(self, key: str, start: int, end: int) -> list[tuple[int, int]]:
        """The parts of [start, end) not cached."""
        with self._lock:
            return _subtract([(start, end)], self._overlapping(key, start, end))

    def cached_prefix(self, key: str, start: int, end: int) -> int:
        """How many bytes from `start` on (up to `end`) are cached without a hole."""
        with self._lock:
            pos = start
            for a, b in self._overlapping(key, start, end):
                if a > pos:
                    break
                pos = max(pos, b)
            return min(pos, end) - start

    def wait_inflight(self, key: str, pos: int) -> bool:
        """Wait for a fetch in flight that holds byte `pos`; False if there is none."""
        with self._lock:
            events = [ev for a, b, ev in self._inflight.get(key, []) if a <= pos < b]
        for ev in events:
            ev.wait()
        return bool(events)

    def _bounds(self, key: str, pos: int, lo: int, hi: int) -> tuple[int, int]:
        """The widest [lo', hi') within [lo, hi) around the hole at `pos` holding no cached byte."""
        pieces = self._pieces.get(key, [])
        i = bisect.bisect_right(pieces, (pos, float("inf")))
        if i < len(pieces):
            hi = min(hi, pieces[i][0])
        if i > 0:
            lo = max(lo, pieces[i - 1][1])
        return lo, hi

    # -- storing -----------------------------------------------------------------------------------
    def put(self, key: str, start: int, data: bytes) -> None:
        """Store the parts of data (the bytes at `start`) not cached yet, in pieces of <= block_size."""
        with self._lock:
            new = _subtract([(start, start + len(data))], self._overlapping(key, start, start + len(data)))
        for a, b in new:
            for s in range(a, b, self.block_size):
                e = min(b, s + self.block_size)
                if e - s <= self.max_bytes:
                    self._store(key, s, e, data[s - start:e - start])

    def _store(self, key: str, start: int, end: int, data: bytes) -> None:
        path = self._path(key, start, end)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        with self._lock:
            pieces = self._pieces.setdefault(key, [])
            if _subtract([(start, end)], self._overlapping(key, start, end)) != [(start, end)]:
                tmp.unlink(missing_ok=True)     # another thread stored (part of) it meanwhile
                return
            os.replace(tmp, path)
            bisect.insort(pieces, (start, end))
            self._used[path] = end - start
            self._total += end - start
            self._evict_locked()

    def _evict_locked(self) -> None:
        while self._total > self.max_bytes and self._used:
            path, size = self._used.popitem(last=False)
            m = _NAME.fullmatch(path.name)
            pieces = self._pieces.get(m[1], [])
            piece = (int(m[2]), int(m[3]))
            if piece in pieces:
                pieces.remove(piece)
            path.unlink(missing_ok=True)
            self._total -= size

    def clear(self) -> None:
        with self._lock:
            for path in list(self._used):
                path.unlink(missing_ok=True)
            self._used.clear()
            self._total = 0
            self._pieces.clear()

    # -- reading -----------------------------------------------------------------------------------
    def _piece(self, key: str, a: int, b: int, start: int, end: int) -> bytes | None:
        try:
            with open(self._path(key, a, b), "rb") as f:
                f.seek(start - a)
                data = f.read(end - start)
        except OSError:
            return None
        return data if len(data) == end - start else None

    def _assemble(self, key: str, start: int, end: int, fresh: dict[int, bytes]) -> bytes | None:
        """[start, end) from this call's fetched bytes and the cached pieces; None if a hole remains
        (a piece was evicted meanwhile)."""
        with self._lock:
            pieces = self._overlapping(key, start, end)
            for a, b in pieces:
                path = self._path(key, a, b)
                if path in self._used:
                    self._used.move_to_end(path)
        sources = sorted([(a, a + len(d), d) for a, d in fresh.items()] + [(a, b, None) for a, b in pieces],
                         key=lambda s: s[:2])
        out, pos = [], start
        for a, b, data in sources:
            if b <= pos:
                continue
            if a > pos:
                break
            want = min(b, end)
            chunk = data[pos - a:want - a] if data is not None else self._piece(key, a, b, pos, want)
            if chunk is not None:
                out.append(chunk)
                pos = want
            if pos >= end:
                break
        return b"".join(out) if pos >= end else None

    def read(self, key: str, start: int, end: int, size: int, fetch,
             span: tuple[int, int] | None = None) -> bytes:
        """Bytes [start, end) of a file of `size` bytes. Missing parts come from fetch(a, b) -> bytes;
        a hole may be fetched wider, up to the cached bytes around it, within `span` ⊇ [start, end)
        (read-ahead, or a small file fetched whole)."""
        end = min(end, size)
        if start >= end:
            return b""
        lo, hi = span if span else (start, end)
        lo, hi = max(0, min(lo, start)), min(size, max(hi, end))
        fresh: dict[int, bytes] = {}
        fetched = False
        for _ in range(8):
            with self._lock:
                holes = _subtract([(start, end)], self._overlapping(key, start, end))
                holes = _subtract(holes, sorted((a, a + len(d)) for a, d in fresh.items()))
                flying = self._inflight.setdefault(key, [])
                waits = [ev for a, b, ev in flying if any(a < y and b > x for x, y in holes)]
                mine = _subtract(holes, sorted((a, b) for a, b, _ in flying))
                if mine:        # widen the first and last hole within the span, up to cached bytes
                    a0, _ = self._bounds(key, mine[0][0], lo, mine[0][1])
                    _, b1 = self._bounds(key, mine[-1][1] - 1, mine[-1][0], hi)
                    mine[0] = (a0, mine[0][1])
                    mine[-1] = (mine[-1][0], max(b1, mine[-1][1]))
                    mine = _subtract(mine, sorted((a, b) for a, b, _ in flying))
                ev = threading.Event()
                for a, b in mine:
                    flying.append((a, b, ev))
            if not holes:
                break
            try:
                for a, b in mine:
                    data = fetch(a, b)
                    if len(data) != b - a:
                        raise OSError(f"short read: asked {b - a} bytes at {a}, got {len(data)}")
                    fresh[a] = data
                    self.put(key, a, data)
                    fetched = True
            finally:
                with self._lock:
                    self._inflight[key] = [f for f in self._inflight[key] if f[2] is not ev]
                ev.set()
            for w in waits:
                w.wait()
        with self._lock:
            if fetched:
                self.misses += 1
            else:
                self.hits += 1
        data = self._assemble(key, start, end, fresh)
        if data is None:     # evicted between fetch and read (a cache far smaller than the reads)
            data = fetch(start, end)
        return data
