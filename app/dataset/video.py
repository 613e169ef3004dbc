"""Camera video with PyAV: encode numpy frames to an mp4 segment, verify it, append it to a camera file
without re-encoding, probe the `info` block, and decode frames by timestamp with a keyframe seek.

Each episode of each camera is encoded on its own (pts = frame index, time base 1/fps, first frame a
keyframe), so an episode always starts on a keyframe once appended. Appending remuxes the packets of
the existing file and of the segment into a new file, shifting the segment's pts by the end of the
existing file (as lerobot's concat demuxer does), with moov at the front.

h264/hevc are encoded without B-frames (bf=0): with B-frames the mp4 muxer writes an edit list and
negative dts, which do not survive packet-level concatenation. This is a deliberate deviation from
lerobot's passthrough of the encoder defaults; `extra_options` may still override it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterable, Iterator

import av
import numpy as np

from app.cpu_priority import calling_thread_priority, undo_realtime
from app.dataset.errors import DatasetError
from app.dataset.stats import ImageStatsSampler, from_json, to_json

os.environ.setdefault("SVT_LOG", "1")  # SVT-AV1 prints a banner per encoder at its default level
TOLERANCE_S = 1e-4
STREAM_CODEC = {"libsvtav1": "av1", "libaom-av1": "av1", "libx264": "h264", "h264": "h264",
                "libx265": "hevc", "hevc": "hevc"}
_ENCODER = {"h264": "libx264", "hevc": "libx265", "av1": "libsvtav1"}


@dataclass
class VideoSettings:
    codec: str = "libsvtav1"       # libsvtav1 | libx264 (h264) | libx265 (hevc)
    pix_fmt: str = "yuv420p"
    crf: int | None = 30
    g: int | None = 2
    preset: int | str | None = None  # None: 12 for libsvtav1, encoder default otherwise
    fast_decode: int = 0
    extra_options: dict = field(default_factory=dict)

    @property
    def encoder(self) -> str:
        return _ENCODER.get(self.codec, self.codec)

    def options(self, throttled: bool = False, threads: int | None = None) -> dict[str, str]:
        """threads: the encoder's thread count (SVT-AV1 lp, x264/x265 threads), for encoders that
        share the machine; None leaves the encoder's default (all cores). Throttled means 1.
        SVT-AV1 writes the same bitstream whatever the count; x264's differs a little (frame threads)."""
        enc = self.encoder
        if throttled:
            threads = 1
        opts: dict[str, str] = {}
        if self.g is not None:
            opts["g"] = str(self.g)
        if self.crf is not None:
            opts["crf"] = str(self.crf)
        preset = self.preset if self.preset is not None else (12 if enc == "libsvtav1" else None)
        if preset is not None:
            opts["preset"] = str(preset)
        svt = []
        if enc == "libsvtav1":
            if self.fast_decode:
                svt.append(f"fast-decode={self.fast_decode}")
            if threads:
                svt.append(f"lp={int(threads)}")
        else:
            opts["bf"] = "0"
            if self.fast_decode:
                opts["tune"] = "fastdecode"
            if threads:
                opts["threads"] = str(int(threads))
        if enc == "libx265":
            opts["x265-params"] = "log-level=error"
        extra = {str(k): str(v) for k, v in self.extra_options.items()}
        if svt:
            extra_svt = extra.pop("svtav1-params", "")
            opts["svtav1-params"] = ":".join(svt + ([extra_svt] if extra_svt else []))
        opts.update(extra)
        return opts

    def info(self, preset_used: int | None = None) -> dict:
        enc = self.encoder
        preset = self.preset if self.preset is not None else (12 if enc == "libsvtav1" else None)
        return {"video.g": self.g, "video.crf": self.crf, "video.preset": preset,
                "video.fast_decode": self.fast_decode, "video.video_backend": "pyav",
                "video.extra_options": dict(self.extra_options)}

    @classmethod
    def from_info(cls, info: dict) -> "VideoSettings":
        """The settings a dataset was encoded with, from a video feature's `info` block."""
        codec = _ENCODER.get(info.get("video.codec"), "libsvtav1")
        extra = info.get("video.extra_options")
        return cls(codec=codec, pix_fmt=info.get("video.pix_fmt") or "yuv420p", crf=info.get("video.crf"),
                   g=info.get("video.g"), preset=info.get("video.preset"),
                   fast_decode=int(info.get("video.fast_decode") or 0),
                   extra_options=dict(extra) if isinstance(extra, dict) else {})


@dataclass
class SegmentInfo:
    path: Path
    frames: int
    fps: int
    width: int
    height: int
    codec: str              # stream codec name: av1, h264, hevc
    pix_fmt: str
    duration_s: float       # stream duration: frames / fps for a constant-rate segment
    size_bytes: int
    stats: dict | None = None  # image stats (stats.histogram_stats layout) when known


def _sidecar(path: Path) -> Path:
    return Path(str(path) + ".stats.json")


def load_segment_stats(path: Path) -> dict | None:
    """Image stats saved next to a segment by encode_segment, or None."""
    try:
        return from_json(json.loads(_sidecar(Path(path)).read_text()))["image"]
    except (OSError, ValueError, KeyError):
        return None


def encode_segment(frames: Iterable[np.ndarray], path, fps: int, settings: VideoSettings | None = None,
                   throttled: bool = False, progress: Callable[[int], None] | None = None,
                   length: int | None = None, threads: int | None = None) -> SegmentInfo:
    """Encode HxWx3 uint8 RGB frames into a one-episode mp4; image stats are sampled on the way.
    threads: see VideoSettings.options."""
    settings = settings or VideoSettings()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if length is None and hasattr(frames, "__len__"):
        length = len(frames)
    sampler = ImageStatsSampler(length)
    tb = Fraction(1, int(fps))
    n = 0
    caller = calling_thread_priority()
    try:
        with av.open(str(path), "w", format="mp4") as out:
            stream = None
            for img in frames:
                img = np.asarray(img)
                if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
                    raise DatasetError(f"frame {n}: expected HxWx3 uint8 RGB, got {img.shape} {img.dtype}")
                if stream is None:
                    stream = out.add_stream(settings.encoder, rate=int(fps),
                                            options=settings.options(throttled, threads))
                    stream.width, stream.height = img.shape[1], img.shape[0]
                    stream.pix_fmt = settings.pix_fmt
                    stream.codec_context.time_base = tb
                elif img.shape[:2] != (stream.height, stream.width):
                    raise DatasetError(f"frame {n}: size {img.shape[:2]} differs from the first frame's")
                # the frame wraps the array (no copy): encode converts it to the stream's yuv420p at once
                frame = av.VideoFrame.from_numpy_buffer(img, format="rgb24") if img.flags.c_contiguous \
                    else av.VideoFrame.from_ndarray(img, format="rgb24")
                frame.pts, frame.time_base = n, tb
                if n == 0:
                    frame.pict_type = av.video.frame.PictureType.I
                out.mux(stream.encode(frame))
                if n == 0:  # the first encode starts the encoder's threads (see app/cpu_priority.py)
                    undo_realtime(caller)
                sampler.add(img)
                n += 1
                if progress:
                    progress(n)
            if stream is None:
                raise DatasetError("no frames to encode")
            out.mux(stream.encode(None))
    except av.FFmpegError as exc:
        raise DatasetError(f"encoding {path.name} with {settings.encoder} failed: {exc}") from exc
    info = probe_segment(path)
    info.stats = sampler.result()
    _sidecar(path).write_text(json.dumps({"image": to_json({"s": info.stats})["s"]}))
    return info


def probe_segment(path) -> SegmentInfo:
    path = Path(path)
    try:
        with av.open(str(path)) as c:
            s = c.streams.video[0]
            cc = s.codec_context
            dur = float(s.duration * s.time_base) if s.duration else 0.0
            return SegmentInfo(path, s.frames, int(round(float(s.average_rate or 0))), cc.width, cc.height,
                               _stream_codec(s), cc.pix_fmt or s.format.name, dur, path.stat().st_size)
    except (av.FFmpegError, IndexError, OSError) as exc:
        raise DatasetError(f"cannot read video {path}: {exc}") from exc


def _stream_codec(stream) -> str:
    name = stream.codec_context.codec.name
    return {"libdav1d": "av1", "libaom-av1": "av1", "libsvtav1": "av1"}.get(name, name)


def can_concatenate(existing: Path, segment: Path) -> bool:
    """True when the segment's stream can follow the file's without re-encoding: same codec, size,
    pixel format and, for H.264/HEVC, the same parameter sets (an mp4 stream carries one set out of
    band; x264 run with other settings writes others, and a file mixing them does not decode). AV1
    repeats its sequence header in band at every keyframe, so its headers may differ."""
    try:
        with av.open(str(existing)) as a, av.open(str(segment)) as b:
            sa, sb = a.streams.video[0].codec_context, b.streams.video[0].codec_context
            if (sa.name, sa.width, sa.height, sa.pix_fmt) != (sb.name, sb.width, sb.height, sb.pix_fmt):
                return False
            return _stream_codec(a.streams.video[0]) == "av1" or \
                bytes(sa.extradata or b"") == bytes(sb.extradata or b"")
    except (av.FFmpegError, IndexError, OSError):
        return False


def concat_into(existing: Path | None, offset_s: float, segment: Path, out_path: Path) -> None:
    """Write `existing` (if any) then `segment` shifted by offset_s into out_path; no re-encoding."""
    sources = ([(existing, 0.0)] if existing is not None else []) + [(segment, offset_s)]
    with av.open(str(out_path), "w", format="mp4", options={"movflags": "faststart"}) as out:
        ostream = None
        for src, shift in sources:
            with av.open(str(src)) as inp:
                istream = inp.streams.video[0]
                if ostream is None:
                    ostream = out.add_stream_from_template(istream, opaque=True)
                ticks = round(Fraction(shift).limit_denominator(1_000_000) / istream.time_base)
                for pkt in inp.demux(istream):
                    if pkt.dts is None and pkt.pts is None:
                        continue
                    if pkt.pts is not None:
                        pkt.pts += ticks
                    if pkt.dts is not None:
                        pkt.dts += ticks
                    pkt.stream = ostream
                    out.mux(pkt)


def info_block(seg: SegmentInfo, settings: VideoSettings) -> dict:
    """The `info` dict of a video feature, as lerobot writes it after probing episode 0."""
    return {"video.height": seg.height, "video.width": seg.width, "video.codec": seg.codec,
            "video.pix_fmt": seg.pix_fmt, "video.fps": seg.fps, "video.channels": 3, "has_audio": False,
            **settings.info(), "is_depth_map": False}


class FrameDecoder:
    """Decode frames of one mp4 opened from a (seekable) file object: by time with a keyframe seek,
    or sequentially over a time range."""

    def __init__(self, fileobj, name: str = "video"):
        self.name = name
        try:
            self.container = av.open(fileobj)
            self.stream = self.container.streams.video[0]
        except (av.FFmpegError, IndexError) as exc:
            raise DatasetError(f"cannot open video {name}: {exc}") from exc
        self.stream.thread_type = "AUTO"

    def close(self) -> None:
        self.container.close()

    def _seek(self, t: float) -> None:
        tb = self.stream.time_base
        target = max(0, round(Fraction(t).limit_denominator(10_000_000) / tb) - 1)
        self.container.seek(target, stream=self.stream, backward=True, any_frame=False)

    def frame_at(self, t: float) -> np.ndarray:
        """The HxWx3 uint8 RGB frame whose time is within 1e-4 s of t."""
        try:
            return self._frame_at(t)
        except av.FFmpegError as exc:           # a corrupt file: say which, not PyAV's exception
            raise DatasetError(f"{self.name}: cannot decode the frame at {t:.3f} s ({exc})") from None

    def _frame_at(self, t: float) -> np.ndarray:
        self._seek(t)
        best, best_dt = None, None
        tb = self.stream.time_base
        for frame in self.container.decode(self.stream):
            if frame.pts is None:
                continue
            ft = float(frame.pts * tb)
            dt = abs(ft - t)
            if best_dt is None or dt < best_dt:
                best, best_dt = frame, dt
            if ft >= t - TOLERANCE_S:
                break
        if best is None or best_dt > TOLERANCE_S:
            got = "none" if best is None else f"{float(best.pts * tb):.6f} s"
            raise DatasetError(f"{self.name}: no frame at {t:.6f} s (closest: {got}; tolerance 1e-4 s)")
        return best.to_ndarray(format="rgb24")

    def _decoded_between(self, t0: float, t1: float):
        try:
            self._seek(t0)
            tb = self.stream.time_base
            for frame in self.container.decode(self.stream):
                if frame.pts is None:
                    continue
                ft = float(frame.pts * tb)
                if ft < t0 - TOLERANCE_S:
                    continue
                if ft >= t1 - TOLERANCE_S:
                    break
                yield ft, frame
        except av.FFmpegError as exc:           # a corrupt file: say which, not PyAV's exception
            raise DatasetError(f"{self.name}: cannot decode [{t0:.3f}, {t1:.3f}) s ({exc})") from None

    def frames_between(self, t0: float, t1: float) -> Iterator[tuple[float, np.ndarray]]:
        """(time, frame) for every frame with t0 - 1e-4 <= time < t1 - 1e-4, in order."""
        for ft, frame in self._decoded_between(t0, t1):
            yield ft, frame.to_ndarray(format="rgb24")

    def times_between(self, t0: float, t1: float) -> Iterator[tuple[float, bool]]:
        """(time, is_keyframe) of decoded frames in [t0, t1) without converting pixels."""
        for ft, frame in self._decoded_between(t0, t1):
            yield ft, frame.key_frame
