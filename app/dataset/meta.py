"""Metadata files: info.json, tasks.parquet (with the pandas metadata lerobot needs), episodes rows."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from app.dataset.features import stats_features, video_keys
from app.dataset.stats import KEYS

TASKS_PANDAS_META = {
    "index_columns": ["task"],
    "column_indexes": [{"name": None, "field_name": None, "pandas_type": "unicode", "numpy_type": "object",
                        "metadata": {"encoding": "UTF-8"}}],
    "columns": [
        {"name": "task_index", "field_name": "task_index", "pandas_type": "int64", "numpy_type": "int64",
         "metadata": None},
        {"name": "task", "field_name": "task", "pandas_type": "unicode", "numpy_type": "object", "metadata": None},
    ],
    "attributes": {}, "creator": {"library": "pyarrow", "version": pa.__version__}, "pandas_version": "2.3.3",
}
INFO_KEYS = ("codebase_version", "fps", "features", "total_episodes", "total_frames", "total_tasks",
             "chunks_size", "data_files_size_in_mb", "video_files_size_in_mb", "data_path", "video_path",
             "robot_type", "splits")


def tasks_table(tasks: list[str]) -> pa.Table:
    schema = pa.schema([("task_index", pa.int64()), ("task", pa.string())],
                       metadata={"pandas": json.dumps(TASKS_PANDAS_META)})
    return pa.table({"task_index": pa.array(range(len(tasks)), pa.int64()), "task": pa.array(tasks, pa.string())},
                    schema=schema)


def info_json(info: dict) -> bytes:
    ordered = {k: info[k] for k in INFO_KEYS if k in info}
    ordered.update({k: v for k, v in info.items() if k not in ordered})
    return json.dumps(ordered, indent=4).encode()


def episodes_schema(features: dict) -> pa.Schema:
    """Columns of meta/episodes/*.parquet in lerobot's order (no schema metadata)."""
    cols = [("episode_index", pa.int64()), ("tasks", pa.list_(pa.string())), ("length", pa.int64()),
            ("data/chunk_index", pa.int64()), ("data/file_index", pa.int64()),
            ("dataset_from_index", pa.int64()), ("dataset_to_index", pa.int64())]
    for key in video_keys(features):
        cols += [(f"videos/{key}/chunk_index", pa.int64()), (f"videos/{key}/file_index", pa.int64()),
                 (f"videos/{key}/from_timestamp", pa.float64()), (f"videos/{key}/to_timestamp", pa.float64())]
    for key in stats_features(features):
        nested = features[key]["dtype"] in ("video", "image")
        value = pa.list_(pa.list_(pa.list_(pa.float64()))) if nested else pa.list_(pa.float64())
        for stat in KEYS:
            cols.append((f"stats/{key}/{stat}", pa.list_(pa.int64()) if stat == "count" else value))
    cols += [("meta/episodes/chunk_index", pa.int64()), ("meta/episodes/file_index", pa.int64())]
    return pa.schema(cols)


def stats_columns(ep_stats: dict) -> dict:
    return {f"stats/{feat}/{k}": np.asarray(v).tolist() for feat, s in ep_stats.items() for k, v in s.items()}
