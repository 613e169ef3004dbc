"""Remote datasets through app.hub against the Hub stand-in: pixels, cache, offline, every error case."""

from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pytest

from app.dataset.reader import DatasetReader
from app.hub.errors import explain
from app.hub.range_cache import RangeCache
from app.hub.remote_fs import open_hub_dataset
from tests.hub_fixtures import TOKEN, hub  # noqa: F401

REPO = "fixtures/so101_3ep"
CAMS = ("observation.images.front", "observation.images.wrist")


@pytest.fixture
def cache(tmp_path):
    return RangeCache(tmp_path / "cache", block_size=16 * 1024)


def remote(hub, cache, repo=REPO, **kw):  # noqa: F811
    fs = open_hub_dataset(repo, cache=cache, endpoint=hub.endpoint, refresh=True, token=False, **kw)
    return DatasetReader(fs.root, fs)


def failure(fn) -> str:
    with pytest.raises(Exception) as info:
        fn()
    return explain(info.value, "the dataset")


def test_scrub_every_frame_remotely_matches_local_decode(hub, cache, fixtures_dir):  # noqa: F811
    local = DatasetReader(fixtures_dir / "lerobot_so101_3ep")
    r = remote(hub, cache)
    assert [e.length for e in r.episodes] == [60, 45, 75] and r.tasks == local.tasks
    assert r.read_episode(1).equals(local.read_episode(1))
    for cam in CAMS:
        for i in reversed(range(45)):          # backwards: every frame is a seek
            assert np.array_equal(r.frame(1, cam, i), local.frame(1, cam, i)), (cam, i)
    video_bytes = sum(x.bytes for x in hub.log if x.path.endswith(".mp4"))
    assert video_bytes <= sum((fixtures_dir / "lerobot_so101_3ep" / e.videos[c].path).stat().st_size
                              for e in local.episodes[:1] for c in CAMS)   # each byte fetched once


def test_revisit_uses_the_cache_and_works_offline(hub, cache):  # noqa: F811
    r = remote(hub, cache)
    first = [r.frame(2, CAMS[0], i) for i in (0, 40, 74)]
    rows = r.read_episode(2)
    mark = len(hub.log)
    fs = open_hub_dataset(REPO, cache=cache, endpoint=hub.endpoint, token=False)   # same session
    again = DatasetReader(fs.root, fs)
    assert [again.frame(2, CAMS[0], i) for i in (0, 40, 74)][2].tobytes() == first[2].tobytes()
    assert hub.requests_since(mark) == []
    hub.stop()                                                                       # offline now
    fresh = RangeCache(cache.directory, block_size=cache.block_size)
    fs = open_hub_dataset(REPO, cache=fresh, endpoint=hub.endpoint, token=False, refresh=True, timeout=2)
    assert fs.manifest.offline and "cached" in fs.manifest.note
    offline = DatasetReader(fs.root, fs)
    assert offline.read_episode(2).equals(rows)
    assert np.array_equal(offline.frame(2, CAMS[0], 40), first[1])


def test_cache_stays_within_its_bound(hub, tmp_path):  # noqa: F811
    small = RangeCache(tmp_path / "small", max_bytes=40_000, block_size=8 * 1024)
    r = remote(hub, small)
    for i in range(0, 75, 5):
        r.frame(2, CAMS[0], i)
    assert 0 < small.total_bytes <= 40_000
    assert sum(p.stat().st_size for p in small.directory.rglob("*.rng")) <= 40_000


def test_not_found_revision_gated_and_no_token_in_logs(hub, cache, fixtures_dir, caplog, monkeypatch):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    hub.add_dataset("fixtures/gated", fixtures_dir / "lerobot_so101_3ep", gated=True)
    assert "not found" in failure(lambda: remote(hub, cache, "nobody/nothing"))
    assert "revision" in failure(lambda: open_hub_dataset(REPO, "v9.9", cache=cache, endpoint=hub.endpoint))
    assert "hf auth login" in failure(lambda: remote(hub, cache, "fixtures/gated"))
    msg = failure(lambda: open_hub_dataset("fixtures/gated", cache=cache, endpoint=hub.endpoint,
                                           token="hf_wrongwrongwrongwrong", refresh=True))
    assert "no access" in msg
    monkeypatch.setenv("HF_TOKEN", TOKEN)        # huggingface_hub's own login finds it
    fs = open_hub_dataset("fixtures/gated", cache=cache, endpoint=hub.endpoint, refresh=True)
    assert DatasetReader(fs.root, fs).read_episode(0).num_rows == 60
    assert TOKEN not in caplog.text and TOKEN not in msg


def test_v2_and_non_lerobot_repos_are_explained(hub, cache, fixtures_dir, tmp_path):  # noqa: F811
    old = tmp_path / "old"
    shutil.copytree(fixtures_dir / "lerobot_state_only_2ep", old)
    info = json.loads((old / "meta/info.json").read_text())
    (old / "meta/info.json").write_text(json.dumps({**info, "codebase_version": "v2.1"}))
    hub.add_dataset("someone/old", old, tags=("v2.1",))
    hub.add_dataset("someone/old_main", old, tags=())
    notlr = tmp_path / "plain"
    (notlr / "data").mkdir(parents=True)
    (notlr / "data/train.csv").write_text("a,b\n1,2\n")
    hub.add_dataset("someone/plain", notlr, tags=())
    assert "v2.1" in failure(lambda: remote(hub, cache, "someone/old")) and "convert" in failure(
        lambda: remote(hub, cache, "someone/old_main"))
    assert "not a LeRobot dataset" in failure(lambda: remote(hub, cache, "someone/plain"))


def test_timeout_and_cut_connection(hub, cache):  # noqa: F811
    hub.latency = 1.0
    assert "did not answer in time" in failure(lambda: remote(hub, cache, timeout=0.3))
    hub.latency = 0.0
    hub.fault(REPO, "data/chunk-000/file-000.parquet").drop_after = 100
    r = remote(hub, cache)          # the open's early fetch of episode 0's file fails quietly
    assert "connection cut" in failure(lambda: r.read_episode(0))


def test_truncated_and_corrupt_files(hub, cache):  # noqa: F811
    hub.fault(REPO, "data/chunk-000/file-000.parquet").truncate = 5000
    hub.fault(REPO, "videos/observation.images.front/chunk-000/file-000.mp4").truncate = 12000
    wrist = "videos/observation.images.wrist/chunk-000/file-000.mp4"
    hub.fault(REPO, wrist).corrupt = {i: 0 for i in range(0, 400)}
    r = remote(hub, cache)
    assert "parquet" in failure(lambda: r.read_episode(0))
    assert np.any(r.frame(0, CAMS[0], 0))      # the part that arrived still shows
    assert "no frame at" in failure(lambda: [r.frame(2, CAMS[0], i) for i in range(75)])
    assert "invalid data" in failure(lambda: r.frame(0, CAMS[1], 0)).lower()


@pytest.mark.parametrize("patch, words", [
    ({"data_path": "../../outside/{chunk_index}/{file_index}.parquet"}, "escapes"),
    ({"video_path": "/etc/{video_key}/{chunk_index}{file_index}.mp4"}, "absolute"),
    ({"features": {"observation.state": {"dtype": "float32", "shape": [10 ** 12], "names": None}}}, "shape"),
])
def test_hostile_info_json(hub, cache, fixtures_dir, tmp_path, patch, words):  # noqa: F811
    bad = tmp_path / "bad"
    shutil.copytree(fixtures_dir / "lerobot_so101_3ep", bad)
    info = json.loads((bad / "meta/info.json").read_text())
    if "features" in patch:
        info["features"].update(patch["features"])
    else:
        info.update(patch)
    (bad / "meta/info.json").write_text(json.dumps(info))
    hub.add_dataset("someone/bad", bad)
    before = sorted(p for p in tmp_path.rglob("*") if "cache" not in p.parts)
    msg = failure(lambda: remote(hub, cache, "someone/bad"))
    assert words in msg.lower() or "not plausible" in msg.lower(), msg
    assert sorted(p for p in tmp_path.rglob("*") if "cache" not in p.parts) == before
