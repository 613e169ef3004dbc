"""The shuffle buffer, and how random a streamed order is (for tests and bench/stream.py).

The buffer works as lerobot's StreamingLeRobotDataset's (and tf.data's): fill it with `size` items;
then each new item takes the place of a uniformly drawn one, which is yielded; at the end the rest
comes out in random order. Streaming can only mix items that are at most about `size` apart, so
randomness grows with the buffer, and memory with it (a frame with its decoded images per slot).
"""

from __future__ import annotations

from typing import Iterable, Iterator, Sequence

import numpy as np


def shuffle_buffer(items: Iterable, size: int, rng: np.random.Generator) -> Iterator:
    if size <= 1:
        yield from items
        return
    buf: list = []
    for item in items:
        if len(buf) < size:
            buf.append(item)
            continue
        j = int(rng.integers(size))
        out, buf[j] = buf[j], item
        yield out
    order = rng.permutation(len(buf))
    for j in order:
        yield buf[j]
    buf.clear()


def _inversions(a: np.ndarray) -> int:
    """Pairs i < j with a[i] > a[j] (bottom-up merge sort, O(n log n))."""
    a = np.asarray(a).copy()
    n, width, count = len(a), 1, 0
    while width < n:
        for lo in range(0, n - width, 2 * width):
            left, right = a[lo:lo + width], a[lo + width:lo + 2 * width]
            # for each element of right, how many of left are greater
            count += int(np.sum(len(left) - np.searchsorted(left, right, side="right")))
            a[lo:lo + len(left) + len(right)] = np.sort(np.concatenate([left, right]), kind="mergesort")
        width *= 2
    return count


def kendall_tau(order: Sequence[int]) -> float:
    """Kendall's tau between positions and values of a sequence of distinct numbers: 1 = sorted,
    0 = no rank correlation, -1 = reversed."""
    n = len(order)
    if n < 2:
        return 1.0
    return 1.0 - 4.0 * _inversions(np.asarray(order)) / (n * (n - 1))


def randomness(output: Sequence[int], reference: Sequence[int], episode_of: Sequence[int] | None = None) -> dict:
    """How far `output` (item ids as yielded) is from `reference` (the same ids in unshuffled order).

    kendall_tau: rank correlation with the reference order (1 = unchanged); mean_displacement: mean
    |position in output - position in reference|; same_episode_neighbours: share of consecutive
    outputs from one episode (correlated training batches), when `episode_of[id]` is given.
    """
    output, reference = np.asarray(output), np.asarray(reference)
    if sorted(output.tolist()) != sorted(reference.tolist()):
        raise ValueError("output and reference must hold the same items")
    rank = np.empty(int(reference.max()) + 1, dtype=np.int64)
    rank[reference] = np.arange(len(reference))
    ranks = rank[output]
    res = {"kendall_tau": kendall_tau(ranks),
           "mean_displacement": float(np.mean(np.abs(ranks - np.arange(len(ranks)))))}
    if episode_of is not None and len(output) > 1:
        ep = np.asarray(episode_of)[output]
        res["same_episode_neighbours"] = float(np.mean(ep[1:] == ep[:-1]))
    return res
