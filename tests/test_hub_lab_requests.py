"""Reviewing a many-file Hub dataset: requests and round trips per action (issue 20, lab scale).

At 50 ms per request the time of an open or a jump is its number of sequential round trips, so
these count them against the Hub stand-in instead of timing (bench/hub_lab.py times them):
- once the episode table is read, episode 0's rows and first frames need no request of their own
  (their files' heads came in the metadata round trip);
- after the background warm-up (`HubFileSystem.warm_heads`, started by EpisodeFrames once a frame
  shows), a jump to any frame of any episode, in
  any of the rolled-over files, is one round trip: one request per camera, none for the rows.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from app.dataset.features import make_features
from app.dataset.reader import DatasetReader
from app.dataset.writer import DatasetWriter, Episode
from app.hub.episode_frames import EpisodeFrames
from app.hub.range_cache import RangeCache
from app.hub.remote_fs import open_hub_dataset
from app.rig.samples import FEATURE_NAMES
from tests.hub_server import HubServer

CAMS = ("observation.images.front", "observation.images.wrist")
REPO = "lab/rolled"
EPISODES = 12


@pytest.fixture(scope="module")
def rolled(tmp_path_factory):
    """12 episodes whose data and video files roll over every few episodes."""
    root = tmp_path_factory.mktemp("lab") / "ds"
    rng = np.random.default_rng(0)
    w = DatasetWriter.create(root, REPO, 30, make_features(list(FEATURE_NAMES), {c: (48, 64) for c in CAMS}),
                             data_files_size_in_mb=0.012, video_files_size_in_mb=0.05)
    for e in range(EPISODES):
        n = 8 + e % 5
        state = rng.normal(0, 20, (n, 6)).astype(np.float32)
        videos = {c: [rng.integers(0, 255, (48, 64, 3), np.uint8) for _ in range(n)] for c in CAMS}
        w.add_episode(Episode(f"task {e % 2}", {"observation.state": state, "action": state + 1}, videos))
    w.close()
    data = list(root.glob("data/*/*.parquet"))
    videos = {c: list(root.glob(f"videos/{c}/*/*.mp4")) for c in CAMS}
    assert len(data) >= 3 and all(len(v) >= 3 for v in videos.values()), (len(data), videos)
    return root


def show(pool, reader, e, i, warm=True):
    """What the Datasets panel does on a jump: the rows and every camera's frame at once."""
    frames = EpisodeFrames(reader, e, warm=warm)
    rows = pool.submit(frames.rows)
    shown = list(pool.map(lambda c: frames.load(c, i)[1], frames.cameras))
    return rows.result(), shown


def round_trips(intervals) -> int:
    """Sequential round trips: groups of requests whose times overlap (one group runs in parallel)."""
    trips, end = 0, -1.0
    for a, b in sorted(intervals):
        if a >= end:
            trips += 1
        end = max(end, b)
    return trips


def test_first_frame_and_jumps_round_trips(rolled, tmp_path):
    local = DatasetReader(rolled)
    pool = ThreadPoolExecutor(4)
    with HubServer(latency=0.02) as hub:
        hub.add_dataset(REPO, rolled).info(files_metadata=True)
        fs = open_hub_dataset(REPO, cache=RangeCache(tmp_path / "ranges"), endpoint=hub.endpoint, token=False,
                              refresh=True)
        reader = DatasetReader(fs.root, fs)
        rows, first = show(pool, reader, 0, 0, warm=False)      # the warm-up counted apart
        meta = [p for p in fs.manifest.files if p.startswith("meta/") and not p.endswith("stats.json")]
        # dataset_info; info, tasks, episodes files and episode 0's files' heads in one burst; nothing more
        assert len(hub.log) == 1 + len(meta) + 1 + len(CAMS), [r.path for r in hub.log]
        np.testing.assert_array_equal(first[0], local.frame(0, CAMS[0], 0))

        mark = len(hub.log)
        show(pool, reader, 0, 1)                  # a frame shown starts the background warm-up
        fs.warm_heads_once().join(timeout=20)
        content = [p for p in fs.manifest.files if p.startswith(("data/", "videos/"))]
        warmed = hub.requests_since(mark)         # each file's head at most once, never more than a block
        assert 0 < len(warmed) <= len(content) and len({r.path for r in warmed}) == len(warmed), warmed
        assert all(r.bytes <= fs.range_cache.block_size for r in warmed), warmed
        hub.latency = 0.15            # round trips must overlap: far longer than a thread's hiccup
        log, lock = [], threading.Lock()
        fetch = fs.fetch

        def timed(rel, a, b):
            t = time.monotonic()
            try:
                return fetch(rel, a, b)
            finally:
                with lock:
                    log.append((t, time.monotonic()))
        fs.fetch = timed
        rng = random.Random(3)
        for e in rng.sample(range(1, EPISODES), 5):
            i = rng.randrange(reader.episodes[e].length)
            mark, log[:] = len(hub.log), []
            rows, shown = show(pool, reader, e, i)
            asked = hub.requests_since(mark)
            assert len(asked) <= len(CAMS) and not any(r.path.endswith(".parquet") for r in asked), asked
            assert round_trips(log) <= 1, log
            assert len(rows["time"]) == reader.episodes[e].length
            for c, img in zip(reader.video_keys, shown):
                np.testing.assert_array_equal(img, local.frame(e, c, i))
        reader.close()
    pool.shutdown()
