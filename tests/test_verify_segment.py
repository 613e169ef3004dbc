"""verify_segment refuses a damaged segment without decoding every frame (issue 16).

The damaged segments are real mp4 files remuxed with PyAV from a real encode: a frame missing, a
frame repeated, a frame off its time, a first frame that is not a keyframe, a cut file, a damaged
last frame. Each is refused (DatasetError) by the packet-level check and by the full decode."""

from __future__ import annotations

import os
from pathlib import Path

import av
import pytest

from app.dataset.errors import DatasetError
from app.dataset.verify import verify_segment
from app.dataset.video import VideoSettings, encode_segment
from tests.dataset_helpers import frames

FPS, N = 30, 12


@pytest.fixture(scope="module")
def segment(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("verify") / "seg.mp4"
    encode_segment(frames(0, N, h=96, w=128), path, FPS, VideoSettings(), threads=1)
    return path


def _packets(path: Path) -> list[av.Packet]:
    with av.open(str(path)) as c:
        return [p for p in c.demux(c.streams.video[0]) if p.size]


def remux(src: Path, dst: Path, edit=lambda pkts: pkts, faststart: bool = False) -> Path:
    """Copy src's packets into dst after edit(list of (bytes, pts, dts, keyframe)); no re-encoding."""
    with av.open(str(src)) as inp:
        ist = inp.streams.video[0]
        pkts = [(bytes(p), p.pts, p.dts, p.is_keyframe) for p in inp.demux(ist) if p.size]
        options = {"movflags": "faststart"} if faststart else {}
        with av.open(str(dst), "w", format="mp4", options=options) as out:
            ost = out.add_stream_from_template(ist, opaque=True)
            tick = pkts[1][1] - pkts[0][1]
            for data, pts, dts, key in edit(pkts):
                pkt = av.Packet(data)
                pkt.pts, pkt.dts, pkt.duration, pkt.time_base = pts, dts, tick, ist.time_base
                pkt.stream = ost
                pkt.is_keyframe = key
                out.mux(pkt)
    return dst


def _tick(src: Path) -> int:
    """Stream ticks per frame."""
    p = _packets(src)
    return p[1].pts - p[0].pts


@pytest.mark.parametrize("with_stats", [False, True])
def test_an_untouched_remux_passes(segment, tmp_path, with_stats):
    info = verify_segment(remux(segment, tmp_path / "same.mp4"), N, FPS, with_stats=with_stats)
    assert info.frames == N and abs(info.duration_s - N / FPS) < 1e-4
    assert (info.stats is not None) == with_stats  # the remux has no stats sidecar


def test_the_encoders_segment_passes_with_its_stats(segment):
    info = verify_segment(segment, N, FPS, threads=1)
    assert info.frames == N and info.stats is not None and info.stats["count"][0] == N


def test_an_av1_segment_is_verified_without_decoding_every_frame(segment, monkeypatch):
    import app.dataset.verify as video

    def full_decode(*args, **kwargs):
        raise AssertionError("decoded every frame")

    monkeypatch.setattr(video, "_verify_decoding_all", full_decode)
    assert verify_segment(segment, N, FPS, threads=1).frames == N


def test_a_segment_of_one_gop_passes(tmp_path):
    path = tmp_path / "short.mp4"
    encode_segment(frames(0, 2, h=96, w=128), path, FPS, VideoSettings())
    assert verify_segment(path, 2, FPS).frames == 2
    with pytest.raises(DatasetError, match="3"):
        verify_segment(path, 3, FPS)


@pytest.mark.parametrize("codec, extra", [("libx264", {}), ("libx264", {"bf": "3"}), ("libx265", {"bf": "3"})])
def test_h264_and_hevc_segments_pass(tmp_path, codec, extra):
    """With B-frames x265 writes open GOPs (the last GOP leans on the one before): the full decode decides."""
    path = tmp_path / "seg.mp4"
    encode_segment(frames(1, 2 * N, h=96, w=128), path, FPS, VideoSettings(codec=codec, g=8, extra_options=extra))
    assert verify_segment(path, 2 * N, FPS).frames == 2 * N
    with pytest.raises(DatasetError, match="expected"):
        verify_segment(path, 2 * N + 1, FPS)


def _drop(k, close_gap=True):
    def edit(pkts):
        tick = (pkts[1][1] - pkts[0][1]) * close_gap
        return [(d, pts - tick * (i > k), dts - tick * (i > k), key) for i, (d, pts, dts, key) in
                enumerate(pkts) if i != k]
    return edit


def _repeat(k):
    def edit(pkts):
        tick = pkts[1][1] - pkts[0][1]
        out = []
        for i, (d, pts, dts, key) in enumerate(pkts):
            shift = tick * (i > k)
            out.append((d, pts + shift, dts + shift, key))
            if i == k:
                out.append((d, pts + tick, dts + tick, key))
        return out
    return edit


def _late(k, ticks):
    def edit(pkts):
        return [(d, pts + ticks * (i == k), dts + ticks * (i == k), key) for i, (d, pts, dts, key) in
                enumerate(pkts)]
    return edit


BAD = {  # the edit, the frames expected, what the refusal says (packet check | full decode)
    "a frame missing in the middle": (_drop(5, close_gap=False), N, "frame 5 is at"),
    "a frame missing, the rest moved up": (_drop(5), N, "11 frames( decoded)?, expected 12"),
    "a frame missing at the end": (_drop(N - 1), N, "11 frames( decoded)?, expected 12"),
    "a frame repeated": (_repeat(5), N, "13 frames( decoded)?, expected 12"),
    "the first frame is not a keyframe": (_drop(0), N - 1, "not a keyframe|decoding failed"),
}


@pytest.mark.parametrize("with_stats", [False, True])
@pytest.mark.parametrize("case", list(BAD))
def test_a_damaged_segment_is_refused(segment, tmp_path, case, with_stats):
    edit, expected, message = BAD[case]
    bad = remux(segment, tmp_path / "bad.mp4", edit)
    assert len(_packets(bad)) in (N - 1, N, N + 1)  # the remux itself did what the case says
    with pytest.raises(DatasetError, match=message):
        verify_segment(bad, expected, FPS, with_stats=with_stats)


@pytest.mark.parametrize("with_stats", [False, True])
def test_a_mistimed_frame_is_refused(segment, tmp_path, with_stats):
    with av.open(str(segment)) as c:
        tb = c.streams.video[0].time_base
    ticks = int(2e-4 / tb) + 1  # 0.2 ms late: twice the tolerance, less than a frame
    assert 0 < ticks < _tick(segment)
    bad = remux(segment, tmp_path / "late.mp4", _late(7, ticks))
    with pytest.raises(DatasetError, match="frame 7 is at"):
        verify_segment(bad, N, FPS, with_stats=with_stats)
    within = remux(segment, tmp_path / "within.mp4", _late(7, max(1, int(0.5e-4 / tb))))
    assert verify_segment(within, N, FPS).frames == N  # inside 1e-4 s: accepted


def test_a_cut_file_is_refused(segment, tmp_path):
    data = segment.read_bytes()
    for name, faststart in (("moov-last.mp4", False), ("moov-first.mp4", True)):
        whole = remux(segment, tmp_path / name, faststart=faststart)
        assert verify_segment(whole, N, FPS).frames == N
        size = whole.stat().st_size
        # with the index (moov) last, a cut file has no index; with it first, its last frame is short
        for keep in (size // 2, size - 40) if faststart else (size // 2,):
            cut = tmp_path / f"cut-{keep}-{name}"
            cut.write_bytes(whole.read_bytes()[:keep])
            with pytest.raises(DatasetError):
                verify_segment(cut, N, FPS)
    assert segment.read_bytes() == data


@pytest.mark.parametrize("which", ["last keyframe", "last frame"])
def test_a_damaged_tail_is_refused(segment, tmp_path, which):
    """The last GOP is decoded: zeros in place of its keyframe or its last frame are caught (the full
    decode that follows says what it found)."""
    def edit(pkts):
        i = max(i for i, p in enumerate(pkts) if p[3]) if which == "last keyframe" else len(pkts) - 1
        d, pts, dts, key = pkts[i]
        return pkts[:i] + [(bytes(len(d)), pts, dts, key)] + pkts[i + 1:]

    bad = remux(segment, tmp_path / "zeros.mp4", edit)
    assert len(_packets(bad)) == N
    with pytest.raises(DatasetError, match="frames decoded, expected 12|decoding failed"):
        verify_segment(bad, N, FPS)


def test_a_damaged_first_frame_is_refused(segment, tmp_path):
    def edit(pkts):
        d, pts, dts, key = pkts[0]
        return [(os.urandom(len(d)), pts, dts, key)] + pkts[1:]

    bad = remux(segment, tmp_path / "first.mp4", edit)
    with pytest.raises(DatasetError):
        verify_segment(bad, N, FPS)
