"""Types of every metadata value as lerobot 0.6.1 reads them, checked before anything uses them.

`check` runs these first, so a value of the wrong type (stats.json a list, `splits` a string, a
video's `info` a string, episode timestamps stored as strings) gives one line naming the file, the
key and what lerobot needs, instead of a traceback or a "valid" lerobot cannot load. Each function
returns a list of problems and never raises on a wrong type.
"""

from __future__ import annotations

import re

import pyarrow as pa

from app.dataset.features import data_columns, stats_features, video_keys
from app.dataset.stats import KEYS

_SPLIT = re.compile(r"^\d+:\d+$")
_MAX_LINES = 50            # one line per problem, but not 10,000 of them


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _name(v) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null",
            int: "an integer", float: "a number"}.get(type(v), type(v).__name__)


def info_types(info) -> list[str]:
    """info.json: top-level values and each feature, as lerobot's LeRobotDatasetMetadata reads them."""
    if not isinstance(info, dict):
        return [f"meta/info.json is {_name(info)}, lerobot needs an object"]
    out = []
    for key in ("fps", "total_episodes", "total_frames", "total_tasks", "chunks_size"):
        if key in info and not _is_int(info[key]):
            out.append(f"info.json: {key} is {_name(info[key])} ({str(info[key])[:40]}), lerobot needs an integer")
    for key in ("data_files_size_in_mb", "video_files_size_in_mb"):
        if key in info and not _is_num(info[key]):
            out.append(f"info.json: {key} is {_name(info[key])}, lerobot needs a number")
    for key in ("codebase_version", "data_path"):
        if key in info and not isinstance(info[key], str):
            out.append(f"info.json: {key} is {_name(info[key])}, lerobot needs a string")
    for key in ("video_path", "robot_type"):
        if info.get(key) is not None and not isinstance(info[key], str):
            out.append(f"info.json: {key} is {_name(info[key])}, lerobot needs a string or null")
    splits = info.get("splits", {})
    if not isinstance(splits, dict):
        out.append(f"info.json: splits is {_name(splits)}, lerobot needs an object like {{\"train\": \"0:10\"}}")
    else:
        for name, value in splits.items():
            if not isinstance(value, str) or not _SPLIT.match(value):
                out.append(f"info.json: splits.{name} is {str(value)[:40]!r}, lerobot needs \"start:end\"")
    features = info.get("features")
    if not isinstance(features, dict):
        out.append(f"info.json: features is {_name(features)}, lerobot needs an object")
        return out
    for name, ft in features.items():
        if not isinstance(ft, dict):
            out.append(f"info.json: feature {name} is {_name(ft)}, lerobot needs an object")
            continue
        if not isinstance(ft.get("dtype"), str):
            out.append(f"info.json: feature {name} dtype is {_name(ft.get('dtype'))}, lerobot needs a string")
        shape = ft.get("shape")
        if not isinstance(shape, list) or not all(_is_int(d) for d in shape):
            out.append(f"info.json: feature {name} shape is {str(shape)[:40]}, lerobot needs a list of integers")
        names = ft.get("names")
        if names is not None and not isinstance(names, (list, dict)):
            out.append(f"info.json: feature {name} names is {_name(names)}, lerobot needs a list, an object or null")
        if "info" in ft and ft["info"] is not None and not isinstance(ft["info"], dict):
            out.append(f"info.json: feature {name} info is {_name(ft['info'])}, lerobot needs an object")
        elif isinstance(ft.get("info"), dict):
            for k in ("video.fps", "video.height", "video.width"):
                if k in ft["info"] and not _is_num(ft["info"][k]):
                    out.append(f"info.json: feature {name} info.{k} is {_name(ft['info'][k])}, lerobot needs a number")
    return out[:_MAX_LINES]


def _numeric_nested(v, depth: int = 0) -> bool:
    if _is_num(v):
        return True
    return isinstance(v, list) and depth < 4 and bool(v) and all(_numeric_nested(x, depth + 1) for x in v)


def stats_types(stats, features: dict) -> list[str]:
    """stats.json: {feature: {stat: number or nested list of numbers}}, as lerobot's load_stats casts it."""
    if not isinstance(stats, dict):
        return [f"meta/stats.json is {_name(stats)}, lerobot needs an object of features"]
    out = []
    for name, s in stats.items():
        if not isinstance(s, dict):
            out.append(f"stats.json: {name} is {_name(s)}, lerobot needs an object of statistics")
            continue
        for k, v in s.items():
            if not _numeric_nested(v):
                out.append(f"stats.json: {name}/{k} is {str(v)[:40]!r}, lerobot needs numbers")
    return out[:_MAX_LINES]


def _kind(t: pa.DataType) -> str:
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return "list<" + _kind(t.value_type) + ">"
    if pa.types.is_floating(t):
        return "float"
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    return str(t)


def _expect(rel: str, schema: pa.Schema, wanted: dict[str, set[str]]) -> list[str]:
    out = []
    for col, kinds in wanted.items():
        i = schema.get_field_index(col)
        if i < 0:
            continue                          # a missing column is reported by the checks that need it
        got = _kind(schema.field(i).type)
        if got not in kinds:
            out.append(f"{rel}: column {col} holds {got}, lerobot needs {' or '.join(sorted(kinds))}")
    return out


_NUM = {"float", "int"}


def episodes_types(rel: str, schema: pa.Schema, features: dict) -> list[str]:
    wanted = {c: {"int"} for c in ("episode_index", "length", "data/chunk_index", "data/file_index",
                                   "dataset_from_index", "dataset_to_index", "meta/episodes/chunk_index",
                                   "meta/episodes/file_index")}
    wanted["tasks"] = {"list<string>"}
    for key in video_keys(features):
        wanted[f"videos/{key}/chunk_index"] = wanted[f"videos/{key}/file_index"] = {"int"}
        wanted[f"videos/{key}/from_timestamp"] = wanted[f"videos/{key}/to_timestamp"] = _NUM
    for key in stats_features(features):
        nested = features[key].get("dtype") in ("video", "image")
        for k in KEYS:
            image = nested and k != "count"
            wanted[f"stats/{key}/{k}"] = ({"list<list<list<float>>>", "list<list<list<int>>>"} if image
                                          else {"list<float>", "list<int>"})
    return _expect(rel, schema, wanted)[:_MAX_LINES]


def data_types(rel: str, schema: pa.Schema, features: dict) -> list[str]:
    wanted = {}
    for name in data_columns(features):
        ft = features[name]
        dtype = ft.get("dtype")
        kind = ("string" if dtype == "string" else "bool" if dtype == "bool"
                else "float" if str(dtype).startswith("float") else "int")
        wanted[name] = ({kind} if dtype == "string" else {kind, f"list<{kind}>"} if ft.get("shape") == [1]
                        else {f"list<{kind}>"})
    return _expect(rel, schema, wanted)[:_MAX_LINES]


def tasks_types(rel: str, schema: pa.Schema) -> list[str]:
    return _expect(rel, schema, {"task_index": {"int"}, "task": {"string"}})


def type_problems(fs, base: str) -> list[str]:
    """Every metadata type problem of the dataset at `base` on filesystem `fs` (JSON and parquet
    schemas only: nothing large is read). Unreadable files are left to the reader to report."""
    import json

    import pyarrow.parquet as pq

    from app.dataset import layout as L
    from app.dataset.bounds import read_capped

    def load(rel):
        with fs.open(f"{base}/{rel}", "rb") as f:
            return json.loads(read_capped(f, rel))

    def schemas(pattern):
        prefix = fs._strip_protocol(base).rstrip("/") + "/"
        for p in sorted(fs.glob(prefix + pattern))[:2000]:
            rel = fs._strip_protocol(p)[len(prefix):]
            try:
                with fs.open(f"{base}/{rel}", "rb") as f:
                    yield rel, pq.read_schema(f)
            except (pa.ArrowException, OSError):
                continue

    try:
        info = load(L.INFO_PATH)
    except Exception:           # missing, not JSON, too large: the reader says which
        return []
    out = info_types(info)
    features = info.get("features") if isinstance(info, dict) else None
    if not isinstance(features, dict) or any(not isinstance(v, dict) for v in features.values()):
        return out
    try:
        if fs.exists(f"{base}/{L.STATS_PATH}"):
            out += stats_types(load(L.STATS_PATH), features)
    except Exception:
        pass
    for rel, schema in schemas("meta/episodes/*/*.parquet"):
        out += episodes_types(rel, schema, features)
    for rel, schema in schemas("data/*/*.parquet"):
        out += data_types(rel, schema, features)
    for rel, schema in schemas("meta/tasks.parquet"):
        out += tasks_types(rel, schema)
    return out[:_MAX_LINES]
