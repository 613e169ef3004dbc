"""The sample table of an mp4's video track, read from its `moov` box, to plan byte-range requests.

A camera file holds many episodes back to back; to show one frame a decoder needs only the samples
from the keyframe before it up to the frame (and the few after it that a frame-threaded decoder
reads ahead), and to scrub an episode only that episode's samples. The sample table (stts, ctts,
stss, stsz, stsc, stco/co64) gives each sample's time, byte offset and size, so those bytes can be
asked for exactly and at once, before the decoder reads them piece by piece.

The index only plans requests: the decoder still reads the file itself, so a plan that is off (an
unusual edit list, a hostile table) costs extra requests, never wrong pixels. Anything this parser
does not understand (fragmented mp4, no video track, inconsistent tables) gives no index.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

PROBE = 64 * 1024                  # first request: ftyp + a front moov (faststart) in one go
MAX_MOOV = 64 * 1024 * 1024
MAX_SAMPLES = 20_000_000
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"}


class Mp4Error(ValueError):
    pass


class Mp4Bounds(Mp4Error):
    """A sample table claiming more samples or bytes than its file can hold (corrupt or hostile):
    FFmpeg would allocate an index entry per claimed sample, so such a file is never opened."""


def _boxes(buf: bytes, start: int = 0, end: int | None = None):
    """(type, payload start, box end) of the boxes in buf[start:end]."""
    end = len(buf) if end is None else end
    off = start
    while off + 8 <= end:
        size, typ = struct.unpack_from(">I4s", buf, off)
        hdr = 8
        if size == 1:
            if off + 16 > end:
                raise Mp4Error("truncated box header")
            size, hdr = struct.unpack_from(">Q", buf, off + 8)[0], 16
        elif size == 0:
            size = end - off
        if size < hdr or off + size > end:
            raise Mp4Error(f"box {typ!r} at {off} overruns its parent")
        yield typ, off + hdr, off + size
        off += size


def _find(buf: bytes, start: int, end: int) -> dict[bytes, tuple[int, int]]:
    """Leaf boxes under buf[start:end] by type (the first of each), through the container boxes."""
    out = {}
    for typ, a, b in _boxes(buf, start, end):
        if typ in _CONTAINERS:
            out.update(_find(buf, a, b))
        else:
            out.setdefault(typ, (a, b))
    return out


def _table(buf: bytes, box: tuple[int, int], fmt: str, fields: int) -> np.ndarray:
    """The entries of a full box (version/flags, count, entries) as an (n, fields) array."""
    a, b = box
    a += 4
    (n,) = struct.unpack_from(">I", buf, a)
    width = np.dtype(fmt).itemsize * fields
    if n > MAX_SAMPLES or a + 4 + n * width > b:
        raise Mp4Bounds(f"a sample table claims {n} entries in a {b - a} byte box")
    return np.frombuffer(buf, dtype=fmt, count=n * fields, offset=a + 4).reshape(n, fields).astype(np.int64)


@dataclass
class Mp4Index:
    offsets: np.ndarray        # per sample, decode order
    sizes: np.ndarray
    pts: np.ndarray            # seconds
    keys: np.ndarray           # bool

    @classmethod
    def parse_moov(cls, moov: bytes, file_size: int | None = None) -> "Mp4Index":
        """Index of the first video track of a whole `moov` box (header included); with `file_size`,
        every track's tables are first checked against what a file of that size can hold."""
        if file_size is not None:
            check_tables(moov, file_size)
        children = list(_boxes(moov, 8))
        if any(t == b"mvex" for t, _, _ in children):
            raise Mp4Error("fragmented mp4")
        tracks = [(a, b) for t, a, b in children if t == b"trak"]
        for a, b in tracks:
            boxes = _find(moov, a, b)
            hdlr = boxes.get(b"hdlr")
            if hdlr and moov[hdlr[0] + 8:hdlr[0] + 12] == b"vide":
                return cls._track(moov, boxes)
        raise Mp4Error("no video track")

    @classmethod
    def _track(cls, buf: bytes, boxes: dict) -> "Mp4Index":
        need = [b"mdhd", b"stts", b"stsz", b"stsc"]
        if any(k not in boxes for k in need) or not (b"stco" in boxes or b"co64" in boxes):
            raise Mp4Error("incomplete sample table")
        a, _ = boxes[b"mdhd"]
        version = buf[a]
        timescale = struct.unpack_from(">I", buf, a + (20 if version == 1 else 12))[0]
        if not timescale:
            raise Mp4Error("timescale 0")
        a, b = boxes[b"stsz"]
        uniform, n = struct.unpack_from(">II", buf, a + 4)
        if n > MAX_SAMPLES:
            raise Mp4Error("too many samples")
        if uniform:
            sizes = np.full(n, uniform, np.int64)
        else:
            if a + 12 + 4 * n > b:
                raise Mp4Error("stsz larger than its box")
            sizes = np.frombuffer(buf, ">u4", n, a + 12).astype(np.int64)
        stts = _table(buf, boxes[b"stts"], ">u4", 2)
        if stts[:, 0].sum() != n:
            raise Mp4Error("stts does not cover every sample")
        dts = np.concatenate([[0], np.cumsum(np.repeat(stts[:, 1], stts[:, 0]))[:-1]]) if n else np.zeros(0, np.int64)
        pts = dts
        if b"ctts" in boxes:
            ctts = _table(buf, boxes[b"ctts"], ">i4", 2)
            if ctts[:, 0].sum() == n:
                pts = dts + np.repeat(ctts[:, 1], ctts[:, 0])
        if b"elst" in boxes:
            a, _ = boxes[b"elst"]
            ver = buf[a]
            (count,) = struct.unpack_from(">I", buf, a + 4)
            if count:
                media_time = (struct.unpack_from(">q", buf, a + 16)[0] if ver == 1
                              else struct.unpack_from(">i", buf, a + 12)[0])
                if media_time > 0:
                    pts = pts - media_time
        keys = np.ones(n, bool)
        if b"stss" in boxes:
            keys[:] = False
            stss = _table(buf, boxes[b"stss"], ">u4", 1)[:, 0] - 1
            keys[stss[(stss >= 0) & (stss < n)]] = True
        chunks = (_table(buf, boxes[b"stco"], ">u4", 1) if b"stco" in boxes
                  else _table(buf, boxes[b"co64"], ">u8", 1))[:, 0]
        stsc = _table(buf, boxes[b"stsc"], ">u4", 3)
        return cls(_offsets(stsc, chunks, sizes), sizes, pts / timescale, keys)

    def opening(self) -> list[tuple[int, int]]:
        """What a decoder reads when it opens the file besides moov: FFmpeg probes the first sample."""
        return _coalesce(self.offsets[:1], self.sizes[:1])

    def span(self, t0: float, t1: float, after: int = 0, tol: float = 1e-4) -> list[tuple[int, int]]:
        """Byte ranges a decoder reads to output the frames with t0 <= time < t1: from the keyframe a
        seek to just before t0 lands on (the decoders seek one tick early so that a frame at t0 is
        not missed) to the last of them, plus `after` samples (a frame-threaded decoder reads ahead)."""
        want = np.nonzero((self.pts >= t0 - tol) & (self.pts < t1 - tol))[0]
        if len(want) == 0:
            return []
        keys = np.nonzero(self.keys & (self.pts < t0 - tol))[0]
        first, last = (int(keys[-1]) if len(keys) else 0), int(want[-1])
        last = min(len(self.pts) - 1, last + after)
        return _coalesce(self.offsets[first:last + 1], self.sizes[first:last + 1])

    def extent(self, t0: float, t1: float, tol: float = 1e-4) -> tuple[int, int] | None:
        """[first byte, last byte + 1) of the samples with t0 <= time < t1."""
        sel = (self.pts >= t0 - tol) & (self.pts < t1 - tol)
        if not sel.any():
            return None
        return int(self.offsets[sel].min()), int((self.offsets[sel] + self.sizes[sel]).max())


def _offsets(stsc: np.ndarray, chunks: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    n, nchunks = len(sizes), len(chunks)
    if n == 0:
        return np.zeros(0, np.int64)
    if len(stsc) == 0 or stsc[0, 0] != 1:
        raise Mp4Error("stsc does not start at chunk 1")
    firsts = np.append(stsc[:, 0], nchunks + 1)
    per_chunk = np.zeros(nchunks, np.int64)
    for i in range(len(stsc)):
        a, b = int(firsts[i]) - 1, min(int(firsts[i + 1]) - 1, nchunks)
        if a < 0 or a > b:
            raise Mp4Error("stsc out of order")
        per_chunk[a:b] = stsc[i, 1]
    ends = np.cumsum(per_chunk)
    if nchunks == 0 or ends[-1] < n:
        raise Mp4Error("stsc covers fewer samples than stsz")
    k = int(np.searchsorted(ends, n))               # the chunk holding the last sample
    per_chunk = per_chunk[:k + 1].copy()
    per_chunk[k] -= ends[k] - n
    chunk_of = np.repeat(np.arange(k + 1), per_chunk)
    starts = np.concatenate([[0], np.cumsum(per_chunk)[:-1]])
    csum = np.concatenate([[0], np.cumsum(sizes)])
    return chunks[chunk_of] + csum[:-1] - csum[starts[chunk_of]]


def _coalesce(offsets: np.ndarray, sizes: np.ndarray, slack: int = 4096) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for o, s in sorted(zip(offsets.tolist(), sizes.tolist())):
        if out and o <= out[-1][1] + slack:
            out[-1][1] = max(out[-1][1], o + s)
        else:
            out.append([o, o + s])
    return [(a, b) for a, b in out]


def check_tables(moov: bytes, file_size: int) -> None:
    """Raise Mp4Bounds when any track's sample table claims more than a file of `file_size` bytes
    holds: every sample takes at least one byte, every table entry must fit in its box, the time
    tables cover about as many samples as there are. (Sample bytes past the end are not refused
    here: a truncated upload still shows the frames that arrived, and decoding reports the rest.)"""
    try:
        tracks = [(a, b) for t, a, b in _boxes(moov, 8) if t == b"trak"]
        for a, b in tracks:
            boxes = _find(moov, a, b)
            n = 0
            if b"stsz" in boxes:
                sa, sb = boxes[b"stsz"]
                uniform, n = struct.unpack_from(">II", moov, sa + 4)
                if n > min(file_size, MAX_SAMPLES):
                    raise Mp4Bounds(f"its sample table claims {n} samples in a file of {file_size} bytes")
                if not uniform and sa + 12 + 4 * n > sb:
                    raise Mp4Bounds(f"its sample table lists {n} sample sizes in a {sb - sa} byte box")
            for name, fmt, fields in ((b"stts", ">u4", 2), (b"ctts", ">u4", 2), (b"stsc", ">u4", 3),
                                      (b"stss", ">u4", 1), (b"stco", ">u4", 1), (b"co64", ">u8", 1)):
                if name in boxes:
                    t = _table(moov, boxes[name], fmt, fields)
                    if name in (b"stts", b"ctts") and int(t[:, 0].sum()) > max(n, 1) * 2 + 16:
                        raise Mp4Bounds(f"its {name.decode()} table covers {int(t[:, 0].sum())} samples, "
                                        f"the track has {n}")
                    if name in (b"stco", b"co64") and len(t) > file_size:
                        raise Mp4Bounds(f"it claims {len(t)} chunks in a file of {file_size} bytes")
            if b"elst" in boxes:
                ea, eb = boxes[b"elst"]
                (count,) = struct.unpack_from(">I", moov, ea + 4)
                if ea + 8 + count * (20 if moov[ea] == 1 else 12) > eb:
                    raise Mp4Bounds(f"its edit list claims {count} entries in a {eb - ea} byte box")
    except (struct.error, IndexError) as exc:
        raise Mp4Error(f"unreadable sample table: {exc}") from None


def read_moov(read, size: int) -> bytes:
    """The whole `moov` box of a file of `size` bytes, read with read(start, end) -> bytes: the first
    PROBE bytes (a front moov is usually in them), then the rest of moov if it is longer; a moov
    after mdat (ffmpeg's default) is read with everything after mdat in one request."""
    try:
        head = read(0, min(size, PROBE))
        off = 0
        while off + 8 <= size:
            if off + 16 <= len(head) or len(head) == size:
                hdr = head[off:off + 16]
            elif off >= len(head) and size - off <= MAX_MOOV:
                return _from_tail(read(off, size), off, size)     # everything after mdat
            else:
                hdr = read(off, min(size, off + 16))
            box_size, typ = _box_header(hdr, off, size)
            if typ == b"moov":
                return _moov(head, off, box_size, read)
            if typ == b"moof":
                raise Mp4Error("fragmented mp4")
            off += box_size
    except (struct.error, IndexError) as exc:
        raise Mp4Error(f"unreadable sample table: {exc}") from None
    raise Mp4Error("no moov box")


def load_index(read, size: int) -> Mp4Index:
    """The index of a file of `size` bytes (see `read_moov`), its tables checked against the size."""
    try:
        return Mp4Index.parse_moov(read_moov(read, size), size)
    except (struct.error, IndexError) as exc:
        raise Mp4Error(f"unreadable sample table: {exc}") from None


def _box_header(hdr: bytes, off: int, size: int) -> tuple[int, bytes]:
    if len(hdr) < 8:
        raise Mp4Error("truncated box header")
    box_size, typ = struct.unpack_from(">I4s", hdr)
    if box_size == 1:
        if len(hdr) < 16:
            raise Mp4Error("truncated box header")
        box_size = struct.unpack_from(">Q", hdr, 8)[0]
    elif box_size == 0:
        box_size = size - off
    if box_size < 8 or off + box_size > size:
        raise Mp4Error(f"box {typ!r} at {off} overruns the file")
    return box_size, typ


def _moov(head: bytes, off: int, box_size: int, read) -> bytes:
    if box_size > MAX_MOOV:
        raise Mp4Bounds("its moov box is implausibly large")
    if off + box_size <= len(head):
        return head[off:off + box_size]
    return head[off:] + read(len(head), off + box_size)


def _from_tail(tail: bytes, base: int, size: int) -> bytes:
    off = 0
    while off + 8 <= len(tail):
        box_size, typ = _box_header(tail[off:off + 16], base + off, size)
        if typ == b"moov":
            if box_size > MAX_MOOV:
                raise Mp4Bounds("its moov box is implausibly large")
            return tail[off:off + box_size]
        off += box_size
    raise Mp4Error("no moov box")
