"""Bad remote data against the streaming iterator (the browser's reader has its own in
tests/test_hub_remote.py): 404, truncated parquet, corrupt and truncated mp4, a connection cut
mid-file, hostile info.json. Each gives a clear error, no hang, no leftover thread, nothing written
outside the cache; the `stream` command exits with a message, not a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest

from app.hub.errors import explain
from app.hub.range_cache import RangeCache
from app.streaming.iterator import StreamingDataset
from tests.hub_fixtures import hub  # noqa: F401

REPO = "fixtures/so101_3ep"
DATA = "data/chunk-000/file-000.parquet"
FRONT = "videos/observation.images.front/chunk-000/file-000.mp4"
WRIST = "videos/observation.images.wrist/chunk-000/file-000.mp4"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def stream_failure(hub, tmp_path, repo=REPO) -> str:  # noqa: F811
    """Stream every frame; return the explained error (the test fails if streaming succeeds)."""
    threads = len(client_threads())
    cache = RangeCache(tmp_path / "cache", block_size=16 * 1024)
    with pytest.raises(Exception) as info:
        ds = StreamingDataset(repo, endpoint=hub.endpoint, cache=cache, token=False, refresh=True)
        for _ in ds:
            pass
    msg = explain(info.value, "the dataset")
    assert "Traceback" not in msg and len(msg) < 600, msg
    end = time.monotonic() + 5
    while len(client_threads()) > threads and time.monotonic() < end:
        time.sleep(0.05)
    assert len(client_threads()) <= threads, [t.name for t in client_threads()]
    from app.hub.http_range import FETCHERS
    assert sum(t.name.startswith("hub-fetch") for t in threading.enumerate()) <= FETCHERS
    return msg.lower()


def client_threads() -> list[threading.Thread]:
    """Threads of ours (prefetch, workers), not the stand-in server's per-connection handlers, nor the
    process-wide fetch pool (fixed size, started by the first remote read; bounded separately)."""
    return [t for t in threading.enumerate() if "process_request_thread" not in t.name
            and t.name != "hub-stand-in" and not t.name.startswith("hub-fetch")]


def outside_cache(tmp_path) -> list:
    return sorted(p for p in tmp_path.rglob("*") if "cache" not in p.relative_to(tmp_path).parts)


@pytest.mark.parametrize("fault, words", [
    ("missing", ("not found", "does not exist", "no dataset")),
    ("truncated parquet", ("parquet",)),
    ("truncated mp4", ("video", "frame", "mp4", "decode")),
    ("corrupt mp4", ("invalid data", "video", "decode", "corrupt")),
    ("connection cut", ("connection",)),
])
def test_stream_bad_remote_files(hub, tmp_path, fault, words):  # noqa: F811
    repo = REPO
    if fault == "missing":
        repo = "nobody/missing"
    elif fault == "truncated parquet":
        hub.fault(REPO, DATA).truncate = 5000
    elif fault == "truncated mp4":
        hub.fault(REPO, FRONT).truncate = 12000
    elif fault == "corrupt mp4":
        hub.fault(REPO, WRIST).corrupt = {i: 0 for i in range(0, 400)}
    else:
        hub.fault(REPO, DATA).drop_after = 100
    before = outside_cache(tmp_path)
    msg = stream_failure(hub, tmp_path, repo)
    assert any(w in msg for w in words), msg
    assert outside_cache(tmp_path) == before


@pytest.mark.parametrize("patch, words", [
    ({"data_path": "../../outside/{chunk_index}/{file_index}.parquet"}, "escapes"),
    ({"video_path": "/etc/{video_key}/{chunk_index}{file_index}.mp4"}, "absolute"),
    ({"total_episodes": 10 ** 12}, "episodes"),
    ({"fps": -5}, "fps"),
])
def test_stream_hostile_info_json(hub, tmp_path, fixtures_dir, patch, words):  # noqa: F811
    bad = tmp_path / "served" / "bad"
    shutil.copytree(fixtures_dir / "lerobot_so101_3ep", bad)
    info = json.loads((bad / "meta/info.json").read_text())
    info.update(patch)
    (bad / "meta/info.json").write_text(json.dumps(info))
    hub.add_dataset("someone/bad", bad)
    before = outside_cache(tmp_path)
    msg = stream_failure(hub, tmp_path, "someone/bad")
    assert words in msg or "not plausible" in msg or "invalid" in msg, msg
    assert outside_cache(tmp_path) == before


def test_stream_command_reports_a_corrupt_video_without_a_traceback(hub, tmp_path):  # noqa: F811
    hub.fault(REPO, WRIST).corrupt = {i: 0 for i in range(0, 400)}
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(hub.client_env(tmp_path / "hf_home"), TELEOP_STUDIO_CACHE_DIR=str(tmp_path / "cache"))
    r = subprocess.run([sys.executable, "-m", "app", "stream", REPO, "--limit", "200"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    assert "Traceback" not in r.stderr and r.stderr.strip(), r.stderr
