"""Shares of an epoch for torch.distributed ranks x DataLoader workers (app/streaming/sharding.py):
exact coverage, equal rank shares, DistributedSampler's drop_last / padding; and the numpy stream of a
share equals the same frames read whole (deltas padded only at real episode ends)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from app.streaming.iterator import StreamingDataset
from app.streaming.lerobot_stream import LeRobotStream
from app.streaming.sharding import Span, rank_length, share


def frames_of(spans, starts):
    return [starts[s.episode] + f for s in spans for f in range(s.start, s.stop)]


@pytest.mark.parametrize("lengths", [[60, 45, 75], [1], [7, 3, 11, 2, 9], [100] * 6, [5]])
@pytest.mark.parametrize("world", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("workers", [1, 2, 4])
def test_every_frame_once_equal_rank_shares(lengths, world, workers):
    order = list(np.random.default_rng(len(lengths) * world).permutation(len(lengths)))
    starts = np.concatenate([[0], np.cumsum(lengths)])
    total = int(starts[-1])
    for drop_last in (False, True):
        per_rank = []
        seen = Counter()
        for r in range(world):
            got = []
            for w in range(workers):
                spans = share(order, [lengths[e] for e in order], r, world, w, workers, drop_last)
                assert all(0 <= s.start < s.stop <= lengths[s.episode] for s in spans)
                got += frames_of(spans, starts)
            per_rank.append(len(got))
            seen.update(got)
        n = rank_length(total, world, drop_last)
        assert per_rank == [n] * world                       # equal steps on every rank (DDP)
        if drop_last:
            assert sum(seen.values()) == n * world and max(seen.values(), default=1) == 1
            assert total - len(seen) == total % world        # only the remainder is left out
        else:
            assert set(seen) == set(range(total))            # every frame at least once
            assert sum(seen.values()) - total == n * world - total   # padding: the fewest repeats


def test_share_is_a_run_of_whole_episodes_cut_at_most_twice():
    lengths = [30] * 10
    spans = share(list(range(10)), lengths, rank=1, world=3, worker=0, workers=1)
    inner = spans[1:-1]
    assert all(s.start == 0 and s.stop == 30 for s in inner)
    assert sum(len(s) for s in spans) == 100


def test_bad_rank_or_worker():
    with pytest.raises(ValueError):
        share([0], [5], rank=2, world=2)
    with pytest.raises(ValueError):
        share([0], [5], worker=1, workers=1)


def test_a_cut_episode_streams_the_same_frames_and_deltas_as_whole(fixtures_dir):
    root = fixtures_dir / "lerobot_so101_3ep"
    deltas = {"action": [-2 / 30, 0, 3 / 30], "observation.images.front": [-1 / 30, 0]}
    ds = StreamingDataset(root, delta_timestamps=deltas, prefetch=0)
    whole = {int(x["index"]): x for x in ds.stream([Span(1, 0, 45)])}
    parts = list(ds.stream([Span(1, 0, 1), Span(1, 1, 20), Span(1, 20, 44), Span(1, 44, 45)]))
    assert [int(x["index"]) for x in parts] == sorted(whole)
    for x in parts:
        w = whole[int(x["index"])]
        assert set(x) == set(w)
        for k in ("action", "action_is_pad", "observation.images.front_is_pad", "frame_index"):
            np.testing.assert_array_equal(x[k], w[k])
        # video frames of a cut decode the same picture (AV1, same decoder): within 1 level
        assert np.abs(x["observation.images.front"].astype(int) - w["observation.images.front"]).max() <= 1
    ds.close()


def test_numpy_lerobot_items_and_epochs(fixtures_dir):
    root = fixtures_dir / "lerobot_so101_3ep"
    ds = LeRobotStream("fixtures/so101_3ep", root=root, delta_timestamps={"action": [0, 1 / 30]})
    first = next(iter(ds))
    assert first["observation.images.front"].shape == (3, 240, 320)
    assert first["observation.images.front"].dtype == np.float32
    assert 0.0 <= first["observation.images.front"].min() and first["observation.images.front"].max() <= 1.0
    assert first["timestamp"].shape == () and first["timestamp"].dtype == np.float32
    assert first["index"].shape == () and first["index"].dtype == np.int64
    assert first["action"].shape == (2, 6) and first["action_is_pad"].dtype == bool
    assert isinstance(first["task"], str)
    # each pass reshuffles (as lerobot's rng does); set_epoch makes an epoch's order reproducible
    ds2 = LeRobotStream("fixtures/so101_3ep", root=root, buffer_size=50)
    ds2.meta.camera_keys = []   # keep it quick: frames are not converted, ordering is what is checked
    ds2.set_epoch(3)
    a = [int(x["index"]) for x in ds2.raw_frames()]
    b = [int(x["index"]) for x in ds2.raw_frames()]
    ds2.set_epoch(4)
    c = [int(x["index"]) for x in ds2.raw_frames()]
    assert a == b != c and sorted(a) == sorted(c) == list(range(180))
    ds3 = LeRobotStream("fixtures/so101_3ep", root=root, buffer_size=50)
    p1, p2 = ([int(x["index"]) for x in ds3.raw_frames()] for _ in range(2))
    assert p1 != p2 and sorted(p1) == sorted(p2)


def test_lerobot_root_and_arguments(tmp_path, fixtures_dir):
    from app.dataset.errors import DatasetError

    with pytest.raises(DatasetError, match="no meta/info.json"):
        LeRobotStream("x/y", root=tmp_path)
    with pytest.raises(DatasetError, match="not a feature"):
        LeRobotStream("x/y", root=fixtures_dir / "lerobot_so101_3ep", delta_timestamps={"nope": [0]})
    with pytest.raises(DatasetError, match="repo_type"):
        LeRobotStream("x/y", root=fixtures_dir / "lerobot_so101_3ep", repo_type="bucket")
    ds = LeRobotStream("x/y", root=fixtures_dir / "lerobot_so101_3ep", episodes=[2, 0], shuffle=False,
                       rank=1, world_size=2)
    assert (ds.num_episodes, ds.num_frames, len(ds), ds.fps) == (2, 135, 68, 30)
    # order [2, 0] is 135 frames; rank 1 has positions 68..135: episode 2 (indices 105..179) from its
    # frame 68, all of episode 0, then the first frame again as padding
    got = [int(x["index"]) for x in ds.raw_frames()]
    assert got == list(range(173, 180)) + list(range(60)) + [105]
