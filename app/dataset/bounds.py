"""Checks that come before reading: info.json's values, and limits derived from a file's own bytes
(metadata size caps, parquet rows a file can hold), so hostile metadata raises DatasetError before
anything is allocated from it."""

from __future__ import annotations

import pyarrow.parquet as pq

from app.dataset import layout as L
from app.dataset.errors import DatasetError
from app.dataset.features import DEFAULT_FEATURES, check_features, video_keys

MAX_META_BYTES = 16 * 1024 * 1024   # info.json, stats.json: far above any real dataset's
# Fewest bytes a real parquet row takes (each row has a unique int64 index; an episodes row its
# indices, tasks and timestamps): a footer claiming more rows than its file can hold is hostile.
MIN_DATA_ROW_BYTES, MIN_EPISODE_ROW_BYTES = 0.25, 4


def read_capped(f, what: str, cap: int = MAX_META_BYTES) -> bytes:
    """The whole of a metadata file, refused when larger than `cap` (read no further than cap + 1)."""
    data = f.read(cap + 1)
    if len(data) > cap:
        raise DatasetError(f"{what} is larger than {cap // (1024 * 1024)} MB; a real one is a few KB. "
                           "Refusing to read it (corrupt or hostile dataset)")
    return data


def check_rows(rel: str, pf: pq.ParquetFile, size: int, most: int, min_row_bytes: float) -> int:
    """Rows the footer of `rel` claims, checked against its file size and what the metadata allows,
    before anything is read (a tiny file can claim millions of rows)."""
    rows = pf.metadata.num_rows
    if rows < 0 or rows > most:
        raise DatasetError(f"{rel}: its footer claims {rows} rows; the dataset's metadata allows at most {most}")
    if rows > size / min_row_bytes + 64:
        raise DatasetError(f"{rel}: its footer claims {rows} rows in a file of {size} bytes; "
                           "that cannot be real (corrupt or hostile file)")
    return rows


def load_info(info: dict) -> dict:
    """Check info.json before anything is built from it; returns it unchanged."""
    if not isinstance(info, dict):
        raise DatasetError("meta/info.json is not a JSON object")
    for key in ("codebase_version", "fps", "features"):
        if key not in info:
            raise DatasetError(f"meta/info.json lacks {key!r}")
    if info["codebase_version"] != L.CODEBASE_VERSION:
        raise DatasetError(f"codebase_version is {info['codebase_version']!r}; only v3.0 is supported "
                           "(convert v2.x datasets with lerobot first)")
    fps = info["fps"]
    if not isinstance(fps, int) or isinstance(fps, bool) or not 0 < fps <= 1000:
        raise DatasetError(f"fps {fps!r} is not a positive integer")
    for key, top in (("total_episodes", L.MAX_EPISODES), ("total_frames", L.MAX_FRAMES),
                     ("total_tasks", L.MAX_EPISODES), ("chunks_size", L.MAX_CHUNKS_SIZE)):
        v = info.get(key, 0 if key != "chunks_size" else L.DEFAULT_CHUNKS_SIZE)
        if not isinstance(v, int) or isinstance(v, bool) or v < 0 or v > top:
            raise DatasetError(f"{key} {v!r} is not plausible")
    if info.get("chunks_size", 1) <= 0:
        raise DatasetError("chunks_size must be positive")
    for key in ("data_files_size_in_mb", "video_files_size_in_mb"):
        v = info.get(key, 1)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v <= 0:
            raise DatasetError(f"{key} {v!r} must be a positive number")
    features = info["features"]
    check_features(features, allow_defaults=True)
    for name, ft in DEFAULT_FEATURES.items():
        if name not in features or features[name]["dtype"] != ft["dtype"]:
            raise DatasetError(f"default feature {name!r} is missing or not {ft['dtype']}")
    L.check_template(info.get("data_path") or "", "data_path", {"chunk_index", "file_index"})
    if video_keys(features):
        L.check_template(info.get("video_path") or "", "video_path", {"video_key", "chunk_index", "file_index"})
    return info


def unreadable(rel: str, f, exc: BaseException) -> Exception:
    """The error to raise for a parquet file pyarrow could not read: what the remote file saw (the
    Hub busy, a cut connection: pyarrow hides it behind its own message) when it saw something."""
    seen = getattr(f, "failure", None)
    if seen is not None:
        return seen
    return DatasetError(f"{rel} is not a readable parquet file: {str(exc)[:300]}")
