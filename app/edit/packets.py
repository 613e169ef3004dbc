"""Stream copy of episode video: demux an episode's packets from a camera file and mux them into a
new file with their timestamps rebased. Nothing is decoded or encoded, so the kept episodes'
packets stay byte-identical and there is no generation loss.

An episode is cut out by time: its packets are those with from_ts <= t < to_ts (half a frame of
slack). Copying is only exact when the episode's first packet is a keyframe, which holds for
lerobot's files and ours (every episode is encoded on its own). When it is not, `head_reencode`
re-encodes only the frames from the episode start up to its first keyframe (see reencode.py).

Consecutive episodes of one source file are read in one sequential demux pass: a seek happens only
when the next episode does not follow the last packet read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av

from app.dataset.errors import DatasetError
from app.dataset.video import _stream_codec


@dataclass
class Segment:
    """One episode of one camera, ready to mux: packets in source time base, relative to the start."""
    packets: list            # av.Packet, pts/dts already made relative to the episode start
    time_base: Fraction
    duration_s: float        # to_ts - from_ts of the source segment
    frames: int
    size: int                # payload bytes
    stream_key: tuple        # what a file's stream must share to take these packets
    template: object         # the source av stream (for add_stream_from_template)
    reencoded: int = 0       # frames re-encoded (a cut on a non-keyframe)


class SourceVideo:
    """One source camera file, demuxed forward; `segment` cuts out an episode."""

    def __init__(self, fileobj, name: str):
        self.name, self._file = name, fileobj
        try:
            self.container = av.open(fileobj, "r")
            self.stream = self.container.streams.video[0]
        except (av.FFmpegError, IndexError) as exc:
            raise DatasetError(f"{name}: cannot read video: {exc}") from exc
        self.tb = self.stream.time_base
        self._tbf = float(self.tb)           # float seconds per tick: Fraction arithmetic per packet is slow
        cc = self.stream.codec_context
        codec = _stream_codec(self.stream)
        self.key = (codec, cc.width, cc.height, cc.pix_fmt,
                    b"" if codec == "av1" else bytes(cc.extradata or b""))
        self._demux = None
        self._pending = None     # the packet read past the last segment

    def close(self) -> None:
        self.container.close()
        self._file.close()

    def _t(self, pkt) -> float:
        return pkt.pts * self._tbf

    def _next(self):
        if self._pending is not None:
            pkt, self._pending = self._pending, None
            return pkt
        for pkt in self._demux:
            if pkt.pts is not None:
                return pkt
        return None

    def segment(self, from_ts: float, to_ts: float, frames: int, fps: int) -> Segment:
        half = 0.5 / fps
        if self._demux is None or self._pending is None or abs(self._t(self._pending) - from_ts) > half:
            self.container.seek(max(0, int((from_ts - half) / self.tb)), stream=self.stream, backward=True)
            self._demux, self._pending = self.container.demux(self.stream), None
        packets, before = [], []
        while True:
            pkt = self._next()
            if pkt is None:
                break
            t = self._t(pkt)
            if t < from_ts - half:
                before.append(pkt)      # the GOP before the cut (needed only to re-encode a head)
                if pkt.is_keyframe:
                    before = [pkt]
                continue
            if t >= to_ts - half:
                self._pending = pkt
                break
            packets.append(pkt)
        if len(packets) != frames:
            raise DatasetError(f"{self.name}: {len(packets)} video packets in [{from_ts:.4f}, {to_ts:.4f}) s, "
                               f"expected {frames}")
        start = packets[0].pts
        seg = Segment([], self.tb, to_ts - from_ts, frames, 0, self.key, self.stream)
        if not packets[0].is_keyframe:
            from app.edit.reencode import reencode_head

            packets, seg.reencoded = reencode_head(self, before, packets, fps)
        for pkt in packets:
            pkt.pts -= start
            pkt.dts = pkt.pts if pkt.dts is None else pkt.dts - start
            seg.size += pkt.size
        seg.packets = packets
        return seg


@dataclass
class VideoFile:
    path: Path
    chunk: int
    file: int
    key: tuple
    container: object = None
    stream: object = None
    end_s: float = 0.0       # to_timestamp of the last episode muxed
    size: int = 0
    episodes: int = 0
    written: list = field(default_factory=list)
    whole: bool = False      # a source file copied as it is: nothing is appended to it


class VideoOut:
    """Output files of one camera: episodes are appended packet by packet, rolling over to the next
    (chunk, file) at the writer's size rule (current size + the episode's size >= limit), or when
    the episode's stream cannot follow the current file's (another codec, size or parameter set)."""

    def __init__(self, root: Path, rel_for, limit_bytes: float, next_file):
        self.root, self.rel_for, self.limit, self.next_file = root, rel_for, limit_bytes, next_file
        self.current: VideoFile | None = None

    def add(self, seg: Segment) -> tuple[int, int, float, float]:
        """Mux one episode; returns (chunk, file, from_timestamp, to_timestamp)."""
        cur = self.current
        full = cur is not None and cur.episodes and cur.size + seg.size >= self.limit
        if cur is None or cur.whole or cur.key != seg.stream_key or full:
            chunk, file = (0, 0) if cur is None else self.next_file(cur.chunk, cur.file)
            self.close()
            path = self.root / self.rel_for(chunk, file)
            path.parent.mkdir(parents=True, exist_ok=True)
            cur = self.current = VideoFile(path, chunk, file, seg.stream_key)
            cur.container = av.open(str(path), "w", format="mp4", options={"movflags": "faststart"})
            cur.stream = cur.container.add_stream_from_template(seg.template, opaque=True)
        shift = round(Fraction(cur.end_s).limit_denominator(1_000_000) / seg.time_base)
        for pkt in seg.packets:
            pkt.pts += shift
            pkt.dts += shift
            pkt.stream = cur.stream
            cur.container.mux(pkt)
        start = cur.end_s
        cur.end_s = start + seg.duration_s
        cur.size += seg.size
        cur.episodes += 1
        return cur.chunk, cur.file, start, cur.end_s

    def add_whole(self, copy_to) -> tuple[int, int]:
        """A source file kept whole goes into the next file as it is (copy_to(path) writes it), so its
        episodes keep their timestamps and bytes; the next remuxed episode starts a file after it."""
        cur = self.current
        chunk, file = (0, 0) if cur is None else self.next_file(cur.chunk, cur.file)
        self.close()
        path = self.root / self.rel_for(chunk, file)
        path.parent.mkdir(parents=True, exist_ok=True)
        copy_to(path)
        self.current = VideoFile(path, chunk, file, (), whole=True)
        return chunk, file

    def close(self) -> None:
        if self.current is not None and self.current.container is not None:
            self.current.container.close()
            self.current.container = None
