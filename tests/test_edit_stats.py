"""The edit's fast stats of renumbered integer columns equal the writer's numeric_stats bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from app.dataset.stats import numeric_stats
from app.edit.stats import aggregate_feature, int_stats


def cases():
    rng = np.random.default_rng(0)
    yield np.arange(60)
    yield np.arange(1_000_000, 1_000_075)          # large indexes: edges round to the values
    yield np.arange(10_000_000_000, 10_000_000_010)
    yield np.full(45, 7)
    yield np.full(1, 3)
    yield np.full(2, 0)
    for c in (0, 1, 5, 299, 123_456, 10**7):
        for n in (2, 3, 10, 61, 1000):
            yield np.full(n, c)
    yield np.array([0] * 20 + [2] * 17 + [1] * 3)
    for _ in range(200):
        n = int(rng.integers(2, 400))
        yield rng.integers(0, int(rng.integers(1, 50)), n) + int(rng.integers(0, 10**7))


@pytest.mark.parametrize("i,x", list(enumerate(cases())))
def test_int_stats_equal_numeric_stats(i, x):
    x = np.asarray(x, dtype=np.int64)
    want, got = numeric_stats(x.reshape(-1, 1)), int_stats(x)
    assert list(want) == list(got)
    for k in want:
        assert want[k].dtype == got[k].dtype and want[k].shape == got[k].shape, k
        assert np.array_equal(want[k], got[k]), (k, want[k], got[k])


def test_aggregate_is_lerobots_arithmetic():
    a = numeric_stats(np.arange(10, dtype=np.float32).reshape(-1, 1))
    b = numeric_stats(np.arange(10, 40, dtype=np.float32).reshape(-1, 1))
    agg = aggregate_feature([a, b])
    assert agg["count"].tolist() == [40]
    assert agg["mean"].tolist() == [19.5] and agg["min"].tolist() == [0.0] and agg["max"].tolist() == [39.0]
    assert np.isclose(agg["std"][0], np.arange(40).std())
    assert np.isclose(agg["q50"][0], (a["q50"][0] * 10 + b["q50"][0] * 30) / 40)


def test_stack_equals_numpy_stack_and_refuses_mixed_shapes():
    from app.edit.stats import stack

    rng = np.random.default_rng(1)
    for shape in ((6,), (3, 1, 1), (1,), ()):
        values = [rng.normal(size=shape) for _ in range(7)]
        assert np.array_equal(stack(values), np.stack(values))
        assert stack(values, np.float32).dtype == np.float32
    ints = [np.array([i]) for i in range(5)]
    assert stack(ints, np.float64).dtype == np.float64 and stack(ints).tolist() == [[i] for i in range(5)]
    for bad in ([np.zeros(2), np.zeros(4)], [np.zeros(3), np.zeros((3, 1))]):
        with pytest.raises(ValueError, match="different shapes"):
            stack(bad)
