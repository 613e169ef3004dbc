"""Writer -> reader round trips: exact numbers, bounded video error, rollover, append, hostile metadata."""

from __future__ import annotations

import json
import threading

import numpy as np
import pyarrow.parquet as pq
import pytest

from app.dataset.errors import DatasetError
from app.dataset.features import make_features
from app.dataset.reader import DatasetReader
from app.dataset.validate import validate
from app.dataset.verify import verify_segment
from app.dataset.video import VideoSettings, encode_segment
from app.dataset.writer import DatasetWriter, Episode
from tests.dataset_helpers import JOINTS, H, W, frames, joints

MAE_BOUND = 10.0  # per-frame mean absolute pixel error (0..255) at crf 30, yuv420p, on the sharp test pattern
CAMS = {"front": (H, W), "wrist": (H, W)}


def _episode(ep, length, task="pick", cams=CAMS):
    action, state = joints(ep, length)
    vids = {f"observation.images.{c}": frames(ep, length, n) for n, c in enumerate(cams)}
    return Episode(task, {"action": action, "observation.state": state}, vids)


def _mae(a, b):
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.mark.parametrize("codec", ["libsvtav1", "libx264", "hevc"])
def test_round_trip_exact_rows_and_bounded_pixels(tmp_path, codec):
    w = DatasetWriter.create(tmp_path / "ds", "me/rt", 30, make_features(JOINTS, CAMS), video=VideoSettings(codec=codec))
    lengths = [12, 7, 10]
    for ep, n in enumerate(lengths):
        assert w.add_episode(_episode(ep, n, ["pick", "place"][ep % 2])) == ep
    w.close()
    r = DatasetReader(tmp_path / "ds")
    assert [e.length for e in r.episodes] == lengths and r.tasks == ["pick", "place"]
    start = 0
    for ep, n in enumerate(lengths):
        rows = r.read_episode(ep)
        action, state = joints(ep, n)
        assert np.array_equal(np.stack(rows.column("action").to_numpy(zero_copy_only=False)), action)
        assert np.array_equal(np.stack(rows.column("observation.state").to_numpy(zero_copy_only=False)), state)
        assert np.array_equal(rows.column("timestamp").to_numpy(), (np.arange(n) / 30).astype(np.float32))
        assert rows.column("index").to_pylist() == list(range(start, start + n))
        assert rows.column("frame_index").to_pylist() == list(range(n))
        assert set(rows.column("episode_index").to_pylist()) == {ep}
        start += n
        for c, key in enumerate(r.video_keys):
            src = frames(ep, n, c)
            seq = list(r.iter_frames(ep, key))
            assert len(seq) == n
            maes = [_mae(a, b) for a, b in zip(seq, src)]
            assert max(maes) < MAE_BOUND
            assert _mae(r.frame(ep, key, n - 1), src[n - 1]) < MAE_BOUND
    codec_name = {"libsvtav1": "av1", "libx264": "h264", "hevc": "hevc"}[codec]
    assert r.features["observation.images.front"]["info"]["video.codec"] == codec_name
    r.close()
    assert validate(tmp_path / "ds").ok


def test_row_groups_one_per_episode_and_rollover(tmp_path):
    w = DatasetWriter.create(tmp_path / "ds", "me/roll", 30, make_features(JOINTS, {"front": (H, W)}),
                             data_files_size_in_mb=0.004, video_files_size_in_mb=0.004, chunks_size=2)
    for ep in range(4):
        w.add_episode(_episode(ep, 8, cams={"front": (H, W)}))
    w.close()
    r = DatasetReader(tmp_path / "ds")
    files = r.glob("data/*/*.parquet")
    assert len(files) >= 2 and "data/chunk-001/file-000.parquet" in files
    assert len(r.glob("videos/observation.images.front/*/*.mp4")) >= 2
    prev = None
    for ep in r.episodes:
        ref = ep.videos["observation.images.front"]
        assert ref.from_ts == (0.0 if ref.path != prev else pytest.approx(8 / 30 * (ref.from_ts * 30 // 8)))
        prev = ref.path
        assert r.read_episode(ep.index).num_rows == 8
    assert pq.ParquetFile(tmp_path / "ds" / files[0]).metadata.num_row_groups >= 1
    rep = validate(tmp_path / "ds")
    assert rep.ok, rep.lines()


def test_open_appends_and_source_ids_are_idempotent(tmp_path):
    root = tmp_path / "ds"
    w = DatasetWriter.create(root, "me/append", 30, make_features(JOINTS, {"front": (H, W)}))
    assert w.add_episode(_episode(0, 6, cams={"front": (H, W)}), source_id="take-a") == 0
    w.close()
    w = DatasetWriter.open(root)
    assert w.committed_sources() == {"take-a"}
    assert w.add_episode(_episode(0, 6, cams={"front": (H, W)}), source_id="take-a") == 0  # replay: no-op
    seg = encode_segment(frames(1, 9), tmp_path / "seg.mp4", 30, VideoSettings())
    assert verify_segment(seg.path, 9, 30).frames == 9
    action, state = joints(1, 9)
    ep = Episode("place", {"action": action, "observation.state": state}, {"observation.images.front": seg.path})
    assert w.add_episode(ep, source_id="take-b") == 1
    w.close()
    r = DatasetReader(root)
    assert len(r.episodes) == 2 and r.episodes[1].videos["observation.images.front"].from_ts == pytest.approx(0.2)
    assert pq.ParquetFile(root / "data/chunk-000/file-000.parquet").metadata.num_row_groups == 2
    assert validate(root).ok


def test_appending_to_a_lerobot_dataset(fixtures_dir, tmp_path):
    import shutil

    root = tmp_path / "ds"
    shutil.copytree(fixtures_dir / "lerobot_so101_3ep", root)
    for p in root.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    root.chmod(0o755)
    w = DatasetWriter.open(root)
    from tests.dataset_helpers import fixture_frame
    action, state = joints(3, 10)
    vids = {f"observation.images.{c}": [fixture_frame(3, i, n) for i in range(10)] for n, c in enumerate(["front", "wrist"])}
    assert w.add_episode(Episode("pick the red cube", {"action": action, "observation.state": state}, vids)) == 3
    w.close()
    rep = validate(root)
    assert rep.ok, rep.lines()
    r = DatasetReader(root)
    assert r.episodes[3].videos["observation.images.front"].from_ts == 6.0 and r.info["total_tasks"] == 2


def test_concurrent_add_episode_is_serialised(tmp_path):
    w = DatasetWriter.create(tmp_path / "ds", "me/threads", 30, make_features(JOINTS, {}))
    errors = []

    def add(i):
        try:
            action, state = joints(i, 5 + i)
            w.add_episode(Episode(f"t{i % 2}", {"action": action, "observation.state": state}), source_id=f"s{i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    w.close()
    assert not errors
    rep = validate(tmp_path / "ds")
    assert rep.ok, rep.lines()
    assert DatasetReader(tmp_path / "ds").info["total_frames"] == sum(5 + i for i in range(6))


def test_bad_input_is_refused_clearly(tmp_path):
    w = DatasetWriter.create(tmp_path / "ds", "me/bad", 30, make_features(JOINTS, {"front": (H, W)}))
    action, state = joints(0, 5)
    with pytest.raises(DatasetError, match="different lengths"):
        w.add_episode(Episode("x", {"action": action, "observation.state": state[:4]}, {"observation.images.front": frames(0, 5)}))
    with pytest.raises(DatasetError, match="frames for 5 data rows"):
        w.add_episode(Episode("x", {"action": action, "observation.state": state}, {"observation.images.front": frames(0, 4)}))
    with pytest.raises(DatasetError, match="expects"):
        w.add_episode(Episode("x", {"action": action, "observation.state": state},
                              {"observation.images.front": frames(0, 5, h=32, w=32)}))
    w.close()
    with pytest.raises(DatasetError, match="already holds"):
        DatasetWriter.create(tmp_path / "ds", "me/bad", 30, make_features(JOINTS, {}))
    assert validate(tmp_path / "ds").ok  # nothing half-written


@pytest.mark.parametrize("patch,match", [
    ({"data_path": "../../etc/{chunk_index}{file_index}.parquet"}, "escapes"),
    ({"data_path": "/abs/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"}, "absolute"),
    ({"video_path": "videos/{video_key}/{chunk_index}/{file_index}/{evil}.mp4"}, "unknown placeholders"),
    ({"total_episodes": 10**12}, "not plausible"),
    ({"features.observation.images.front.shape": [10**6, 10**6, 3]}, "shape"),
    ({"features.action.shape": [-1]}, "invalid shape"),
    ({"codebase_version": "v2.1"}, "v3.0"),
])
def test_hostile_metadata_rejected(tmp_path, patch, match):
    w = DatasetWriter.create(tmp_path / "ds", "me/h", 30, make_features(JOINTS, {"front": (H, W)}))
    w.add_episode(_episode(0, 4, cams={"front": (H, W)}))
    w.close()
    info_path = tmp_path / "ds/meta/info.json"
    info = json.loads(info_path.read_text())
    for key, value in patch.items():
        if key.startswith("features."):
            name, field = key[len("features."):].rsplit(".", 1)
            info["features"][name][field] = value
        else:
            info[key] = value
    info_path.write_text(json.dumps(info))
    with pytest.raises(DatasetError, match=match):
        DatasetReader(tmp_path / "ds")
    rep = validate(tmp_path / "ds")
    assert not rep.ok and not rep.readable
