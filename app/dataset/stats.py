"""Per-episode and dataset statistics as lerobot 0.6.1 computes them (format spec section 6).

Numeric features: per element over all frames of the episode. Quantiles come from a 5000-bin histogram
over [min - 1e-10, max + 1e-10], interpolated within the bin (lerobot's RunningQuantileStats).
Video features: per channel, pixel/255, over k evenly spaced frames (k as lerobot's sample_indices),
each frame strided to about 150 px when its longer side is >= 300 px; `count` = sampled frames.
Deviation: lerobot squares the uint8 pixels without widening them, so its image `std` overflows
(mod 256) and is often 0 or wrong; we store the true population std. Min, max, mean and quantiles
follow lerobot's method. Because pixels are integers, a 256-bin count histogram per channel holds
everything needed, so the
sampler keeps one small histogram per sampled frame while the encoder runs (no second decode).
"""

from __future__ import annotations

import numpy as np

QUANTILES = (0.01, 0.10, 0.50, 0.90, 0.99)
QKEYS = ("q01", "q10", "q50", "q90", "q99")
KEYS = ("min", "max", "mean", "std", "count") + QKEYS
BINS = 5000


def sample_indices(length: int) -> list[int]:
    k = length if length < 100 else max(100, min(int(length ** 0.75), 10_000))
    return np.round(np.linspace(0, length - 1, k)).astype(int).tolist()


def _hist_quantiles(hist: np.ndarray, edges: np.ndarray, count: float) -> list[float]:
    cumsum = np.cumsum(hist)
    out = []
    for q in QUANTILES:
        target = q * count
        idx = int(np.searchsorted(cumsum, target))
        if idx == 0:
            out.append(float(edges[0]))
            continue
        if idx >= len(cumsum):
            out.append(float(edges[-1]))
            continue
        before = cumsum[idx - 1]
        in_bin = cumsum[idx] - before
        if in_bin == 0:
            out.append(float(edges[idx]))
            continue
        out.append(float(edges[idx] + (target - before) / in_bin * (edges[idx + 1] - edges[idx])))
    return out


def numeric_stats(values: np.ndarray) -> dict[str, np.ndarray]:
    """Stats per element of an (L,) or (L, n) array, returned as float64 arrays of shape (n,).

    Arithmetic runs in the input dtype like lerobot's (float32 state gives float32 means), so our
    numbers match lerobot's to the last bit on the same data; pass timestamps as float64 frame/fps.
    """
    x = np.asarray(values)
    x = x.reshape(len(x), -1)
    n = x.shape[0]
    mn, mx = x.min(axis=0), x.max(axis=0)
    mean = np.mean(x, axis=0)
    if n < 2:
        std = np.zeros(x.shape[1])
        qs = np.repeat(mean[None, :].astype(np.float64), len(QUANTILES), axis=0)
    else:
        std = np.sqrt(np.maximum(0, np.mean(x ** 2, axis=0) - mean ** 2))
        qs = np.empty((len(QUANTILES), x.shape[1]))
        for j in range(x.shape[1]):
            edges = np.linspace(mn[j] - 1e-10, mx[j] + 1e-10, BINS + 1)
            hist, _ = np.histogram(x[:, j], bins=edges)
            qs[:, j] = _hist_quantiles(hist.astype(np.float64), edges, n)
    out = {"min": mn, "max": mx, "mean": mean, "std": std}
    out = {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}
    out["count"] = np.array([n], dtype=np.int64)
    out.update({k: qs[i] for i, k in enumerate(QKEYS)})
    return {k: out[k] for k in KEYS}


def downsample(frame: np.ndarray, target: int = 150, threshold: int = 300) -> np.ndarray:
    h, w = frame.shape[:2]
    if max(h, w) < threshold:
        return frame
    step = int(w / target) if w > h else int(h / target)
    return frame[::step, ::step]


def frame_histogram(frame: np.ndarray) -> np.ndarray:
    """(C, 256) pixel counts of a downsampled HxWxC uint8 frame."""
    small = downsample(frame)
    return np.stack([np.bincount(small[..., c].ravel(), minlength=256) for c in range(small.shape[2])]
                    ).astype(np.int64)


class ImageStatsSampler:
    """Collects per-channel histograms of the frames lerobot would sample for stats.

    With the episode length known up front only sampled frames are histogrammed; otherwise every
    frame's histogram is kept (uint32, 3 KB per frame) and the sample is picked at the end.
    """

    def __init__(self, length: int | None = None):
        self.length = length
        self._wanted = set(sample_indices(length)) if length else None
        self._hists: dict[int, np.ndarray] = {}
        self._n = 0

    def add(self, frame: np.ndarray) -> None:
        i = self._n
        self._n += 1
        if self._wanted is None or i in self._wanted:
            self._hists[i] = frame_histogram(frame).astype(np.uint32)

    def result(self) -> dict[str, np.ndarray] | None:
        if not self._n:
            return None
        picks = sample_indices(self._n)
        total = sum(self._hists[i].astype(np.int64) for i in picks)
        return histogram_stats(total, len(picks))


def histogram_stats(hist: np.ndarray, frames: int) -> dict[str, np.ndarray]:
    """Stats of (C, 256) pixel counts, values scaled to 0..1, shaped (C, 1, 1) as lerobot stores them."""
    vals = np.arange(256, dtype=np.float64) / 255.0
    rows = {k: [] for k in KEYS if k != "count"}
    for ch in hist:
        n = ch.sum()
        nz = np.nonzero(ch)[0]
        mn, mx = vals[nz[0]], vals[nz[-1]]
        mean = (ch * vals).sum() / n
        std = np.sqrt(max(0.0, (ch * vals ** 2).sum() / n - mean ** 2))
        if n == 1:
            q = [mean] * len(QUANTILES)
        else:
            edges = np.linspace(mn - 1e-10, mx + 1e-10, BINS + 1)
            bins = np.clip(np.searchsorted(edges, vals, side="right") - 1, 0, BINS - 1)
            h5000 = np.bincount(bins[nz], weights=ch[nz], minlength=BINS)
            q = _hist_quantiles(h5000, edges, n)
        for key, v in zip(("min", "max", "mean", "std") + QKEYS, [mn, mx, mean, std, *q]):
            rows[key].append(v)
    out = {k: np.array(v, dtype=np.float64).reshape(-1, 1, 1) for k, v in rows.items()}
    out["count"] = np.array([frames], dtype=np.int64)
    return {k: out[k] for k in KEYS}


def aggregate(stats_list: list[dict]) -> dict:
    """Dataset stats from episode (or already aggregated) stats: lerobot's aggregate_feature_stats."""
    stats_list = [s for s in stats_list if s]
    counts = np.array([np.asarray(s["count"]).reshape(-1)[0] for s in stats_list], dtype=np.float64)
    total = counts.sum()
    shape = np.asarray(stats_list[0]["mean"]).shape
    w = counts.reshape((-1,) + (1,) * len(shape)) / total
    means = np.stack([np.asarray(s["mean"], dtype=np.float64) for s in stats_list])
    var = np.stack([np.asarray(s["std"], dtype=np.float64) ** 2 for s in stats_list])
    mean = (means * w).sum(axis=0)
    out = {
        "min": np.min(np.stack([np.asarray(s["min"], dtype=np.float64) for s in stats_list]), axis=0),
        "max": np.max(np.stack([np.asarray(s["max"], dtype=np.float64) for s in stats_list]), axis=0),
        "mean": mean,
        "std": np.sqrt(((var + (means - mean) ** 2) * w).sum(axis=0)),
        "count": np.array([int(total)], dtype=np.int64),
    }
    for k in QKEYS:
        if all(k in s for s in stats_list):
            out[k] = (np.stack([np.asarray(s[k], dtype=np.float64) for s in stats_list]) * w).sum(axis=0)
    return out


def to_json(stats: dict) -> dict:
    return {feat: {k: np.asarray(v).tolist() for k, v in s.items()} for feat, s in stats.items()}


def from_json(data: dict) -> dict:
    return {feat: {k: np.asarray(v) for k, v in s.items()} for feat, s in data.items()}
