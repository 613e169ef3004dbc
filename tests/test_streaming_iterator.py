"""StreamingDataset on local datasets: equal to direct reads, delta_timestamps windows and padding,
episodes subset, video file rollover, clear errors, and the stream CLI."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.cli import main as cli_main
from app.dataset.errors import DatasetError
from app.dataset.features import make_features
from app.dataset.reader import DatasetReader
from app.dataset.writer import DatasetWriter, Episode
from app.streaming.iterator import StreamingDataset
from tests.dataset_helpers import JOINTS, frames, joints

CAMS = ("observation.images.front", "observation.images.wrist")
ROLL_LENGTHS = [12, 9, 15, 10, 11]


def make_rollover(root) -> None:
    """Two tiny cameras whose mp4s roll over every one or two episodes (7.7 KB limit), data files too."""
    w = DatasetWriter.create(root, "tests/rollover", 30, make_features(JOINTS, {"front": (48, 64), "wrist": (48, 64)}),
                             data_files_size_in_mb=0.004, video_files_size_in_mb=0.0075, chunks_size=2)
    for ep, n in enumerate(ROLL_LENGTHS):
        action, state = joints(ep, n)
        w.add_episode(Episode(["pick", "place"][ep % 2], {"action": action, "observation.state": state},
                              {CAMS[0]: frames(ep, n, 0), CAMS[1]: frames(ep, n, 1)}))
    w.close()


@pytest.fixture(scope="session")
def rollover_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("stream") / "rollover"
    make_rollover(root)
    return root


def assert_equals_direct_reads(items: list[dict], reader: DatasetReader, episodes: list[int]) -> None:
    """Every streamed frame equals the reader's rows and its seek-decoded pixels."""
    expect = [(e, i) for e in episodes for i in range(reader.episodes[e].length)]
    assert [(int(x["episode_index"]), int(x["frame_index"])) for x in items] == expect
    rows = {e: reader.read_episode(e).to_pydict() for e in episodes}
    for x in items:
        e, i = int(x["episode_index"]), int(x["frame_index"])
        for col, values in rows[e].items():
            assert np.array_equal(np.asarray(x[col]), np.asarray(values[i], dtype=x[col].dtype)), (col, e, i)
        assert x["task"] == reader.tasks[rows[e]["task_index"][i]]
        for cam in reader.video_keys:
            assert x[cam].shape == tuple(reader.features[cam]["shape"]) and x[cam].dtype == np.uint8
            assert np.array_equal(x[cam], reader.frame(e, cam, i)), (cam, e, i)


@pytest.mark.parametrize("name", ["lerobot_so101_3ep", "lerobot_state_only_2ep"])
def test_sequential_stream_equals_direct_reads_for_every_fixture_frame(fixtures_dir, name):
    reader = DatasetReader(fixtures_dir / name)
    ds = StreamingDataset(fixtures_dir / name)
    items = list(ds)
    assert len(items) == len(ds) == reader.info["total_frames"]
    assert_equals_direct_reads(items, reader, list(range(len(reader.episodes))))
    if reader.video_keys:   # one seek per camera file: the rest decoded forward across episodes
        assert ds.last_videos.seeks == len(reader.video_keys) and ds.last_videos.opened == 2


def test_rollover_dataset_streams_sequentially_and_shuffled(rollover_root):
    reader = DatasetReader(rollover_root)
    files = [(c, e.videos[c].path) for e in reader.episodes for c in CAMS]
    assert len({f for f in files if f[0] == CAMS[0]}) >= 3          # the camera rolled over several times
    assert len(set(files)) < len(files)                             # and some files hold two episodes
    assert len(reader.glob("data/*/*.parquet")) >= 2
    ds = StreamingDataset(rollover_root, prefetch=0)
    items = list(ds)
    assert_equals_direct_reads(items, reader, list(range(len(ROLL_LENGTHS))))
    assert ds.last_videos.seeks == len(set(files))                  # one seek per file, then forward
    src = {ep: frames(ep, n, 0) for ep, n in enumerate(ROLL_LENGTHS)}
    for x in items[::5]:   # and the pixels are the recorded ones (lossy, so close)
        diff = np.abs(x[CAMS[0]].astype(int) - src[int(x["episode_index"])][int(x["frame_index"])]).mean()
        assert diff < 12
    shuffled = list(StreamingDataset(rollover_root, shuffle=True, buffer_size=7, seed=3))
    assert sorted(int(x["index"]) for x in shuffled) == list(range(sum(ROLL_LENGTHS)))
    by_index = {int(x["index"]): x for x in items}
    for x in shuffled:
        ref = by_index[int(x["index"])]
        assert all(np.array_equal(x[c], ref[c]) for c in CAMS)


def test_episodes_subset_is_honoured_in_the_given_order(fixtures_dir):
    root = fixtures_dir / "lerobot_so101_3ep"
    ds = StreamingDataset(root, episodes=[2, 0])
    items = list(ds)
    assert len(items) == len(ds) == 75 + 60
    assert_equals_direct_reads(items, DatasetReader(root), [2, 0])
    shuffled = list(StreamingDataset(root, episodes=[2], shuffle=True, buffer_size=20, video=False))
    assert sorted(int(x["frame_index"]) for x in shuffled) == list(range(75))
    assert {int(x["episode_index"]) for x in shuffled} == {2}
    assert CAMS[0] not in shuffled[0]


def _expected_window(values: np.ndarray, i: int, offsets) -> tuple[np.ndarray, np.ndarray]:
    idx = np.array([i + k for k in offsets])
    pad = (idx < 0) | (idx >= len(values))
    return values[np.clip(idx, 0, len(values) - 1)], pad


def test_delta_timestamps_values_and_padding_at_episode_edges(fixtures_dir):
    root = fixtures_dir / "lerobot_state_only_2ep"
    deltas = {"action": [-0.5, -1 / 30, 0, 1 / 30, 0.2], "observation.state": [-2 / 30, 0],
              "timestamp": [0, 1.0]}
    reader = DatasetReader(root)
    items = list(StreamingDataset(root, delta_timestamps=deltas))
    assert len(items) == 70
    offsets = {k: [round(d * 30) for d in v] for k, v in deltas.items()}
    assert offsets["action"] == [-15, -1, 0, 1, 6]
    pads_seen = 0
    for x in items:
        e, i = int(x["episode_index"]), int(x["frame_index"])
        t = reader.read_episode(e)
        for key, offs in offsets.items():
            col = t.column(key).to_pylist()
            values = np.asarray(col, dtype=np.float32)
            want, pad = _expected_window(values, i, offs)
            assert x[key].shape == want.shape and np.array_equal(x[key], want), (key, e, i)
            assert x[f"{key}_is_pad"].dtype == bool and x[f"{key}_is_pad"].tolist() == pad.tolist(), (key, e, i)
            pads_seen += int(pad.sum())
        assert int(x["frame_index"]) == i and "frame_index_is_pad" not in x   # other keys untouched
    first, last = items[0], items[29]   # episode 0 is 30 frames long
    assert first["action_is_pad"].tolist() == [True, True, False, False, False]
    assert last["action_is_pad"].tolist() == [False, False, False, True, True]
    assert np.array_equal(last["action"][3], last["action"][2])       # padded with the edge frame
    assert items[30]["observation.state_is_pad"].tolist() == [True, False]   # episode 1 starts afresh
    assert np.array_equal(items[30]["observation.state"][0], items[30]["observation.state"][1])
    assert pads_seen > 0


def test_delta_timestamps_on_a_camera_with_shuffle(fixtures_dir):
    root = fixtures_dir / "lerobot_so101_3ep"
    reader = DatasetReader(root)
    items = list(StreamingDataset(root, episodes=[1], shuffle=True, buffer_size=10,
                                  delta_timestamps={CAMS[1]: [-2 / 30, 0, 1 / 30]}))
    assert len(items) == 45
    for x in items:
        i = int(x["frame_index"])
        assert x[CAMS[1]].shape == (3, 240, 320, 3)
        idx = np.array([i - 2, i, i + 1])
        assert x[f"{CAMS[1]}_is_pad"].tolist() == ((idx < 0) | (idx > 44)).tolist()
        for j, k in enumerate(np.clip(idx, 0, 44)):
            assert np.array_equal(x[CAMS[1]][j], reader.frame(1, CAMS[1], int(k))), (i, j)
        assert x[CAMS[0]].shape == (240, 320, 3)


@pytest.mark.parametrize("kw, message", [
    ({"delta_timestamps": {"action": [0.01]}}, "multiple of 1/fps"),
    ({"delta_timestamps": {"nope": [0]}}, "not a feature"),
    ({"delta_timestamps": {"action": []}}, "is empty"),
    ({"delta_timestamps": {CAMS[0]: [0]}, "video": False}, "video decoding is off"),
    ({"episodes": [0, 5]}, "do not exist"),
    ({"episodes": [1, 1]}, "more than once"),
    ({"buffer_size": 0}, "buffer_size"),
])
def test_bad_arguments_give_clear_errors(fixtures_dir, kw, message):
    with pytest.raises(DatasetError, match=message):
        StreamingDataset(fixtures_dir / "lerobot_so101_3ep", **kw)


def test_bad_sources_and_broken_videos(tmp_path, rollover_root):
    with pytest.raises(DatasetError, match="neither a dataset folder"):
        StreamingDataset(str(tmp_path / "missing"))
    with pytest.raises(DatasetError, match="no meta/info.json"):
        StreamingDataset(tmp_path)
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(rollover_root, broken)
    reader = DatasetReader(broken)
    victim = broken / reader.episodes[3].videos[CAMS[1]].path
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 3])   # truncated upload
    got = []
    with pytest.raises(DatasetError, match="episode 3|cannot open video"):
        for x in StreamingDataset(broken):
            got.append(int(x["index"]))
    assert got == list(range(len(got))) and len(got) >= sum(ROLL_LENGTHS[:3])   # earlier frames arrived


def test_stopping_early_ends_the_prefetch_thread(fixtures_dir):
    before = {t.ident for t in threading.enumerate()}
    ds = StreamingDataset(fixtures_dir / "lerobot_so101_3ep", prefetch=4)
    it = iter(ds)
    first = [next(it) for _ in range(5)]
    assert [int(x["index"]) for x in first] == [0, 1, 2, 3, 4]
    it.close()
    assert not [t for t in threading.enumerate() if t.ident not in before and t.name == "stream-prefetch"]


def test_stream_cli_local(fixtures_dir, capsys):
    root = fixtures_dir / "lerobot_so101_3ep"
    assert cli_main(["stream", str(root), "--shuffle", "--buffer-size", "50", "--seed", "7",
                     "--episodes", "0,2", "--limit", "100"]) == 0
    out = capsys.readouterr().out
    assert "2 episodes, 100 frames" in out and "shuffled (buffer 50, seed 7)" in out
    assert "streamed 100 frames from 2 episodes" in out and "frames/s" in out
    assert cli_main(["stream", str(root), "--no-video"]) == 0
    assert "streamed 180 frames from 3 episodes" in capsys.readouterr().out
    assert cli_main(["stream", str(root), "--episodes", "9"]) == 2
    err = capsys.readouterr().err
    assert "error: episodes [9] do not exist" in err and "Traceback" not in err


def test_torch_adapter_is_optional():
    """The core install is torch-free: the public API imports, and its dataset yields numpy items."""
    import teleop_studio.streaming as ts
    from app.streaming import torch_available

    if torch_available():    # tests/torch covers this case, in .venv-torch
        from app.streaming.torch_adapter import StreamingLeRobotDataset
        assert ts.StreamingLeRobotDataset is StreamingLeRobotDataset
        return
    from app.streaming.lerobot_stream import LeRobotStream
    assert ts.StreamingLeRobotDataset is LeRobotStream
    with pytest.raises(ImportError, match="pip install 'teleop-studio\\[torch\\]'"):
        import app.streaming.torch_adapter  # noqa: F401
    import app.streaming.iterator as it
    assert "torch" not in it.__dict__                      # the numpy iterator never needs it
