"""An episode that does not start on a keyframe: only the frames up to its first keyframe are
re-encoded, the output says so, and the rest of the episode is still copied packet for packet."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from app.dataset.reader import DatasetReader
from app.dataset.validate import validate
from app.edit import delete
from app.edit.build import build
from app.edit.source import open_source
from tests.edit_helpers import episode_packets, write_studio

LENGTHS = (6, 11)        # episode 1 starts at frame 6; keyframes every 4 frames: 0, 4, 8, 12, 16


def reencode_continuous(path, fps=30, every=4):
    """Replace a camera file by one continuous encode whose keyframes ignore episode starts."""
    with av.open(str(path)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    tmp = path.with_name("tmp.mp4")
    with av.open(str(tmp), "w", format="mp4") as out:
        s = out.add_stream("libsvtav1", rate=fps)
        s.width, s.height, s.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        s.codec_context.time_base = Fraction(1, fps)
        s.options = {"g": "300", "preset": "12", "crf": "30"}
        for i, img in enumerate(frames):
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts = i
            f.pict_type = av.video.frame.PictureType.I if i % every == 0 else av.video.frame.PictureType.NONE
            for pkt in s.encode(f):
                out.mux(pkt)
        for pkt in s.encode(None):
            out.mux(pkt)
    tmp.replace(path)
    with av.open(str(path)) as c:
        return [p.is_keyframe for p in c.demux(video=0) if p.pts is not None]


def test_non_keyframe_cut_reencodes_only_the_head(tmp_path):
    src = tmp_path / "src"
    write_studio(src, lengths=LENGTHS, roll=False)
    keys = reencode_continuous(src / "videos" / "observation.images.front" / "chunk-000" / "file-000.mp4")
    assert keys[6] is False and keys[8] is True
    res = build(delete.plan(open_source(str(src)), "0"), tmp_path / "out")
    assert res.frames_reencoded == 2 and res.reencoded_episodes == [(0, "observation.images.front", 2)]
    assert "first 2 frames were re-encoded" in res.summary()
    rep = validate(tmp_path / "out")
    assert rep.ok, rep.lines()
    r, s = DatasetReader(tmp_path / "out"), DatasetReader(src)
    got = list(r.iter_frames(0, "observation.images.front"))
    want = list(s.iter_frames(1, "observation.images.front"))
    assert len(got) == 11
    assert max(float(np.abs(a.astype(int) - b.astype(int)).mean()) for a, b in zip(got, want)) < 8
    front = "observation.images.front"
    assert episode_packets(r, 0, front)[2:] == episode_packets(s, 1, front)[2:]
