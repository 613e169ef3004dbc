"""Verify a freshly encoded segment before its spool may be deleted (see verify_segment)."""

from __future__ import annotations

from pathlib import Path

import av

from app.dataset.errors import DatasetError
from app.dataset.stats import ImageStatsSampler
from app.dataset.video import TOLERANCE_S, SegmentInfo, load_segment_stats, probe_segment


def verify_segment(path, expected_frames: int, fps: int, with_stats: bool = False,
                   threads: int | None = None) -> SegmentInfo:
    """Check a segment before its spool may be deleted; raises DatasetError naming the first problem.

    Verified on every segment: it opens; it holds `expected_frames` packets with data, none flagged
    corrupt; sorted by time, packet n is at n/fps (1e-4 s: a missing, duplicated or mistimed frame is
    refused); the first packet is a keyframe and decodes to a keyframe at 0 s; the last keyframe run
    (the last GOP) decodes from that keyframe, a frame per packet at the packets' times, so a
    truncated or corrupt tail is caught; the stream lasts expected_frames/fps. The frames between
    the first and the last GOP are demuxed, not decoded: an encoder that wrote them whole is trusted
    for their pixels (a full decode cost ~15 % of an AV1 encode's CPU per camera-frame). When the first
    frame or the last GOP does not decode on its own (damage, or an open GOP leaning on the one
    before, as x265 with B-frames writes), every frame is decoded and that decides.

    with_stats decodes every frame (it needs the pixels to compute image stats, for segments without a
    stats sidecar). threads: decoder threads (None: the decoder's default)."""
    if with_stats:
        return _verify_decoding_all(path, expected_frames, fps, threads, with_stats=True)
    info = probe_segment(path)
    name = Path(path).name
    try:
        with av.open(str(path)) as c:
            s = c.streams.video[0]
            if threads is not None:
                s.codec_context.thread_count = threads
            first, tail, times = None, [], []
            for pkt in c.demux(s):
                if not pkt.size:
                    continue
                if pkt.is_corrupt or pkt.pts is None:
                    raise DatasetError(f"{name}: packet {len(times)} is damaged")
                if first is None:
                    if not pkt.is_keyframe:
                        raise DatasetError(f"{name}: the first frame is not a keyframe")
                    first = pkt
                if pkt.is_keyframe:
                    tail = []
                tail.append(pkt)
                times.append(float(pkt.pts * s.time_base))
            _check_times(name, sorted(times), expected_frames, fps)
            runs = [] if first is None else [tail] if first is tail[0] else [[first], tail]
            decodes = all(_decodes(s, run, first=i == 0) for i, run in enumerate(runs))
    except av.FFmpegError as exc:
        raise DatasetError(f"{name}: cannot read the segment back: {exc}") from exc
    if not decodes:
        return _verify_decoding_all(path, expected_frames, fps, threads, with_stats=False)
    _check_duration(name, info, expected_frames, fps)
    info.frames = expected_frames
    info.stats = load_segment_stats(path)
    return info


def _check_times(name: str, times: list[float], expected_frames: int, fps: int) -> None:
    for n, t in enumerate(times[:expected_frames]):
        if abs(t - n / fps) > TOLERANCE_S:
            raise DatasetError(f"{name}: frame {n} is at {t:.6f} s, expected {n / fps:.6f} s")
    if len(times) != expected_frames:
        raise DatasetError(f"{name}: {len(times)} frames, expected {expected_frames}")


def _check_duration(name: str, info: SegmentInfo, expected_frames: int, fps: int) -> None:
    if abs(info.duration_s - expected_frames / fps) > TOLERANCE_S:
        raise DatasetError(f"{name}: lasts {info.duration_s:.6f} s, expected {expected_frames / fps:.6f} s")


def _decodes(stream, packets: list, first: bool = False) -> bool:
    """True when the packets (a run starting on a keyframe) decode from a fresh decoder state to a
    frame each, at each packet's time (and, for the first run, a keyframe first)."""
    cc = stream.codec_context
    try:
        cc.flush_buffers()
        frames = [f for pkt in packets for f in cc.decode(pkt)] + list(cc.decode(None))
        cc.flush_buffers()
    except av.FFmpegError:
        return False
    if first and not (frames and frames[0].key_frame):
        return False
    return sorted(f.pts for f in frames) == sorted(p.pts for p in packets)


def _verify_decoding_all(path, expected_frames: int, fps: int, threads: int | None,
                         with_stats: bool) -> SegmentInfo:
    """Decode every frame: frame count, frame n at n/fps (1e-4 s), keyframe first; image stats too
    with_stats (else those of the sidecar)."""
    info = probe_segment(path)
    sampler = ImageStatsSampler(expected_frames) if with_stats else None
    n = 0
    try:
        with av.open(str(path)) as c:
            s = c.streams.video[0]
            if threads is not None:
                s.codec_context.thread_count = threads
            for frame in c.decode(s):
                if n == 0 and not frame.key_frame:
                    raise DatasetError(f"{Path(path).name}: the first frame is not a keyframe")
                if abs(float(frame.pts * s.time_base) - n / fps) > TOLERANCE_S:
                    raise DatasetError(f"{Path(path).name}: frame {n} is at {float(frame.pts * s.time_base):.6f} s, "
                                       f"expected {n / fps:.6f} s")
                if sampler is not None:
                    sampler.add(frame.to_ndarray(format="rgb24"))
                n += 1
    except av.FFmpegError as exc:
        raise DatasetError(f"{Path(path).name}: decoding failed after {n} frames: {exc}") from exc
    if n != expected_frames:
        raise DatasetError(f"{Path(path).name}: {n} frames decoded, expected {expected_frames}")
    _check_duration(Path(path).name, info, expected_frames, fps)
    info.frames = n
    info.stats = sampler.result() if sampler is not None else load_segment_stats(path)
    return info
