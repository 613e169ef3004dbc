"""The reader against datasets written by lerobot 0.6.1 itself, and our files against theirs."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from app.dataset.features import make_features
from app.dataset.reader import DatasetReader
from app.dataset.stats import KEYS, numeric_stats
from app.dataset.validate import validate
from app.dataset.writer import DatasetWriter, Episode
from tests.dataset_helpers import JOINTS, fixture_frame, joints

NAMES = ["lerobot_so101_3ep", "lerobot_state_only_2ep"]


@pytest.mark.parametrize("name", NAMES)
def test_reader_matches_expected(fixtures_dir, name):
    exp = json.loads((fixtures_dir / f"{name}.expected.json").read_text())
    r = DatasetReader(fixtures_dir / name)
    assert r.info["total_episodes"] == exp["total_episodes"] == len(r.episodes)
    assert r.info["total_frames"] == exp["total_frames"]
    assert r.fps == exp["fps"]
    for key, ft in exp["features"].items():
        assert {k: r.features[key][k] for k in ("dtype", "shape", "names")} == ft
    assert list(r.features) == list(exp["features"])
    for e in exp["episodes"]:
        ep = r.episodes[e["episode_index"]]
        assert (ep.index, ep.length, ep.tasks) == (e["episode_index"], e["length"], e["tasks"])
        assert (ep.from_index, ep.to_index, ep.data_file) == (e["dataset_from_index"], e["dataset_to_index"], e["data_file"])
        assert {k: (v.path, v.from_ts, v.to_ts) for k, v in ep.videos.items()} == \
            {k: (v["path"], v["from_timestamp"], v["to_timestamp"]) for k, v in e["video_files"].items()}
        rows = r.read_episode(ep.index)
        state = np.stack(rows.column("observation.state").to_numpy(zero_copy_only=False))
        for fi, values in e["state"].items():
            assert np.array_equal(state[int(fi)], np.asarray(values, dtype=np.float32))
        assert rows.column("index").to_pylist() == list(range(ep.from_index, ep.to_index))
    for key, v in exp.get("video", {}).items():
        vi = r.features[key]["info"]
        assert (vi["video.codec"], vi["video.pix_fmt"]) == (v["codec"], v["pix_fmt"])
        for fi, want in ((0, v["episode1_frame0_channel_mean_0to1"]), (10, v["episode1_frame10_channel_mean_0to1"])):
            got = r.frame(1, key, fi).reshape(-1, 3).mean(axis=0) / 255.0
            assert np.allclose(got, want, atol=0.01), (key, fi, got, want)
    r.close()


def test_sequential_frames_match_seek_and_frame_index(fixtures_dir):
    r = DatasetReader(fixtures_dir / "lerobot_so101_3ep")
    key = "observation.images.front"
    seq = list(r.iter_frames(2, key, 5, 12))
    assert len(seq) == 7
    for n, img in enumerate(seq, start=5):
        assert np.array_equal(img, r.frame(2, key, n))
        # the fixture's white bar encodes the frame index (README)
        lit = int((img[237].mean(axis=1) > 128).sum())
        assert round((lit - 1) / 3.2) == n


@pytest.mark.parametrize("name", NAMES)
def test_validator_passes_fixtures(fixtures_dir, name):
    rep = validate(fixtures_dir / name)
    assert rep.ok, rep.lines()


def test_numeric_stats_bit_exact_with_lerobot(fixtures_dir):
    root = fixtures_dir / "lerobot_so101_3ep"
    data = pq.read_table(root / "data/chunk-000/file-000.parquet")
    eps = pq.read_table(root / "meta/episodes/chunk-000/file-000.parquet").to_pylist()
    for g, ep in enumerate(eps):
        rows = pq.ParquetFile(root / "data/chunk-000/file-000.parquet").read_row_group(g)
        state = np.stack(rows.column("observation.state").to_numpy(zero_copy_only=False)).astype(np.float32)
        ts = np.asarray(rows.column("frame_index")) / 30
        for feat, values in (("observation.state", state), ("timestamp", ts), ("index", np.asarray(rows.column("index")))):
            got = numeric_stats(values)
            for k in KEYS:
                assert np.array_equal(np.asarray(ep[f"stats/{feat}/{k}"]), got[k]), (feat, k)
    assert data.num_rows == 180


def _write_like_fixture(root, with_video=True):
    cams = {"front": (240, 320), "wrist": (240, 320)} if with_video else {}
    feats = make_features(JOINTS, cams)
    feats = {"observation.state": feats["observation.state"], "action": feats["action"],
             **{k: v for k, v in feats.items() if k.startswith("observation.images.")}}
    w = DatasetWriter.create(root, "me/like_fixture", 30, feats)
    tasks = ["pick the red cube", "place the cube in the bowl", "pick the red cube"]
    for ep, length in enumerate([12, 9]):
        action, state = joints(ep, length)
        videos = {f"observation.images.{c}": [fixture_frame(ep, i, n) for i in range(length)]
                  for n, c in enumerate(cams)}
        w.add_episode(Episode(tasks[ep], {"observation.state": state, "action": action}, videos))
    w.close()
    return root


@pytest.mark.parametrize("name,with_video", [("lerobot_so101_3ep", True), ("lerobot_state_only_2ep", False)])
def test_written_structure_matches_fixture(fixtures_dir, tmp_path, name, with_video):
    ours = _write_like_fixture(tmp_path / "ds", with_video)
    ref = fixtures_dir / name
    for rel in ("data/chunk-000/file-000.parquet", "meta/episodes/chunk-000/file-000.parquet", "meta/tasks.parquet"):
        a, b = pq.read_schema(ours / rel), pq.read_schema(ref / rel)
        assert a.names == b.names, rel
        assert [f.type for f in a] == [f.type for f in b], rel
    hf = lambda p: json.loads(pq.read_schema(p).metadata[b"huggingface"])["info"]  # noqa: E731
    assert hf(ours / "data/chunk-000/file-000.parquet") == hf(ref / "data/chunk-000/file-000.parquet")
    assert pq.read_schema(ours / "meta/episodes/chunk-000/file-000.parquet").metadata is None
    pandas = lambda p: json.loads(pq.read_schema(p).metadata[b"pandas"])  # noqa: E731
    pa_, pb = pandas(ours / "meta/tasks.parquet"), pandas(ref / "meta/tasks.parquet")
    assert {k: v for k, v in pa_.items() if k != "creator"} == {k: v for k, v in pb.items() if k != "creator"}
    ia, ib = json.loads((ours / "meta/info.json").read_text()), json.loads((ref / "meta/info.json").read_text())
    assert list(ia) == list(ib)
    assert list(ia["features"]) == list(ib["features"])
    for k, ft in ib["features"].items():
        assert ia["features"][k].keys() == ft.keys()
        if "info" in ft:
            assert ia["features"][k]["info"] == ft["info"]
    sa, sb = json.loads((ours / "meta/stats.json").read_text()), json.loads((ref / "meta/stats.json").read_text())
    assert sa.keys() == sb.keys()
    for feat in sb:
        assert sa[feat].keys() == sb[feat].keys()
        for k in sb[feat]:
            assert np.asarray(sa[feat][k]).shape == np.asarray(sb[feat][k]).shape, (feat, k)
    assert validate(ours).ok


def test_image_stats_close_to_lerobot(fixtures_dir, tmp_path):
    """Same frames as the fixture's episode 0 -> same min/max/mean/quantiles (std differs: lerobot's
    uint8 overflow, see app/dataset/stats.py)."""
    from app.dataset.stats import ImageStatsSampler

    ref = pq.read_table(fixtures_dir / "lerobot_so101_3ep/meta/episodes/chunk-000/file-000.parquet").to_pylist()[0]
    s = ImageStatsSampler(60)
    for i in range(60):
        s.add(fixture_frame(0, i, 0))
    got = s.result()
    assert got["count"].tolist() == ref["stats/observation.images.front/count"]
    for k in ("min", "max", "mean", "q01", "q10", "q50", "q90", "q99"):
        assert np.allclose(got[k], np.asarray(ref[f"stats/observation.images.front/{k}"]), atol=2e-3), k


def test_reader_works_over_any_fsspec_filesystem(fixtures_dir):
    """Everything goes through fs.open/glob: an in-memory filesystem holding the fixture reads the same."""
    import fsspec

    fs = fsspec.filesystem("memory")
    src = fixtures_dir / "lerobot_so101_3ep"
    for p in src.rglob("*"):
        if p.is_file():
            fs.pipe(f"/mem_ds/{p.relative_to(src).as_posix()}", p.read_bytes())
    r = DatasetReader("/mem_ds", fs=fs)
    local = DatasetReader(src)
    assert [e.index for e in r.episodes] == [0, 1, 2] and r.tasks == local.tasks
    assert r.read_episode(2).equals(local.read_episode(2))
    assert np.array_equal(r.frame(1, "observation.images.wrist", 10), local.frame(1, "observation.images.wrist", 10))
    assert validate("/mem_ds", fs=fs).ok
