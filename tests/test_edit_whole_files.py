"""Source files an edit keeps whole are copied as they are (byte-identical, the kernel copies them);
episodes remuxed after a copied file start a file of their own; a data file is copied only when its
rows need no change where they land."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from app.dataset.reader import DatasetReader
from app.dataset.validate import validate
from app.edit import merge
from app.edit.build import build
from app.edit.data_out import unchanged_file
from app.edit.plan import Pick, Plan, kept_whole
from app.edit.source import episode_stats, open_source
from app.hub.range_cache import RangeCache
from tests.edit_helpers import check_output, episode_packets, write_studio
from tests.hub_fixtures import hub  # noqa: F401

CAM = "observation.images.front"
SO101 = "lerobot_so101_3ep"


def test_remuxed_episodes_after_a_copied_file_start_a_new_file(tmp_path):
    packed, rolled = tmp_path / "packed", tmp_path / "rolled"
    write_studio(packed, roll=False)           # one data and one camera file for 5 episodes
    write_studio(rolled, lengths=(4, 6))       # one file per episode
    sources = [open_source(str(packed)), open_source(str(rolled))]
    picks = [Pick(0, 0), Pick(0, 1), Pick(1, 0), Pick(1, 1), Pick(0, 2)]
    plan = Plan(sources, picks)
    assert kept_whole(plan, lambda ep: (ep.videos[CAM].path, ep.videos[CAM].from_ts)) == {2: 2, 3: 3}
    res = build(plan, tmp_path / "out")
    assert res.video_files_copied == 2 and res.frames_reencoded == 0
    assert validate(tmp_path / "out").ok
    r = DatasetReader(tmp_path / "out")
    files = [ep.videos[CAM].path.rsplit("/", 1)[1] for ep in r.episodes]
    assert files == ["file-000.mp4", "file-000.mp4", "file-001.mp4", "file-002.mp4", "file-003.mp4"]
    readers = [DatasetReader(packed), DatasetReader(rolled)]
    for out_e, p in enumerate(picks):
        assert episode_packets(r, out_e, CAM) == episode_packets(readers[p.source], p.episode, CAM)
        assert sum(1 for _ in r.iter_frames(out_e, CAM)) == r.episodes[out_e].length
        want = readers[p.source].read_episode(p.episode).column("observation.state").to_pylist()
        assert r.read_episode(out_e).column("observation.state").to_pylist() == want
    for out_e, src_e in ((2, 0), (3, 1)):         # copied whole: the very file, same timestamps
        ref, src_ref = r.episodes[out_e].videos[CAM], readers[1].episodes[src_e].videos[CAM]
        assert (tmp_path / "out" / ref.path).read_bytes() == (rolled / src_ref.path).read_bytes()
        assert (ref.from_ts, ref.to_ts) == (src_ref.from_ts, src_ref.to_ts)
    # no data file was copied: the packed file loses episodes, the rolled ones are renumbered
    assert res.data_files_copied == 0
    assert r.read_episode(4).column("index").to_pylist()[0] == r.episodes[4].from_index


def test_merge_copies_the_first_sources_data_file_and_keeps_its_stats(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_studio(a, roll=False)
    write_studio(b, lengths=(3, 4), roll=False)
    res = build(merge.plan([open_source(str(a)), open_source(str(b))]), tmp_path / "m")
    assert res.data_files_copied == 1 and res.video_files_copied == 2
    r = check_output(tmp_path / "m", a, {e: e for e in range(5)})
    check_output(tmp_path / "m", b, {5: 0, 6: 1})
    assert (tmp_path / "m" / r.episodes[0].data_file).read_bytes() == (a / r.episodes[0].data_file).read_bytes()
    assert r.read_episode(6).column("index").to_pylist()[-1] == r.info["total_frames"] - 1
    # every renumbered column's per-episode stats equal a fresh computation from the output's rows
    from app.edit.stats import int_stats

    for e, stats in enumerate(episode_stats(r)):
        rows = r.read_episode(e)
        for col in ("index", "episode_index", "task_index"):
            want = int_stats(rows.column(col).to_numpy())
            assert all(np.array_equal(stats[col][k], want[k]) for k in want), (e, col)


def test_a_data_file_is_copied_only_when_nothing_in_it_changes(tmp_path):
    write_studio(tmp_path / "ds", roll=False)
    r = DatasetReader(tmp_path / "ds")
    ep = r.episodes
    rel, rows = ep[0].data_file, sum(e.length for e in ep)
    schema = pq.read_schema(tmp_path / "ds" / rel).remove_metadata()
    got = unchanged_file(r, rel, 0, rows, 0, schema, {})
    assert got is not None and got.tolist() == r.read_episode(0).column("task_index").to_pylist() + \
        sum((r.read_episode(e).column("task_index").to_pylist() for e in range(1, len(ep))), [])
    assert unchanged_file(r, rel, 0, rows, 10, schema, {}) is None          # rows would move
    assert unchanged_file(r, rel, 0, rows - 1, 0, schema, {}) is None       # rows of another episode
    assert unchanged_file(r, rel, 0, rows, 0, schema, {"other task": 0}) is None   # tasks renumbered
    other = pa.schema([f.with_type(pa.float64()) if f.name == "timestamp" else f for f in schema])
    assert unchanged_file(r, rel, 0, rows, 0, other, {}) is None


def test_hub_file_kept_whole_is_copied_through_range_reads(hub, fixtures_dir, tmp_path):  # noqa: F811
    src = fixtures_dir / SO101
    mark = len(hub.log)
    remote = open_source("fixtures/so101_3ep@v3.0", endpoint=hub.endpoint, cache=RangeCache(tmp_path / "cache"))
    res = build(merge.plan([remote, open_source(str(src))]), tmp_path / "m")
    remote.close()
    assert res.video_files_copied == 4 and res.episodes == 6
    r = check_output(tmp_path / "m", src, {0: 0, 1: 1, 2: 2, 3: 0, 4: 1, 5: 2})
    for key in r.video_keys:
        assert (tmp_path / "m" / r.episodes[0].videos[key].path).read_bytes() == \
            (src / DatasetReader(src).episodes[0].videos[key].path).read_bytes()
    videos = [q for q in hub.requests_since(mark) if q.method == "GET" and q.path.endswith(".mp4")]
    assert videos and all(q.range for q in videos)
