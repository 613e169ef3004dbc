"""The Hub stand-in checked against huggingface_hub itself (run in a subprocess aimed at it)."""

from __future__ import annotations

import hashlib
import http.client
import time
import urllib.request

import pytest

from tests.hub_fixtures import FIXTURE_REPOS, TOKEN, hub, run_hub_client  # noqa: F401

CLIENT = r'''
import json, hashlib
from huggingface_hub import HfApi, HfFileSystem, hf_hub_download, list_repo_refs
from huggingface_hub.errors import (RepositoryNotFoundError, RevisionNotFoundError,
                                    EntryNotFoundError, GatedRepoError)
api, out = HfApi(), {}
info = api.dataset_info("fixtures/so101_3ep", revision="v3.0", files_metadata=True)
out["sha"] = info.sha
out["tags"] = info.tags
out["siblings"] = {s.rfilename: [s.size, s.lfs.sha256 if s.lfs else None] for s in info.siblings}
out["tree"] = sorted(f.path for f in api.list_repo_tree("fixtures/so101_3ep", path_in_repo="meta",
                     recursive=True, repo_type="dataset", revision="v3.0"))
out["refs"] = [t.name for t in list_repo_refs("fixtures/so101_3ep", repo_type="dataset").tags]
p = hf_hub_download("fixtures/so101_3ep", "meta/info.json", repo_type="dataset", revision="v3.0")
out["download_sha256"] = hashlib.sha256(open(p, "rb").read()).hexdigest()
fs = HfFileSystem()
with fs.open("datasets/fixtures/so101_3ep@v3.0/videos/observation.images.front/chunk-000/file-000.mp4",
             "rb", block_size=4096) as f:
    f.seek(10000); a = f.read(300); f.seek(20); b = f.read(50)
out["ranges"] = [a.hex(), b.hex()]
out["ls"] = sorted(fs.ls("datasets/fixtures/so101_3ep@v3.0/meta", detail=False))
out["listing"] = [d.id for d in api.list_datasets(search="so101")]
out["by_author"] = sorted(d.id for d in api.list_datasets(author="fixtures"))
errors = {}
def expect(name, fn):
    try:
        fn(); errors[name] = "no error"
    except Exception as e:
        errors[name] = type(e).__name__
expect("repo", lambda: api.dataset_info("nobody/nothing"))
expect("revision", lambda: api.dataset_info("fixtures/so101_3ep", revision="v9.9"))
expect("entry", lambda: hf_hub_download("fixtures/so101_3ep", "nope.json", repo_type="dataset"))
expect("fs_missing_repo", lambda: fs.open("datasets/nobody/nothing@v3.0/meta/info.json").read())
expect("fs_missing_file", lambda: fs.open("datasets/fixtures/so101_3ep@v3.0/nope.json").read())
expect("gated_anon", lambda: hf_hub_download("fixtures/gated", "meta/info.json", repo_type="dataset", token=False))
expect("gated_wrong", lambda: hf_hub_download("fixtures/gated", "meta/info.json", repo_type="dataset",
                                              token="hf_wrongwrongwrongwrongwrong"))
expect("gated_ok", lambda: hf_hub_download("fixtures/gated", "meta/info.json", repo_type="dataset",
                                           token="%s"))
out["errors"] = errors
print(json.dumps(out))
''' % TOKEN


def test_huggingface_hub_reads_the_stand_in(hub, fixtures_dir, tmp_path):  # noqa: F811
    hub.add_dataset("fixtures/gated", fixtures_dir / "lerobot_state_only_2ep", gated=True)
    out = run_hub_client(hub, CLIENT, tmp_path / "hf_home")
    root = fixtures_dir / "lerobot_so101_3ep"
    mp4 = (root / "videos/observation.images.front/chunk-000/file-000.mp4").read_bytes()
    assert out["sha"] == hub.repos["fixtures/so101_3ep"].sha
    assert "LeRobot" in out["tags"]
    assert out["siblings"]["data/chunk-000/file-000.parquet"] == [
        20505, hashlib.sha256((root / "data/chunk-000/file-000.parquet").read_bytes()).hexdigest()]
    assert out["siblings"]["meta/info.json"][1] is None          # small text files are not LFS
    assert "meta/episodes/chunk-000/file-000.parquet" in out["tree"] and "meta/episodes" in out["tree"]
    assert out["refs"] == ["v3.0"]
    assert out["download_sha256"] == hashlib.sha256((root / "meta/info.json").read_bytes()).hexdigest()
    assert out["ranges"] == [mp4[10000:10300].hex(), mp4[20:70].hex()]
    assert "datasets/fixtures/so101_3ep@v3.0/meta/info.json" in out["ls"]
    assert out["listing"] == ["fixtures/so101_3ep"]
    assert out["by_author"] == ["fixtures/gated", "fixtures/so101_3ep", "fixtures/state_only_2ep"]
    assert out["errors"] == {
        "repo": "RepositoryNotFoundError", "revision": "RevisionNotFoundError",
        "entry": "RemoteEntryNotFoundError",
        "fs_missing_repo": "FileNotFoundError", "fs_missing_file": "FileNotFoundError",
        "gated_anon": "GatedRepoError", "gated_wrong": "GatedRepoError", "gated_ok": "no error"}
    ranged = [r for r in hub.log if r.range and r.path.endswith("file-000.mp4")]
    assert ranged and all(r.status == 206 for r in ranged)
    assert sum(r.bytes for r in ranged) < len(mp4) // 3   # random access, not whole-file reads


def _get(hub, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", hub.server_address[1], timeout=5)
    conn.request("GET", path, headers=headers or {})
    resp = conn.getresponse()
    return resp.status, dict(resp.getheaders()), resp.read()


URL = "/datasets/fixtures/so101_3ep/resolve/v3.0/data/chunk-000/file-000.parquet"


def test_range_forms_and_errors(hub, fixtures_dir):  # noqa: F811
    data = (fixtures_dir / "lerobot_so101_3ep/data/chunk-000/file-000.parquet").read_bytes()
    status, headers, body = _get(hub, URL, {"Range": "bytes=-8"})
    assert (status, body, headers["Content-Range"]) == (206, data[-8:], f"bytes {len(data) - 8}-{len(data) - 1}/{len(data)}")
    status, headers, body = _get(hub, URL, {"Range": "bytes=100-"})
    assert (status, body) == (206, data[100:])
    status, headers, body = _get(hub, URL, {"Range": "bytes=100-99999999"})
    assert (status, body) == (206, data[100:])
    status, headers, _ = _get(hub, URL, {"Range": f"bytes={len(data)}-"})
    assert status == 416 and headers["Content-Range"] == f"bytes */{len(data)}"
    status, headers, body = _get(hub, URL)
    assert status == 200 and body == data and headers["Accept-Ranges"] == "bytes"
    assert headers["X-Repo-Commit"] == hub.repos["fixtures/so101_3ep"].sha
    assert _get(hub, "/datasets/fixtures/so101_3ep/resolve/nope/meta/info.json")[1]["X-Error-Code"] == "RevisionNotFound"
    assert _get(hub, "/api/datasets/fixtures")[1]["X-Error-Code"] == "RepoNotFound"
    assert [(r.method, r.range, r.status) for r in hub.log[:2]] == [("GET", "bytes=-8", 206), ("GET", "bytes=100-", 206)]
    assert hub.log[0].bytes == 8


def test_faults_and_latency(hub, fixtures_dir):  # noqa: F811
    data = (fixtures_dir / "lerobot_so101_3ep/data/chunk-000/file-000.parquet").read_bytes()
    path = "data/chunk-000/file-000.parquet"
    hub.fault("fixtures/so101_3ep", path).truncate = 1000
    status, headers, body = _get(hub, URL)
    assert body == data[:1000] and headers["Content-Length"] == "1000"
    fault = hub.fault("fixtures/so101_3ep", path)
    fault.truncate, fault.corrupt = None, {5: data[5] ^ 0xFF}
    body = _get(hub, URL, {"Range": "bytes=0-9"})[2]
    assert body[:5] == data[:5] and body[5] == data[5] ^ 0xFF and body[6:] == data[6:10]
    fault.corrupt, fault.drop_after = {}, 100
    with pytest.raises(http.client.IncompleteRead):
        _get(hub, URL)
    hub.latency = 0.2
    t0 = time.monotonic()
    urllib.request.urlopen(hub.endpoint + "/api/datasets/fixtures/so101_3ep").read()
    assert time.monotonic() - t0 >= 0.2
