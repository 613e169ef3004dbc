"""Statistics of an edited dataset, without decoding anything that already has stats.

Per-episode stats are reused from the source's meta/episodes rows. Only the columns an edit
renumbers (`index`, `episode_index`, `task_index`) are recomputed from the new rows, so every
per-episode row is exact for the output. The dataset stats are then aggregated over all episodes at
once with lerobot 0.6.1's arithmetic (compute_stats.aggregate_feature_stats: count-weighted sums
divided by the total count, pooled variance, count-weighted quantiles), so `lerobot-edit-dataset`
and this module give the same stats.json for the same episodes.
"""

from __future__ import annotations

import numpy as np

from app.dataset.stats import BINS, KEYS, QKEYS, QUANTILES, ImageStatsSampler, numeric_stats

RENUMBERED = ("index", "episode_index", "task_index")


def stack(values: list, dtype=None) -> np.ndarray:
    """np.stack of same-shape arrays as one concatenate: np.stack's per-array overhead was most of
    an edit's metadata time (hundreds of episodes x ~80 stats columns)."""
    shape = np.shape(values[0])
    if shape and all(type(v) is np.ndarray and v.shape == shape for v in values):
        block = np.concatenate(values)           # the common case: per-episode stats as read
    else:
        arrays = [np.asarray(v) for v in values]
        if any(a.shape != shape for a in arrays):
            raise ValueError(f"cannot stack arrays of different shapes ({shape} and others)")
        block = np.concatenate([a.reshape(-1) for a in arrays])
    block = block.reshape((len(values), *shape))
    return block if dtype is None else block.astype(dtype, copy=False)


def aggregate_feature(stats: list[dict]) -> dict:
    means = stack([s["mean"] for s in stats], np.float64)
    variances = stack([s["std"] for s in stats], np.float64) ** 2
    counts = stack([np.asarray(s["count"]).reshape(-1) for s in stats])
    total = counts.sum(axis=0)
    while counts.ndim < means.ndim:
        counts = np.expand_dims(counts, axis=-1)
    mean = (means * counts).sum(axis=0) / total
    variance = ((variances + (means - mean) ** 2) * counts).sum(axis=0) / total
    out = {"min": np.min(stack([s["min"] for s in stats], np.float64), axis=0),
           "max": np.max(stack([s["max"] for s in stats], np.float64), axis=0),
           "mean": mean, "std": np.sqrt(variance), "count": total}
    for q in QKEYS:
        if all(q in s for s in stats):
            out[q] = (stack([s[q] for s in stats], np.float64) * counts).sum(axis=0) / total
    return out


def aggregate(episodes: list[dict], features: list[str]) -> dict:
    """Dataset stats (stats.json) from per-episode stats, features in the given order."""
    out = {}
    for feat in features:
        have = [ep[feat] for ep in episodes if feat in ep]
        if have:
            out[feat] = aggregate_feature(have)
    return out


def numeric_episode_stats(name: str, values: np.ndarray, fps: int) -> dict:
    """Stats of one data column of one episode, as the writer computes them."""
    if name == "timestamp":  # the writer uses exact frame/fps in float64, not the stored float32
        values = np.arange(len(values)) / fps
    return numeric_stats(np.asarray(values))


def renumbered_stats(cols: dict[str, np.ndarray], old_cols: dict | None = None, old_stats: dict | None = None) -> dict:
    """Stats of the columns an edit renumbers (index, episode_index, task_index), equal to the
    writer's numeric_stats to the last bit, computed per column with `int_stats`. A column whose
    values the edit left as they were (old_cols: the source's values) keeps the source's stats."""
    out = {}
    for n in RENUMBERED:
        new = np.asarray(cols[n]).reshape(-1)
        kept = (old_stats or {}).get(n)
        old = (old_cols or {}).get(n)
        if kept and "count" in kept and old is not None and (old is new or np.array_equal(new, old)):
            out[n] = kept
        else:
            out[n] = int_stats(new)
    return out


def _constant_stats(c: int, n: int) -> dict:
    """int_stats of n copies of c, in closed form: mean c and mean square c*c are exact in float64
    below 2**52, so numeric_stats gives std 0 and puts all n values in one histogram bin."""
    edges = np.linspace(c - 1e-10, c + 1e-10, BINS + 1)
    b = min(int(np.searchsorted(edges, c, side="right")) - 1, BINS - 1)
    per_bin = float(n)
    qs = [float(edges[0]) if b == 0 else float(edges[b] + (q * n - 0.0) / per_bin * (edges[b + 1] - edges[b]))
          for q in QUANTILES]
    value = np.array([float(c)])
    out = {"min": value, "max": value.copy(), "mean": value.copy(), "std": np.zeros(1),
           "count": np.array([n], dtype=np.int64)}
    out.update({k: np.array([qs[i]]) for i, k in enumerate(QKEYS)})
    return {k: out[k] for k in KEYS}


def int_stats(x: np.ndarray) -> dict:
    """numeric_stats of one integer column, without its 5000-bin histogram: an integer column of an
    episode has few distinct values, and the quantile of a histogram depends only on the bins that
    hold values (same bins as np.histogram assigns, same arithmetic), so the result is identical."""
    n = len(x)
    if n < 2:
        return numeric_stats(x.reshape(-1, 1))
    first, last = int(x[0]), int(x[-1])
    if first == last and first * first * n < 2 ** 52 and (x == first).all():
        return _constant_stats(first, n)           # episode_index, and task_index of a one-task episode
    col = x.reshape(-1, 1)
    mn, mx = col.min(axis=0), col.max(axis=0)
    mean = np.mean(col, axis=0)
    std = np.sqrt(np.maximum(0, np.mean(col ** 2, axis=0) - mean ** 2))
    edges = np.linspace(mn[0] - 1e-10, mx[0] + 1e-10, BINS + 1)
    if n > 1 and (np.diff(x) > 0).all():          # index: already sorted and distinct
        values, counts = x, np.ones(n, np.int64)
    else:
        values, counts = np.unique(x, return_counts=True)
    bins = np.minimum(np.searchsorted(edges, values, side="right") - 1, BINS - 1)
    keep = bins >= 0
    bins, counts = bins[keep], counts[keep]
    starts = np.concatenate(([0], np.flatnonzero(np.diff(bins)) + 1))   # values sharing a bin add up
    ubins = bins[starts]
    per_bin = np.add.reduceat(counts, starts).astype(np.float64)
    cum = np.cumsum(per_bin)
    qs = []
    for q in QUANTILES:
        target = q * n
        k = int(np.searchsorted(cum, target))
        idx = int(ubins[k]) if k < len(ubins) else BINS
        if idx == 0:
            qs.append(float(edges[0]))
        elif idx >= BINS:
            qs.append(float(edges[-1]))
        else:
            before = cum[k - 1] if k else 0.0
            qs.append(float(edges[idx] + (target - before) / per_bin[k] * (edges[idx + 1] - edges[idx])))
    out = {"min": mn, "max": mx, "mean": mean, "std": std}
    out = {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}
    out["count"] = np.array([n], dtype=np.int64)
    out.update({k: np.array([qs[i]]) for i, k in enumerate(QKEYS)})
    return {k: out[k] for k in KEYS}


def video_episode_stats(frames) -> dict | None:
    """Image stats over an episode's decoded frames (only for sources that lack them)."""
    sampler = ImageStatsSampler()
    for f in frames:
        sampler.add(f)
    return sampler.result()
