"""Byte ranges over the Hub stand-in (real HTTP on 127.0.0.1, real files): reads fetch exactly their
missing bytes, concurrent readers share requests, HubFile's short reads and read-ahead, the mp4
sample-table index against PyAV's demuxer, and what a remote frame, episode or row read costs."""

from __future__ import annotations

import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pyarrow.parquet as pq
import pytest

from app.dataset.features import make_features
from app.dataset.mp4_index import PROBE, Mp4Error, load_index
from app.dataset.reader import FRAMES_AHEAD, DatasetReader
from app.dataset.writer import DatasetWriter, Episode
from app.hub.episode_frames import EpisodeFrames
from app.hub.range_cache import RangeCache
from app.hub.remote_fs import open_hub_dataset
from app.rig.samples import FEATURE_NAMES
from tests.hub_fixtures import hub  # noqa: F401

REPO, LONG = "ranges/noisy", "ranges/long_rows"
CAMS = ("observation.images.front", "observation.images.wrist")


@pytest.fixture(scope="module")
def noisy(tmp_path_factory) -> Path:
    """3 episodes x 20 frames of noise (samples of tens of KiB, so a frame is a small part of the
    file), plus a 600 kB file of random bytes."""
    root = tmp_path_factory.mktemp("noisy") / "ds"
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 255, (200, 260, 3), np.uint8)
    w = DatasetWriter.create(root, REPO, 30, make_features(list(FEATURE_NAMES), {c: (96, 128) for c in CAMS}))
    for e in range(3):
        state = rng.normal(size=(20, 6)).astype(np.float32)
        cams = {c: [np.ascontiguousarray(texture[(3 * i + e) % 100:][:96, (5 * i + 40 * k) % 130:][:, :128])
                    for i in range(20)] for k, c in enumerate(CAMS)}
        w.add_episode(Episode("noise", {"observation.state": state, "action": state + 1}, cams))
    w.close()
    (root / "blob.bin").write_bytes(rng.bytes(600_000))
    return root


@pytest.fixture(scope="module")
def long_rows(tmp_path_factory) -> Path:
    """No video; 3 episodes of 6000 rows, one row group each (a data file of ~1 MB)."""
    root = tmp_path_factory.mktemp("long") / "ds"
    rng = np.random.default_rng(1)
    w = DatasetWriter.create(root, LONG, 30, make_features(list(FEATURE_NAMES), {}))
    for _ in range(3):
        state = rng.normal(size=(6000, 6)).astype(np.float32)
        w.add_episode(Episode("rows", {"observation.state": state, "action": state * 2}))
    w.close()
    return root


def remote(hub, root, tmp_path, repo=REPO, block=256 * 1024):  # noqa: F811
    hub.add_dataset(repo, root)
    fs = open_hub_dataset(repo, cache=RangeCache(tmp_path / "cache", block_size=block), endpoint=hub.endpoint,
                          token=False, refresh=True)
    return fs


def fetched(hub, mark, suffix):  # noqa: F811
    return [r for r in hub.requests_since(mark) if r.path.endswith(suffix)]


def union(ranges) -> int:
    total, end = 0, -1
    for a, b in sorted(ranges):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


# -- the range cache through HubFileSystem --------------------------------------------------------

def test_reads_fetch_exactly_their_missing_bytes(hub, noisy, tmp_path):  # noqa: F811
    fs = remote(hub, noisy, tmp_path, block=64 * 1024)
    data = (noisy / "blob.bin").read_bytes()
    mark = len(hub.log)
    with fs.open(fs.root + "/blob.bin") as f:
        f.seek(1000)
        assert f.read(4000) == data[1000:5000]
        f.seek(3000)
        assert f.read(6000) == data[3000:9000]
        f.seek(0)
        assert f.read(10000) == data[:10000]
    assert [r.range for r in fetched(hub, mark, "blob.bin")] == [
        "bytes=1000-4999", "bytes=5000-8999", "bytes=0-999", "bytes=9000-9999"]
    pieces = list((tmp_path / "cache").rglob(fs._key("blob.bin") + "-*.rng"))
    assert sum(p.stat().st_size for p in pieces) == 10000
    fresh = RangeCache(tmp_path / "cache", block_size=64 * 1024)          # found again after a restart
    assert fresh.missing(fs._key("blob.bin"), 0, 12000) == [(10000, 12000)]


def test_sequential_reads_grow_a_read_ahead_inside_the_window(hub, noisy, tmp_path):  # noqa: F811
    fs = remote(hub, noisy, tmp_path, block=32 * 1024)
    data = (noisy / "blob.bin").read_bytes()
    mark = len(hub.log)
    with fs.open(fs.root + "/blob.bin") as f:
        got = b"".join(f.read(4096) for _ in range(100))
        f.window = (520_000, 560_000)
        f.seek(520_000)
        got2 = b"".join(f.read(4096) for _ in range(5))
    assert got == data[:100 * 4096] and got2 == data[520_000:520_000 + 5 * 4096]
    requests = fetched(hub, mark, "blob.bin")
    assert [r.bytes for r in requests[:5]] == [4096, 4096 + 65536, 4096 + 131072, 4096 + 131072, 4096 + 131072]
    assert [r.range for r in requests[5:]] == ["bytes=520000-524095", "bytes=524096-559999"]  # not past it


def test_concurrent_overlapping_reads_share_requests(hub, noisy, tmp_path):  # noqa: F811
    fs = remote(hub, noisy, tmp_path)
    data = (noisy / "blob.bin").read_bytes()
    hub.latency = 0.2
    mark = len(hub.log)
    wanted = [(0, 300_000), (100_000, 400_000), (50_000, 150_000), (350_000, 360_000)]
    out = {}
    threads = [threading.Thread(target=lambda a=a, b=b: out.__setitem__((a, b), fs.read_range("blob.bin", a, b)))
               for a, b in wanted]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(out[(a, b)] == data[a:b] for a, b in wanted)
    assert sum(r.bytes for r in fetched(hub, mark, "blob.bin")) == 400_000          # each byte once


def test_partial_reads_return_what_is_cached_without_waiting(hub, noisy, tmp_path):  # noqa: F811
    fs = remote(hub, noisy, tmp_path)
    data = (noisy / "blob.bin").read_bytes()
    fs.prefetch(fs.root + "/blob.bin", [(200_000, 260_000)])
    # the stand-in logs a request once it has answered it: wait for the prefetch's entry before the mark
    end = time.monotonic() + 10
    while not fetched(hub, 0, "blob.bin") and time.monotonic() < end:
        time.sleep(0.01)
    mark = len(hub.log)
    with fs.open(fs.root + "/blob.bin") as f:
        f.partial_reads = True
        f.seek(250_000)
        assert f.read(32768) == data[250_000:260_000]         # short: the rest was not planned
        assert hub.requests_since(mark) == []
        f.partial_reads = False
        f.seek(250_000)
        assert f.read(32768) == data[250_000:282_768]
    assert [r.range for r in fetched(hub, mark, "blob.bin")] == ["bytes=260000-282767"]


# -- the mp4 index --------------------------------------------------------------------------------

def write_mp4(path: Path, codec: str, options: dict, frames: int = 90) -> Path:
    """PyAV's default mp4 muxer: moov after mdat, as ffmpeg writes it (and lerobot's files)."""
    rng = np.random.default_rng(2)
    with av.open(str(path), "w", format="mp4") as out:
        s = out.add_stream(codec, rate=30, options=options)
        s.width, s.height, s.pix_fmt = 128, 96, "yuv420p"
        for i in range(frames):
            img = rng.integers(0, 255, (96, 128, 3), np.uint8)
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts, f.time_base = i, Fraction(1, 30)
            out.mux(s.encode(f))
        out.mux(s.encode(None))
    return path


def demuxed(path: Path):
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        pk = [(p.pos, p.size, float(p.pts * s.time_base), p.is_keyframe) for p in c.demux(s) if p.size]
    return [np.array(x) for x in zip(*pk)]


def index_of(path: Path):
    data = path.read_bytes()
    reads = []

    def read(a, b):
        reads.append((a, b))
        return data[a:b]
    return load_index(read, len(data)), reads


def test_index_matches_the_demuxer(noisy, tmp_path):
    faststart = noisy / DatasetReader(noisy).episodes[0].videos[CAMS[0]].path
    bframes = write_mp4(tmp_path / "bframes.mp4", "libx264", {"g": "12", "bf": "2", "crf": "10"})
    for path, expected_reads in ((faststart, 1), (bframes, 2)):
        assert path.stat().st_size > PROBE
        index, reads = index_of(path)
        pos, size, pts, key = demuxed(path)
        assert np.array_equal(index.offsets, pos) and np.array_equal(index.sizes, size), path.name
        assert np.allclose(index.pts, pts, atol=1e-6) and np.array_equal(index.keys, key), path.name
        assert len(reads) == expected_reads, reads        # front moov in the probe; a moov after mdat in one more


def test_index_refuses_what_it_cannot_read(noisy, tmp_path):
    path = noisy / DatasetReader(noisy).episodes[0].videos[CAMS[0]].path
    good = path.read_bytes()
    moov = good.index(b"moov") - 4
    stsz = good.index(b"stsz") - 4
    bad = {
        "garbage": np.random.default_rng(3).bytes(5000),
        "cut inside moov": good[:moov + 200],
        "absurd sample count": good[:stsz + 16] + (2 ** 31).to_bytes(4, "big") + good[stsz + 20:],
        "box larger than the file": good[:moov] + (10 ** 9).to_bytes(4, "big") + good[moov + 4:],
    }
    for name, data in bad.items():
        with pytest.raises(Mp4Error):
            load_index(lambda a, b, d=data: d[a:b], len(data))
            print(name, "was indexed")


# -- what remote reads cost -----------------------------------------------------------------------

def test_a_remote_frame_fetches_only_the_samples_it_decodes(hub, noisy, tmp_path):  # noqa: F811
    local = DatasetReader(noisy)
    mark = len(hub.log)            # the first video files' probe comes with the metadata, at open
    fs = remote(hub, noisy, tmp_path)
    r = DatasetReader(fs.root, fs)
    e, i = 1, 9
    ref = local.episodes[e].videos[CAMS[0]]
    index, _ = index_of(noisy / ref.path)
    t = local.frame_time(e, CAMS[0], i)
    assert np.array_equal(r.frame(e, CAMS[0], i), local.frame(e, CAMS[0], i))
    video = fetched(hub, mark, ref.path)
    planned = [(0, PROBE)] + index.opening() + index.span(t, t + 0.5 / 30, after=FRAMES_AHEAD)
    assert sum(q.bytes for q in video) == union(planned)       # the decoder read nothing unplanned
    assert len(video) <= 3                                     # probe; then opening + samples, parallel
    mark = len(hub.log)
    assert np.array_equal(r.frame(e, CAMS[0], i + 1), local.frame(e, CAMS[0], i + 1))
    assert sum(q.bytes for q in fetched(hub, mark, ".mp4")) <= int(index.sizes.max()) * 2


def test_an_episode_costs_its_share_of_the_video(hub, noisy, tmp_path):  # noqa: F811
    local = DatasetReader(noisy)
    fs = remote(hub, noisy, tmp_path)
    frames = EpisodeFrames(DatasetReader(fs.root, fs), 1)
    mark = len(hub.log)
    assert frames.prefetch(CAMS[1], 0, 20) == 20
    for i in range(20):
        assert np.array_equal(frames.cached(CAMS[1], i), local.frame(1, CAMS[1], i)), i
    ref = local.episodes[1].videos[CAMS[1]]
    index, _ = index_of(noisy / ref.path)
    lo, hi = index.extent(ref.from_ts, ref.to_ts)
    got = sum(q.bytes for q in fetched(hub, mark, ".mp4"))
    outside = int(index.sizes.max()) * (FRAMES_AHEAD + 2)     # the keyframe before, the decoder's look-ahead
    assert hi - lo <= got <= PROBE + (hi - lo) + outside


def test_rows_fetch_only_the_episodes_column_chunks(hub, long_rows, tmp_path):  # noqa: F811
    local = DatasetReader(long_rows)
    mark = len(hub.log)            # the first data file's footer comes with the metadata, at open
    fs = remote(hub, long_rows, tmp_path, repo=LONG)
    r = DatasetReader(fs.root, fs)
    size = (long_rows / local.episodes[1].data_file).stat().st_size
    assert r.read_episode(1, ["action"]).equals(local.read_episode(1, ["action"]))
    data = fetched(hub, mark, local.episodes[1].data_file)
    md = pq.ParquetFile(long_rows / local.episodes[1].data_file).metadata.row_group(1)
    chunks = [(c.data_page_offset, c.data_page_offset + c.total_compressed_size)
              for c in (md.column(j) for j in range(md.num_columns)) if c.path_in_schema.split(".")[0] in
              ("action", "index")]
    assert sum(q.bytes for q in data) == union([(size - 64 * 1024, size)] + chunks)   # footer + 2 chunks
    assert len(data) <= 3


def test_a_frame_asked_twice_at_once_is_decoded_once(noisy):
    frames = EpisodeFrames(DatasetReader(noisy), 2)
    out = []
    threads = [threading.Thread(target=lambda: out.append(frames.load(CAMS[0], 5))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert frames.decoded == 1 and all(np.array_equal(x[1], out[0][1]) for x in out)
