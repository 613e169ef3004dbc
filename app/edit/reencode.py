"""The one case a stream copy cannot handle: an episode whose first frame is not a keyframe (its
frames depend on frames of the episode before it). Only the smallest run is re-encoded: from the
episode's first frame up to, not including, its first keyframe. The frames are decoded starting at
the keyframe before the cut, the run is encoded as a new closed group of pictures (first frame a
keyframe) and the rest of the episode is still copied packet for packet.

The re-encoded packets must fit the stream they join. AV1 carries its sequence header in band at
every keyframe, so any AV1 encoder's packets fit; H.264/HEVC keep their parameter sets out of band,
so there the run is only spliced when the encoder's parameter sets equal the stream's, and the edit
is refused otherwise (with the reason) rather than writing a file that does not decode.
"""

from __future__ import annotations

from fractions import Fraction

import av

from app.dataset.errors import DatasetError
from app.dataset.video import VideoSettings

_ENCODERS = {"av1": "libsvtav1", "h264": "libx264", "hevc": "libx265"}


def _decode(stream, packets: list) -> list:
    ctx = av.CodecContext.create(stream.codec_context.codec.name, "r")
    if stream.codec_context.extradata:
        ctx.extradata = stream.codec_context.extradata
    frames = []
    for pkt in packets:
        frames.extend(ctx.decode(pkt))
    frames.extend(ctx.decode(None))
    return frames


def reencode_head(sv, before: list, packets: list, fps: int) -> tuple[list, int]:
    """Packets of one episode with its head re-encoded; returns (packets, frames re-encoded)."""
    codec = sv.key[0]
    encoder = _ENCODERS.get(codec)
    if encoder is None:
        raise DatasetError(f"{sv.name}: an episode starts on a non-keyframe and {codec} cannot be re-encoded here")
    if not before or not before[0].is_keyframe:
        raise DatasetError(f"{sv.name}: no keyframe before the episode start; the file cannot be cut there")
    k = next((i for i, p in enumerate(packets) if p.is_keyframe), len(packets))
    frames = _decode(sv.stream, before + packets[:k])[len(before):]
    if len(frames) != k:
        raise DatasetError(f"{sv.name}: decoded {len(frames)} frames of the {k} to re-encode")
    cc = sv.stream.codec_context
    settings = VideoSettings(codec=encoder, pix_fmt=cc.pix_fmt or "yuv420p")
    enc = av.CodecContext.create(encoder, "w")
    enc.width, enc.height, enc.pix_fmt = cc.width, cc.height, settings.pix_fmt
    enc.time_base = Fraction(1, fps)
    enc.framerate = Fraction(fps, 1)
    enc.options = settings.options()
    if codec != "av1":
        enc.flags |= av.codec.context.Flags.global_header
    out = []
    for i, f in enumerate(frames):
        f = f.reformat(format=settings.pix_fmt)
        f.pts, f.time_base = i, enc.time_base
        f.pict_type = av.video.frame.PictureType.I if i == 0 else av.video.frame.PictureType.NONE
        out.extend(enc.encode(f))
    out.extend(enc.encode(None))
    if len(out) != k or not out[0].is_keyframe:
        raise DatasetError(f"{sv.name}: re-encoding the first {k} frames of an episode gave {len(out)} packets")
    if codec != "av1" and bytes(enc.extradata or b"") != bytes(cc.extradata or b""):
        raise DatasetError(f"{sv.name}: an episode starts on a non-keyframe and the {codec} stream's parameter "
                           "sets cannot be matched by re-encoding; delete or keep whole files instead")
    start = packets[0].pts
    for i, pkt in enumerate(out):
        pkt.time_base = sv.tb
        pkt.pts = pkt.dts = start + round(Fraction(i, fps) / sv.tb)
        pkt.duration = round(Fraction(1, fps) / sv.tb)
    return out + packets[k:], k
