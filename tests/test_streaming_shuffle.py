"""Shuffling: measured randomness grows with the buffer, seeds reproduce, every frame exactly once;
the randomness measures and the backtrack window themselves."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from app.dataset.features import make_features
from app.dataset.writer import DatasetWriter, Episode
from app.streaming.backtrack import Backtrack
from app.streaming.iterator import StreamingDataset
from app.streaming.shuffle import kendall_tau, randomness, shuffle_buffer
from tests.dataset_helpers import JOINTS, joints

LENGTHS = [30 + (7 * e) % 20 for e in range(24)]     # 24 episodes, 30..49 frames, no cameras


@pytest.fixture(scope="module")
def rows_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("shuffle") / "rows"
    w = DatasetWriter.create(root, "tests/rows", 30, make_features(JOINTS, {}))
    for ep, n in enumerate(LENGTHS):
        action, state = joints(ep, n)
        w.add_episode(Episode("wave", {"action": action, "observation.state": state}))
    w.close()
    return root


def indices(ds) -> list[int]:
    return [int(x["index"]) for x in ds]


def test_randomness_grows_with_buffer_size(rows_root):
    total = sum(LENGTHS)
    episode_of = np.repeat(np.arange(len(LENGTHS)), LENGTHS)
    ref_ds = StreamingDataset(rows_root, shuffle=True, buffer_size=1, seed=5)
    reference = indices(ref_ds)
    # buffer 1 = the random episode order, each episode in frame order
    order = ref_ds.episode_order()
    assert order != sorted(order)
    assert reference == [i for e in order for i in range(sum(LENGTHS[:e]), sum(LENGTHS[:e + 1]))]
    results = []
    for size in (1, 16, 64, 256, 1024):
        out = indices(StreamingDataset(rows_root, shuffle=True, buffer_size=size, seed=5))
        assert sorted(out) == list(range(total))                         # every frame exactly once
        results.append(randomness(out, reference, episode_of))
    taus = [r["kendall_tau"] for r in results]
    disp = [r["mean_displacement"] for r in results]
    same = [r["same_episode_neighbours"] for r in results]
    assert taus[0] == 1.0 and disp[0] == 0.0
    assert all(a > b for a, b in zip(taus, taus[1:])), taus
    assert all(a < b for a, b in zip(disp, disp[1:])), disp
    assert same[0] > 0.95 and same[-1] < 0.2, same
    assert disp[1] < 32 < disp[3]                                        # mixing reach ~ buffer size


def test_seeds_reproduce_and_differ(rows_root):
    a = indices(StreamingDataset(rows_root, shuffle=True, buffer_size=100, seed=1))
    assert a == indices(StreamingDataset(rows_root, shuffle=True, buffer_size=100, seed=1))
    assert a != indices(StreamingDataset(rows_root, shuffle=True, buffer_size=100, seed=2))
    ds = StreamingDataset(rows_root, shuffle=True, buffer_size=100, seed=1)
    ds.set_epoch(1)
    assert indices(ds) != a                                               # a new epoch reshuffles
    seq = indices(StreamingDataset(rows_root, buffer_size=100, seed=1))
    assert seq == list(range(sum(LENGTHS)))                               # no shuffle: dataset order


def test_shuffle_buffer_alone_is_uniform_enough():
    rng = np.random.default_rng(0)
    firsts = [next(iter(shuffle_buffer(range(50), 10, rng))) for _ in range(2000)]
    counts = np.bincount(firsts, minlength=50)
    assert counts[10:].sum() == 0                      # only the first `size` items can come out first
    assert counts[:10].min() > 140                     # ~200 each: uniform over the buffer
    assert sorted(shuffle_buffer(range(37), 8, rng)) == list(range(37))
    assert list(shuffle_buffer(range(5), 1, rng)) == [0, 1, 2, 3, 4]


def test_kendall_tau_matches_the_definition():
    rng = np.random.default_rng(1)
    for n in (2, 3, 17, 64):
        p = rng.permutation(n)
        pairs = list(itertools.combinations(range(n), 2))
        concordant = sum(1 if p[i] < p[j] else -1 for i, j in pairs)
        assert kendall_tau(p) == pytest.approx(concordant / len(pairs))
    assert kendall_tau(list(range(10))) == 1.0 and kendall_tau(list(range(10))[::-1]) == -1.0
    with pytest.raises(ValueError):
        randomness([0, 1], [0, 2])


def test_backtrack_window_past_lerobots_100_frames():
    win = Backtrack(iter(range(400)), back=150, ahead=120)
    seen = 0
    while win.advance():
        p = win.position
        assert win.at(0) == p
        assert win.at(-150) == (p - 150 if p >= 150 else None)
        assert win.at(120) == (p + 120 if p + 120 < 400 else None)
        assert win.last_position() - win.first_position() <= 150 + 120
        seen += 1
    assert seen == 400
    with pytest.raises(IndexError):
        win.at(121)
