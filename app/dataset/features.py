"""Feature dicts of info.json and their Arrow/`datasets` counterparts in the data parquet."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from app.dataset.errors import DatasetError
from app.dataset.layout import MAX_DIM, MAX_VECTOR, check_name

DEFAULT_FEATURES = {
    "timestamp": {"dtype": "float32", "shape": [1], "names": None},
    "frame_index": {"dtype": "int64", "shape": [1], "names": None},
    "episode_index": {"dtype": "int64", "shape": [1], "names": None},
    "index": {"dtype": "int64", "shape": [1], "names": None},
    "task_index": {"dtype": "int64", "shape": [1], "names": None},
}
VIDEO_NAMES = ["height", "width", "channels"]
_NUMERIC = {"float32", "float64", "float16", "int8", "int16", "int32", "int64", "uint8", "uint16",
            "uint32", "uint64", "bool"}


def make_features(joint_feature_names: list[str], cameras: dict[str, tuple[int, int]]) -> dict:
    """User features of an SO-101 style recording: action and state vectors plus one video per camera.

    `cameras` maps a camera name ("front") or a full key ("observation.images.front") to (height, width).
    """
    names = [str(n) for n in joint_feature_names]
    feats = {
        "action": {"dtype": "float32", "shape": [len(names)], "names": list(names)},
        "observation.state": {"dtype": "float32", "shape": [len(names)], "names": list(names)},
    }
    for cam, (h, w) in cameras.items():
        key = cam if cam.startswith("observation.images.") else f"observation.images.{cam}"
        feats[key] = {"dtype": "video", "shape": [int(h), int(w), 3], "names": list(VIDEO_NAMES)}
    return check_features(feats)


def check_features(features: dict, *, allow_defaults: bool = False) -> dict:
    """Refuse names with '/', unknown dtypes and absurd shapes; return the dict unchanged."""
    if not isinstance(features, dict) or not features:
        raise DatasetError("features must be a non-empty dict")
    for name, ft in features.items():
        check_name(name)
        if name in DEFAULT_FEATURES and not allow_defaults:
            raise DatasetError(f"feature {name!r} is added by the dataset itself; do not supply it")
        if not isinstance(ft, dict) or "dtype" not in ft or "shape" not in ft:
            raise DatasetError(f"feature {name!r} needs 'dtype' and 'shape'")
        shape = ft["shape"]
        if not isinstance(shape, (list, tuple)) or not shape or \
                not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape):
            raise DatasetError(f"feature {name!r} has an invalid shape {shape!r}")
        dtype = ft["dtype"]
        if not isinstance(dtype, str):
            raise DatasetError(f"feature {name!r} has a dtype that is not a string: {str(dtype)[:40]}")
        if dtype in ("video", "image"):
            if len(shape) != 3 or shape[2] not in (1, 3) or max(shape[:2]) > MAX_DIM:
                raise DatasetError(f"feature {name!r}: {dtype} shape must be [H, W, 3], got {shape}")
        elif dtype in _NUMERIC:
            if len(shape) != 1 or shape[0] > MAX_VECTOR:
                raise DatasetError(f"feature {name!r}: only 1-D numeric shapes are supported, got {shape}")
        elif dtype != "string":
            raise DatasetError(f"feature {name!r} has unsupported dtype {dtype!r}")
    return features


def all_features(user_features: dict) -> dict:
    """User features followed by the five defaults, as info.json lists them."""
    return {**user_features, **{k: dict(v) for k, v in DEFAULT_FEATURES.items()}}


def video_keys(features: dict) -> list[str]:
    return [k for k, ft in features.items() if ft.get("dtype") == "video"]


def data_columns(features: dict) -> list[str]:
    """Columns of the data parquet: every feature stored in it, in features order."""
    return [k for k, ft in features.items() if ft.get("dtype") not in ("video", "language")]


def stats_features(features: dict) -> list[str]:
    """Features that carry statistics (everything but strings)."""
    return [k for k, ft in features.items() if ft.get("dtype") not in ("string", "language")]


def _arrow_scalar(dtype: str) -> pa.DataType:
    return pa.string() if dtype == "string" else pa.from_numpy_dtype(np.dtype(dtype))


def arrow_schema(features: dict) -> pa.Schema:
    """Schema of the data parquet, with the `huggingface` metadata `datasets` uses to restore types."""
    fields, hf = [], {}
    for name in data_columns(features):
        ft = features[name]
        if ft["dtype"] == "image":
            raise DatasetError(f"image features ({name}) are not supported by this writer; use video")
        scalar = _arrow_scalar(ft["dtype"])
        value = {"dtype": ft["dtype"], "_type": "Value"}
        if ft["shape"] == [1] or ft["dtype"] == "string":
            fields.append(pa.field(name, scalar))
            hf[name] = value
        else:
            fields.append(pa.field(name, pa.list_(pa.field("element", scalar), ft["shape"][0])))
            hf[name] = {"feature": value, "length": ft["shape"][0], "_type": "List"}
    meta = {"info": {"features": hf}, "fingerprint": "5e1e0b57d10ca7ed"}
    return pa.schema(fields, metadata={"huggingface": json.dumps(meta)})


def column_array(values: np.ndarray, field: pa.Field) -> pa.Array:
    """Arrow array for one column from an (L,) or (L, n) numpy array."""
    if pa.types.is_fixed_size_list(field.type):
        n = field.type.list_size
        flat = np.ascontiguousarray(values, dtype=field.type.value_type.to_pandas_dtype()).reshape(-1)
        if flat.size % n:
            raise DatasetError(f"column {field.name}: values do not have {n} elements per row")
        return pa.FixedSizeListArray.from_arrays(pa.array(flat, type=field.type.value_type), n)
    if pa.types.is_string(field.type):
        return pa.array([str(v) for v in values], type=pa.string())
    return pa.array(np.asarray(values).reshape(-1), type=field.type)


def _describe(ft: dict) -> str:
    shape = ft.get("shape") or []
    if ft.get("dtype") in ("video", "image") and len(shape) == 3:
        return f"a {shape[1]}x{shape[0]} camera"
    return f"{shape[0] if shape else '?'} values" if ft.get("dtype") != "string" else "text"


def describe_mismatch(dataset: dict, wanted: dict) -> str | None:
    """What differs between a dataset's features and the ones a new take would record, in words, or
    None when the take fits. E.g. "observation.images.front is a 640x480 camera in the dataset, the
    take would record a 320x240 camera". The five default features every dataset has are left out."""
    have = {k: v for k, v in dataset.items() if k not in DEFAULT_FEATURES}
    want = {k: v for k, v in wanted.items() if k not in DEFAULT_FEATURES}
    parts = []
    for name in sorted(set(have) | set(want)):
        a, b = have.get(name), want.get(name)
        if a is None:
            parts.append(f"{name} ({_describe(b)}) is not in the dataset")
        elif b is None:
            parts.append(f"{name} ({_describe(a)}) is in the dataset but not chosen for this take")
        elif a.get("dtype") != b.get("dtype") or list(a.get("shape") or []) != list(b.get("shape") or []):
            parts.append(f"{name} is {_describe(a)} in the dataset, the take would record {_describe(b)}")
    return "; ".join(parts) or None
