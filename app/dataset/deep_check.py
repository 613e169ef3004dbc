"""`check --deep`: recompute each episode's statistics from its rows and frames and compare them with
the ones stored in meta/episodes when it was recorded.

A flipped byte in a data parquet still decodes (parquet pages carry no checksum by default) and
every structural check passes, but the episode's min/max/mean no longer match the stats computed
when it was written. Numeric features are recomputed exactly as lerobot's compute_episode_stats
does (app/dataset/stats.py): they must agree to float rounding. Video features are recomputed from
the decoded frames lerobot samples; the stored stats come from the frames before encoding, so their
per-channel means agree only to the codec's loss (about 1 % of the pixel range measured; 4 % allowed),
and the frame count exactly.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from app.dataset.bounds import MIN_DATA_ROW_BYTES, MIN_EPISODE_ROW_BYTES, check_rows
from app.dataset.errors import DatasetError
from app.dataset.features import stats_features
from app.dataset.reader import DatasetReader
from app.dataset.stats import KEYS, frame_histogram, histogram_stats, numeric_stats, sample_indices

NUMERIC_RTOL, NUMERIC_ATOL = 1e-4, 1e-5
VIDEO_ATOL = 0.04            # on 0..1 pixel values: lossy encoding moves the mean by ~0.01
VIDEO_KEYS = ("mean",)       # not std: lerobot's stored image std overflows (app/dataset/stats.py)
MAX_LINES = 100


def stored_stats(reader: DatasetReader) -> dict[int, dict]:
    """episode index -> {feature: {stat: array}} from the stats/* columns of meta/episodes."""
    out = {}
    most = reader.info.get("total_episodes", 0) + 1
    for rel in reader.glob("meta/episodes/*/*.parquet"):
        with reader.open(rel) as f:
            pf = pq.ParquetFile(f)
            check_rows(rel, pf, f.seek(0, 2), most, MIN_EPISODE_ROW_BYTES)
            cols = ["episode_index"] + [c for c in pf.schema_arrow.names if c.startswith("stats/")]
            table = pf.read(columns=cols)
        for row in table.to_pylist():
            stats: dict[str, dict] = {}
            for col, v in row.items():
                if col.startswith("stats/") and v is not None:
                    feat, stat = col[len("stats/"):].rsplit("/", 1)
                    stats.setdefault(feat, {})[stat] = np.asarray(v, dtype=np.float64)
            out[int(row["episode_index"])] = stats
    return out


def _numeric(table, name: str, fps: int) -> np.ndarray:
    if name == "timestamp":                 # stats of the exact times, as the writer computes them
        return np.asarray(table.column("frame_index").to_numpy(), dtype=np.float64) / fps
    col = table.column(name)
    values = col.to_numpy(zero_copy_only=False) if col.num_chunks <= 1 else col.combine_chunks().to_numpy(
        zero_copy_only=False)
    if values.dtype == object:              # list columns: one row per frame
        values = np.stack([np.asarray(v) for v in values]) if len(values) else np.zeros((0, 1))
    return values


def _video_stats(videos, reader: DatasetReader, e: int, key: str) -> dict:
    length = reader.episodes[e].length
    wanted = set(sample_indices(length))
    hist = None
    for i, frame in enumerate(videos.frames(e, key)):     # sequential: one open file per camera
        if i in wanted:
            h = frame_histogram(frame)
            hist = h if hist is None else hist + h
    return histogram_stats(hist, len(wanted))


class _Rows:
    """Each data file read once (the columns compared), sliced per episode by its `index` range."""

    def __init__(self, reader: DatasetReader, columns: list[str]):
        self.reader, self.columns = reader, list(dict.fromkeys(columns + ["index"]))
        self.rel, self.table, self.index = None, None, None

    def episode(self, ep):
        if ep.data_file != self.rel:
            with self.reader.open(ep.data_file) as f:
                pf = pq.ParquetFile(f)
                check_rows(ep.data_file, pf, f.seek(0, 2), self.reader.info.get("total_frames", 0) + 1,
                           MIN_DATA_ROW_BYTES)
                self.table = pf.read(columns=self.columns)
            self.rel, self.index = ep.data_file, self.table.column("index").to_numpy()
        pos = np.nonzero((self.index >= ep.from_index) & (self.index < ep.to_index))[0]
        if len(pos) != ep.length:
            raise DatasetError(f"episode {ep.index}: {len(pos)} rows in {ep.data_file}, expected {ep.length}")
        return self.table.take(pa.array(pos))


def _differs(name, stat, stored, fresh, video: bool) -> str | None:
    a, b = np.asarray(stored, dtype=np.float64).reshape(-1), np.asarray(fresh, dtype=np.float64).reshape(-1)
    if a.shape != b.shape:
        return f"{name} {stat} has {a.size} values in meta/episodes, the data gives {b.size}"
    close = (np.abs(a - b) <= VIDEO_ATOL) if video else np.isclose(a, b, rtol=NUMERIC_RTOL, atol=NUMERIC_ATOL)
    if close.all():
        return None
    k = int(np.nonzero(~close)[0][0])
    return (f"{name} {stat}[{k}] is {a[k]:.6g} in meta/episodes but {b[k]:.6g} recomputed from the "
            f"{'frames' if video else 'rows'}")


def check_stats(reader: DatasetReader, rep) -> None:
    """Add one report line per episode and feature whose recomputed stats differ from the stored ones."""
    from app.streaming.decoding import EpisodeVideos

    stored = stored_stats(reader)
    feats = reader.features
    names = [n for n in stats_features(feats) if feats[n].get("dtype") != "string"]
    numeric_cols = [n for n in names if feats[n]["dtype"] not in ("video", "image") and n != "timestamp"]
    rows = _Rows(reader, numeric_cols + ["frame_index"])
    videos = EpisodeVideos(reader)
    try:
        _compare(reader, rep, stored, names, rows, videos)
    finally:
        videos.close()


def _compare(reader, rep, stored, names, rows, videos) -> None:
    feats = reader.features
    lines = 0
    for ep in reader.episodes:
        have = stored.get(ep.index)
        if not have:
            rep.warnings.append(f"episode {ep.index}: meta/episodes has no statistics to compare")
            continue
        numeric = [n for n in names if feats[n]["dtype"] not in ("video", "image") and n in have]
        table = rows.episode(ep) if numeric else None
        for name in names:
            if name not in have:
                continue
            video = feats[name]["dtype"] in ("video", "image")
            if video:
                fresh = _video_stats(videos, reader, ep.index, name)
                keys = [k for k in VIDEO_KEYS if k in have[name]]
                if "count" in have[name] and int(have[name]["count"].reshape(-1)[0]) != int(fresh["count"][0]):
                    keys = ["count"] + keys
            else:
                fresh = numeric_stats(_numeric(table, name, reader.fps))
                keys = [k for k in ("count", "min", "max", "mean", "std") if k in have[name]]
            for k in keys:
                problem = _differs(name, k, have[name][k], fresh[k], video and k != "count")
                if problem:
                    lines += 1
                    if lines <= MAX_LINES:
                        rep.error(f"episode {ep.index}: {problem} (the data changed after it was recorded?)")
                    break
    if lines > MAX_LINES:
        rep.error(f"... and {lines - MAX_LINES} more episodes/features whose statistics differ")


__all__ = ["check_stats", "stored_stats", "KEYS"]
