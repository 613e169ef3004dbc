"""Memory and threads set by what the files can hold, not by what they claim (issue 18 part 2),
on a local dataset: each attack ends in one clear line, well under 500 MB and 64 threads, and
reading it writes nothing anywhere."""

from __future__ import annotations

import json
import shutil
import struct
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from app.dataset.reader import DatasetReader
from app.dataset.validate import validate
from tests.hostile_helpers import CAM, listing, make_dataset, probe, run_watched

EPISODES = "meta/episodes/chunk-000/file-000.parquet"
VIDEO = f"videos/{CAM}/chunk-000/file-000.mp4"
RSS_MB, THREADS, OUTPUT = 500, 64, 20_000


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("bounds") / "ds", episodes=2, length=8)


def _info(root, **changes):
    p = root / "meta/info.json"
    info = json.loads(p.read_text())
    info.update(changes)
    p.write_text(json.dumps(info))


def _million_rows(root, total_episodes=None):
    """The episodes parquet's columns, each its first value repeated 1M times: a file of a few KB."""
    t = pq.read_table(root / EPISODES)
    cols = [c for c in t.column_names if not c.startswith("stats/")]
    big = pa.table({c: pa.repeat(t.column(c)[0], 1_000_000) for c in cols})
    pq.write_table(big, root / EPISODES, compression="zstd", row_group_size=1_000_000)
    assert (root / EPISODES).stat().st_size < 200_000
    if total_episodes is not None:
        _info(root, total_episodes=total_episodes)


def _moov_claims(root, samples=20_000_000):
    """Patch the camera file's sample table: uniform 1-byte samples, 20M of them, one stts run."""
    p = root / VIDEO
    data = bytearray(p.read_bytes())
    i = data.index(b"stsz")
    struct.pack_into(">III", data, i + 4, 0, 1, samples)       # version/flags, sample_size, count
    j = data.index(b"stts")
    struct.pack_into(">II", data, j + 8, 1, samples)           # entry count 1, sample count
    p.write_bytes(bytes(data))


def _swap_video(root, tmp_path):
    big = make_dataset(tmp_path / "big", episodes=2, length=8, h=96, w=128)
    shutil.copyfile(big / VIDEO, root / VIDEO)


ATTACKS = {
    "template width 400000000": (lambda root, tmp: _info(
        root, data_path="data/chunk-{chunk_index:0400000000d}/file-{file_index:03d}.parquet"), "template"),
    "episodes parquet claims 1M rows": (lambda root, tmp: _million_rows(root), "rows"),
    "1M rows and info.json agreeing": (lambda root, tmp: _million_rows(root, 1_000_000), "rows"),
    "moov claims 20M samples": (lambda root, tmp: _moov_claims(root), "samples"),
    "info.json of 17 MB": (lambda root, tmp: _info(root, padding="x" * (17 << 20)), "larger than 16 MB"),
    "stats.json of 17 MB": (lambda root, tmp: (root / "meta/stats.json").write_text(
        json.dumps({"pad": "x" * (17 << 20)})), "larger than 16 MB"),
    "bigger video in the camera's place": (_swap_video, "128x96"),
}


def _attacked(clean, tmp_path, name):
    root = tmp_path / "ds"
    shutil.copytree(clean, root)
    ATTACKS[name][0](root, tmp_path)
    return root


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_is_refused_within_bounds(clean, tmp_path, name):
    root = _attacked(clean, tmp_path, name)
    files = listing(tmp_path)
    t0 = time.monotonic()
    got = probe(root)
    assert time.monotonic() - t0 < 30
    assert listing(tmp_path) == files, "reading wrote something"
    assert got["rss_mb"] < RSS_MB and got["threads"] < THREADS, (got["rss_mb"], got["threads"])
    text = got["text"]
    assert ATTACKS[name][1] in text, text[:2000]
    assert len(text) + len(got["stderr"]) < OUTPUT and "Traceback" not in text + got["stderr"]


@pytest.mark.parametrize("name", ["template width 400000000", "moov claims 20M samples",
                                  "1M rows and info.json agreeing"])
def test_check_command_stays_small(clean, tmp_path, name):
    root = _attacked(clean, tmp_path, name)
    files = listing(tmp_path)
    res, peak_mb, peak_threads = run_watched([sys.executable, "-m", "app.cli", "check", str(root)])
    assert listing(tmp_path) == files
    assert res.returncode in (1, 2), res.stdout + res.stderr
    assert len(res.stdout) + len(res.stderr) < OUTPUT and "Traceback" not in res.stdout + res.stderr
    assert ATTACKS[name][1] in res.stdout
    assert peak_mb < RSS_MB and peak_threads < THREADS, (peak_mb, peak_threads)


def test_legit_large_dataset_still_reads(tmp_path, monkeypatch):
    """Many episodes in many small files (rollover every few episodes) read and check as valid
    (bench/check_deep.py does 300 episodes with video)."""
    import os
    monkeypatch.setattr(os, "fsync", lambda fd: None)     # set-up speed only: durability is not tested here
    root = make_dataset(tmp_path / "many", episodes=100, length=2, h=16, w=16, cameras=0,
                        data_files_size_in_mb=0.005, chunks_size=4)
    monkeypatch.undo()
    r = DatasetReader(root)
    assert len(r.episodes) == 100 and len(r.glob("data/*/*.parquet")) > 10
    assert r.read_episode(99).num_rows == 2
    rep = validate(root)
    assert rep.ok, rep.lines()[:5]
