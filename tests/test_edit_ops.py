"""Edits by stream copy on lerobot-made fixtures and studio-written datasets: valid outputs, every
frame loads, kept packets byte-identical, indexes and tasks renumbered, stats exact."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from app.cli import main
from app.dataset.reader import DatasetReader
from app.edit import delete, merge, remove_feature, split, tasks
from app.edit.build import build
from app.edit.plan import EditError
from app.edit.source import episode_stats, open_source
from app.edit.stats import aggregate_feature
from tests.edit_helpers import check_output, write_studio

SO101 = "lerobot_so101_3ep"


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    root = tmp_path_factory.mktemp("studio") / "ds"
    write_studio(root)
    return root


def test_delete_on_lerobot_fixture_copies_packets_and_renumbers(fixtures_dir, tmp_path):
    src = fixtures_dir / SO101
    res = build(delete.plan(open_source(str(src)), "1"), tmp_path / "out")
    assert res.frames_reencoded == 0 and res.packets_copied == 2 * (60 + 75)
    r = check_output(tmp_path / "out", src, {0: 0, 1: 2})
    assert [e.length for e in r.episodes] == [60, 75]
    assert r.episodes[1].from_index == 60 and r.read_episode(1).column("index").to_pylist()[0] == 60
    assert r.tasks == ["pick the red cube"]            # the deleted episode's task is gone
    # per-episode stats reused, renumbered columns recomputed, dataset stats aggregated as lerobot does
    src_stats = episode_stats(DatasetReader(src))
    out_stats = episode_stats(r)
    for feat in ("action", "observation.state", "observation.images.front", "timestamp"):
        for k in src_stats[2][feat]:
            assert np.array_equal(out_stats[1][feat][k], src_stats[2][feat][k]), (feat, k)
    assert out_stats[1]["episode_index"]["max"].tolist() == [1.0]
    assert out_stats[1]["index"]["min"].tolist() == [60.0]
    stats = json.loads((tmp_path / "out" / "meta" / "stats.json").read_text())
    want = aggregate_feature([src_stats[0]["action"], src_stats[2]["action"]])
    for k, v in want.items():
        assert np.allclose(stats["action"][k], v, rtol=0, atol=0), k
    assert stats["index"]["max"] == [134.0] and stats["index"]["count"] == [135]


def test_delete_from_studio_dataset_with_rollover(studio, tmp_path):
    res = build(delete.plan(open_source(str(studio)), "0,3"), tmp_path / "out")
    r = check_output(tmp_path / "out", studio, {0: 1, 1: 2, 2: 4})
    assert res.data_files == 3 and res.video_files == 3     # one episode per file, as the writer rolls
    assert sorted({e.data_file for e in r.episodes}) == ["data/chunk-000/file-000.parquet",
                                                         "data/chunk-000/file-001.parquet",
                                                         "data/chunk-001/file-000.parquet"]
    # the recording health and take ids of kept episodes follow them to their new numbers
    commits = json.loads((tmp_path / "out" / ".studio" / "commits.json").read_text())
    assert commits["sources"] == {"take-1": 0, "take-2": 1, "take-4": 2}


def test_merge_renumbers_tasks_and_indexes(fixtures_dir, studio, tmp_path):
    src = fixtures_dir / SO101
    res = build(merge.plan([open_source(str(src)), open_source(str(src))]), tmp_path / "m")
    r = check_output(tmp_path / "m", src, {0: 0, 1: 1, 2: 2, 3: 0, 4: 1, 5: 2})
    assert res.episodes == 6 and r.info["total_frames"] == 360
    assert r.tasks == ["pick the red cube", "place the cube in the bowl"]
    assert r.read_episode(4).column("task_index").to_pylist()[0] == 1
    assert r.read_episode(5).column("index").to_pylist()[-1] == 359
    # each source file is kept whole, so it is copied as it is: its episodes keep their timestamps
    assert res.video_files_copied == 2 * len(r.video_keys) and res.data_files_copied == 1
    for e in range(3, 6):
        ref, first = r.episodes[e].videos["observation.images.front"], r.episodes[e - 3].videos["observation.images.front"]
        assert ref.path != first.path and (ref.from_ts, ref.to_ts) == (first.from_ts, first.to_ts)
    for key in r.video_keys:
        src_file = DatasetReader(src).episodes[0].videos[key].path
        assert (tmp_path / "m" / r.episodes[3].videos[key].path).read_bytes() == (src / src_file).read_bytes()
    assert (tmp_path / "m" / r.episodes[0].data_file).read_bytes() == (src / DatasetReader(src).episodes[0].data_file).read_bytes()
    assert r.episodes[3].data_file != r.episodes[0].data_file         # the second copy's rows are renumbered


def test_merge_refuses_a_mismatch_naming_it(fixtures_dir, studio, tmp_path):
    with pytest.raises(EditError, match="observation.images.wrist only in"):
        merge.plan([open_source(str(fixtures_dir / SO101)), open_source(str(studio))])
    h264 = tmp_path / "h264"
    shutil.copytree(studio, h264)
    info = json.loads((h264 / "meta" / "info.json").read_text())
    info["features"]["observation.images.front"]["info"]["video.codec"] = "h264"
    (h264 / "meta" / "info.json").write_text(json.dumps(info))
    with pytest.raises(EditError, match="codec av1 in .* but h264"):
        merge.plan([open_source(str(studio)), open_source(str(h264))])
    robot = tmp_path / "robot"
    shutil.copytree(studio, robot)
    info = json.loads((robot / "meta" / "info.json").read_text())
    info["robot_type"] = "koch_follower"
    (robot / "meta" / "info.json").write_text(json.dumps(info))
    with pytest.raises(EditError, match="robot 'so_follower'.* with 'koch_follower'"):
        merge.plan([open_source(str(studio)), open_source(str(robot))])
    other = tmp_path / "fps"
    write_studio(other, lengths=(4,), roll=False, fps=15)
    with pytest.raises(EditError, match="30 fps.*15 fps"):
        merge.plan([open_source(str(studio)), open_source(str(other))])


def test_split_by_fractions_and_lists(studio, tmp_path):
    src = open_source(str(studio))
    parts = split.plans(src, "train=0.6,val=0.4")
    assert {k: [p.episode for p in v.picks] for k, v in parts.items()} == {"train": [0, 1, 2], "val": [3, 4]}
    build(parts["val"], tmp_path / "val")
    check_output(tmp_path / "val", studio, {0: 3, 1: 4})
    parts = split.plans(src, "a=0-1,4,b=2")
    assert {k: [p.episode for p in v.picks] for k, v in parts.items()} == {"a": [0, 1, 4], "b": [2]}
    with pytest.raises(EditError, match="more than one part"):
        split.plans(src, "a=0-2,b=2")


def test_modify_tasks_and_remove_feature(fixtures_dir, tmp_path):
    src = fixtures_dir / SO101
    build(tasks.plan(open_source(str(src)), replace={"pick the red cube": "grab it"},
                     episode_tasks={"2": "wave"}), tmp_path / "t")
    r = check_output(tmp_path / "t", src, {0: 0, 1: 1, 2: 2})
    assert [e.tasks for e in r.episodes] == [["grab it"], ["place the cube in the bowl"], ["wave"]]
    assert r.tasks == ["grab it", "place the cube in the bowl", "wave"]
    assert r.read_episode(2).column("task_index").to_pylist() == [2] * 75
    with pytest.raises(EditError, match="no episode has the task"):
        tasks.plan(open_source(str(src)), replace={"nope": "x"})
    build(remove_feature.plan(open_source(str(src)), ["observation.images.wrist", "action"]), tmp_path / "f")
    r = check_output(tmp_path / "f", src, {0: 0, 1: 1, 2: 2})
    assert r.video_keys == ["observation.images.front"] and "action" not in r.features
    assert not (tmp_path / "f" / "videos" / "observation.images.wrist").exists()
    assert "action" not in json.loads((tmp_path / "f" / "meta" / "stats.json").read_text())


def test_state_only_fixture_and_cli(fixtures_dir, tmp_path, capsys):
    src = fixtures_dir / "lerobot_state_only_2ep"
    assert main(["edit", "delete-episodes", str(src), "--episodes", "0", "--out", str(tmp_path / "d")]) == 0
    check_output(tmp_path / "d", src, {0: 1})
    assert "1 episodes, 40 frames" in capsys.readouterr().out
    assert main(["edit", "delete-episodes", str(src), "--episodes", "9", "--out", str(tmp_path / "x")]) == 1
    assert "do not exist" in capsys.readouterr().err
    assert main(["edit", "delete-episodes", str(src), "--episodes", "0", "--out", str(tmp_path / "d")]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["edit", "merge", "--out", str(tmp_path / "m"), str(src), str(tmp_path / "nothing")]) == 1
    assert "not a dataset folder" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "m").exists()


def test_in_place_swaps_and_keeps_studio_files(studio, tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(studio, root)
    (root / ".studio" / "queue.json").write_text("{}")       # pending work must survive the swap
    assert main(["edit", "delete-episodes", str(root), "--episodes", "1-3", "--in-place"]) == 0
    r = check_output(root, studio, {0: 0, 1: 4})
    assert r.info["total_episodes"] == 2
    assert (root / ".studio" / "queue.json").read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]          # no .partial, .edit-old left


def test_source_without_episode_stats_gets_them_computed(fixtures_dir, tmp_path):
    import pyarrow.parquet as pq

    src = tmp_path / "nostats"
    shutil.copytree(fixtures_dir / SO101, src)
    ep_file = src / "meta" / "episodes" / "chunk-000" / "file-000.parquet"
    t = pq.read_table(ep_file)
    pq.write_table(t.drop_columns([c for c in t.column_names if c.startswith("stats/")]), ep_file)
    build(delete.plan(open_source(str(src)), "0"), tmp_path / "out")
    r = check_output(tmp_path / "out", src, {0: 1, 1: 2})
    got = episode_stats(r)
    want = episode_stats(DatasetReader(fixtures_dir / SO101))
    for feat in ("action", "observation.state"):
        for k in want[1][feat]:
            assert np.array_equal(got[0][feat][k], want[1][feat][k]), (feat, k)   # as lerobot computed them
    assert got[0]["observation.images.front"]["count"].tolist() == [45]
    assert np.allclose(got[0]["observation.images.front"]["mean"], want[1]["observation.images.front"]["mean"],
                       atol=0.01)


def test_episodes_metadata_rolls_over_at_the_data_size_limit(studio, tmp_path):
    import pyarrow.parquet as pq

    src = tmp_path / "small-meta"
    shutil.copytree(studio, src)
    info = json.loads((src / "meta" / "info.json").read_text())
    info["data_files_size_in_mb"] = 0.003         # 3 kB: the episodes metadata needs several files
    (src / "meta" / "info.json").write_text(json.dumps(info))
    build(delete.plan(open_source(str(src)), "2"), tmp_path / "out")
    r = check_output(tmp_path / "out", studio, {0: 0, 1: 1, 2: 3, 3: 4})
    out = tmp_path / "out"
    files = sorted(p.relative_to(out).as_posix() for p in (out / "meta" / "episodes").rglob("*.parquet"))
    assert len(files) > 1
    assert files[:2] == ["meta/episodes/chunk-000/file-000.parquet", "meta/episodes/chunk-000/file-001.parquet"]
    assert sum(pq.read_metadata(tmp_path / "out" / f).num_rows for f in files) == len(r.episodes) == 4
