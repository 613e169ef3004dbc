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

from app.dataset.stats import QKEYS, ImageStatsSampler, numeric_stats

RENUMBERED = ("index", "episode_index", "task_index")


def aggregate_feature(stats: list[dict]) -> dict:
    means = np.stack([np.asarray(s["mean"], dtype=np.float64) for s in stats])
    variances = np.stack([np.asarray(s["std"], dtype=np.float64) ** 2 for s in stats])
    counts = np.stack([np.asarray(s["count"]).reshape(-1) for s in stats])
    total = counts.sum(axis=0)
    while counts.ndim < means.ndim:
        counts = np.expand_dims(counts, axis=-1)
    mean = (means * counts).sum(axis=0) / total
    variance = ((variances + (means - mean) ** 2) * counts).sum(axis=0) / total
    out = {"min": np.min(np.stack([np.asarray(s["min"], dtype=np.float64) for s in stats]), axis=0),
           "max": np.max(np.stack([np.asarray(s["max"], dtype=np.float64) for s in stats]), axis=0),
           "mean": mean, "std": np.sqrt(variance), "count": total}
    for q in QKEYS:
        if all(q in s for s in stats):
            out[q] = (np.stack([np.asarray(s[q], dtype=np.float64) for s in stats]) * counts).sum(axis=0) / total
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


def renumbered_stats(cols: dict[str, np.ndarray]) -> dict:
    """Stats of the columns an edit renumbers, in one call (numeric_stats works per element, so
    stacking the columns gives each exactly the stats it would get alone)."""
    both = numeric_stats(np.stack([cols[n] for n in RENUMBERED], axis=1))
    return {n: {k: (v if k == "count" else v[j:j + 1]) for k, v in both.items()} for j, n in enumerate(RENUMBERED)}


def video_episode_stats(frames) -> dict | None:
    """Image stats over an episode's decoded frames (only for sources that lack them)."""
    sampler = ImageStatsSampler()
    for f in frames:
        sampler.add(f)
    return sampler.result()
