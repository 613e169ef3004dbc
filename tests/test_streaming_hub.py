"""Streaming through the Hub stand-in: same frames as local, rollover, revision pinned, nothing
downloaded whole, and the stream CLI by repo id (its own process, HF_ENDPOINT aimed at the server)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from app.dataset.reader import DatasetReader
from app.hub.errors import HubError
from app.hub.range_cache import RangeCache
from app.streaming.iterator import StreamingDataset
from tests.hub_fixtures import hub  # noqa: F401
from tests.test_streaming_iterator import CAMS, ROLL_LENGTHS, assert_equals_direct_reads, rollover_root  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def remote(hub, tmp_path, repo, **kw):  # noqa: F811
    cache = RangeCache(tmp_path / "cache", block_size=16 * 1024)
    return StreamingDataset(repo, endpoint=hub.endpoint, cache=cache, token=False, refresh=True, **kw)


def test_hub_stream_equals_local_stream_every_frame(hub, tmp_path, fixtures_dir):  # noqa: F811
    local = list(StreamingDataset(fixtures_dir / "lerobot_so101_3ep"))
    ds = remote(hub, tmp_path, "fixtures/so101_3ep")
    assert type(ds.reader.fs).__name__ == "HubFileSystem"
    items = list(ds)
    assert len(items) == len(local) == 180
    for a, b in zip(items, local):
        assert a.keys() == b.keys()
        for k in a:
            assert np.array_equal(a[k], b[k]) if k != "task" else a[k] == b[k], k
    # read in ranges, each byte at most once: no more than the files' sizes
    assert sum(r.bytes for r in hub.log if "/resolve/" in r.path) <= sum(
        p.stat().st_size for p in (fixtures_dir / "lerobot_so101_3ep").rglob("*") if p.is_file())
    assert all(r.range for r in hub.log if r.path.endswith(".mp4"))


def test_hub_rollover_shuffled_subset_with_deltas(hub, tmp_path, rollover_root):  # noqa: F811
    hub.add_dataset("tests/rollover", rollover_root)
    reader = DatasetReader(rollover_root)
    ds = remote(hub, tmp_path, "tests/rollover")
    assert_equals_direct_reads(list(ds), reader, list(range(len(ROLL_LENGTHS))))
    ds = remote(hub, tmp_path, "tests/rollover", episodes=[4, 1, 3], shuffle=True, buffer_size=8,
                delta_timestamps={CAMS[0]: [-1 / 30, 0], "action": [0, 2 / 30]})
    items = list(ds)
    assert sorted((int(x["episode_index"]), int(x["frame_index"])) for x in items) == sorted(
        (e, i) for e in (4, 1, 3) for i in range(ROLL_LENGTHS[e]))
    for x in items:
        e, i = int(x["episode_index"]), int(x["frame_index"])
        assert x[f"{CAMS[0]}_is_pad"].tolist() == [i == 0, False]
        assert np.array_equal(x[CAMS[0]][0], reader.frame(e, CAMS[0], max(i - 1, 0)))
        assert x["action_is_pad"].tolist() == [False, i + 2 >= ROLL_LENGTHS[e]]


def test_hub_revision_is_honoured(hub, tmp_path, fixtures_dir):  # noqa: F811
    hub.add_dataset("fixtures/old", fixtures_dir / "lerobot_so101_3ep", tags=("v2.1",))
    with pytest.raises(HubError, match="v2.1"):
        remote(hub, tmp_path, "fixtures/old")
    ds = remote(hub, tmp_path, "fixtures/old", revision="main", video=False)
    assert len(list(ds)) == 180
    assert ds.reader.fs.manifest.revision == "main"


def _cli(hub, tmp_path, *args):  # noqa: F811
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(hub.client_env(tmp_path / "hf_home"), PYTHONPATH=ROOT,
               TELEOP_STUDIO_CACHE_DIR=str(tmp_path / "studio-cache"))
    return subprocess.run([sys.executable, "-m", "app", "stream", *args], env=env, capture_output=True,
                          text=True, timeout=60, cwd=tmp_path)


def test_stream_cli_by_repo_id(hub, tmp_path):  # noqa: F811
    p = _cli(hub, tmp_path, "fixtures/so101_3ep", "--shuffle", "--buffer-size", "40", "--episodes", "1,2")
    assert p.returncode == 0, p.stderr
    assert "streaming fixtures/so101_3ep: 2 episodes, 120 frames" in p.stdout
    assert "streamed 120 frames from 2 episodes" in p.stdout
    assert any("/resolve/" in r.path and r.path.endswith(".mp4") for r in hub.log)
    assert not (tmp_path / "fixtures").exists() and not list((tmp_path / "hf_home").rglob("*.mp4"))
    p = _cli(hub, tmp_path, "fixtures/nope")
    assert p.returncode == 2 and "was not found on the Hub" in p.stderr and "Traceback" not in p.stderr
    p = _cli(hub, tmp_path, "fixtures/so101_3ep", "--revision", "v9.9", "--limit", "3")
    assert p.returncode == 2 and "revision" in p.stderr and "Traceback" not in p.stderr
