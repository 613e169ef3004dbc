"""Shared by the edit tests: a studio-written dataset with rolled-over files, and checks that an
edit's output is valid, loads every frame, and kept the source's video packets byte for byte."""

from __future__ import annotations

import av
import numpy as np

from app.dataset.features import make_features
from app.dataset.reader import DatasetReader
from app.dataset.validate import validate
from app.dataset.writer import DatasetWriter, Episode
from tests.dataset_helpers import JOINTS, frames, joints

TASKS = ["pick", "place", "wave"]


def write_studio(root, lengths=(8, 6, 7, 5, 9), roll=True, fps=30, cameras=("front",)) -> None:
    """Tiny frames; with roll every data and camera file holds one episode, chunks_size 2."""
    kw = {"data_files_size_in_mb": 0.001, "video_files_size_in_mb": 0.001, "chunks_size": 2} if roll else {}
    w = DatasetWriter.create(root, "test/studio", fps, make_features(JOINTS, {c: (48, 64) for c in cameras}), **kw)
    for ep, n in enumerate(lengths):
        action, state = joints(ep, n)
        w.add_episode(Episode(TASKS[ep % len(TASKS)], {"action": action, "observation.state": state},
                              {f"observation.images.{c}": frames(ep, n, i) for i, c in enumerate(cameras)}),
                      source_id=f"take-{ep}")
    w.close()


def episode_packets(reader: DatasetReader, e: int, key: str) -> list[bytes]:
    """The raw packet bytes of one episode of one camera (demuxed with PyAV, nothing decoded)."""
    ref = reader.episodes[e].videos[key]
    half = 0.5 / reader.fps
    with reader.open(ref.path) as f, av.open(f) as c:
        s = c.streams.video[0]
        return [bytes(p) for p in c.demux(s) if p.pts is not None
                and ref.from_ts - half <= float(p.pts * s.time_base) < ref.to_ts - half]


def check_output(out, src_root, mapping: dict[int, int]) -> DatasetReader:
    """Valid, every frame decodes, rows equal the source's, packets byte-identical.
    mapping: output episode -> source episode."""
    rep = validate(out)
    assert rep.ok, rep.lines()
    r, s = DatasetReader(out), DatasetReader(src_root)
    assert len(r.episodes) >= len(mapping)
    for oe, se in mapping.items():
        a, b = r.read_episode(oe), s.read_episode(se)
        for col in ("observation.state", "action", "frame_index", "timestamp"):
            if col in r.features:
                assert a.column(col).to_pylist() == b.column(col).to_pylist(), (oe, col)
        assert a.column("episode_index").to_pylist() == [oe] * len(a)
        for key in r.video_keys:
            n = sum(1 for _ in r.iter_frames(oe, key))
            assert n == r.episodes[oe].length
            assert episode_packets(r, oe, key) == episode_packets(s, se, key), (oe, key)
    return r


def state_of(reader: DatasetReader, e: int) -> np.ndarray:
    return np.stack(reader.read_episode(e).column("observation.state").to_numpy(zero_copy_only=False))
