"""An edit's input: a local dataset folder or a Hub repo id, opened as a DatasetReader.

Hub sources go through app.hub.remote_fs (range reads into the studio's cache), so an edit fetches
the metadata, the data row groups of the episodes it keeps and the video samples it copies: never a
whole snapshot. Per-episode statistics come from the `stats/*` columns of meta/episodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from app.dataset.errors import DatasetError
from app.dataset.reader import DatasetReader


@dataclass
class Source:
    reader: DatasetReader
    label: str                    # what the user typed: a folder or owner/name@revision
    local_root: Path | None       # None for Hub sources
    commit: str = ""              # Hub commit sha ("" for local folders)

    @property
    def repo_id(self) -> str:
        return self.label.split("@")[0] if self.local_root is None else self.local_root.name

    def close(self) -> None:
        self.reader.close()


def looks_like_repo_id(spec: str) -> bool:
    """owner/name that is not an existing folder (a relative path like data/x that exists wins)."""
    return spec.count("/") == 1 and not spec.startswith((".", "/", "~")) and not Path(spec).exists()


def open_source(spec: str, revision: str | None = None, endpoint: str | None = None, cache=None) -> Source:
    """Open SRC: a dataset folder, or a Hub repo id (optionally owner/name@revision)."""
    spec = str(spec)
    if looks_like_repo_id(spec.split("@")[0]):
        from app.hub.range_cache import RangeCache
        from app.hub.remote_fs import DEFAULT_REVISION, open_hub_dataset

        repo_id, _, rev = spec.partition("@")
        rev = revision or rev or DEFAULT_REVISION
        fs = open_hub_dataset(repo_id, rev, cache=cache or RangeCache(), endpoint=endpoint)
        return Source(DatasetReader(fs.root, fs), f"{repo_id}@{rev}", None, fs.manifest.commit)
    from app.edit.inplace import recover_swap

    root = Path(spec).expanduser()
    recover_swap(root)
    if not (root / "meta" / "info.json").is_file():
        raise DatasetError(f"{root} is not a dataset folder (meta/info.json is missing) nor a Hub repo id")
    return Source(DatasetReader(root), str(root), root.resolve())


def episode_stats(reader: DatasetReader) -> list[dict]:
    """Per-episode stats from meta/episodes (`stats/<feature>/<stat>` columns), one dict per episode:
    {feature: {stat: ndarray}}. Features without stats columns are absent."""
    out: list[dict] = []
    for rel in reader.glob("meta/episodes/*/*.parquet"):
        with reader.open(rel) as f:
            try:
                pf = pq.ParquetFile(f)
                cols = [c for c in pf.schema_arrow.names if c.startswith("stats/") or c == "episode_index"]
                table = pf.read(columns=cols)
            except (pa.ArrowInvalid, OSError) as exc:
                raise DatasetError(f"{rel} is not a readable parquet file: {exc}") from exc
        names = [c for c in table.column_names if c.startswith("stats/") and c.count("/") >= 2]
        columns = [(*c[len("stats/"):].rsplit("/", 1), _rows(table.column(c), c.endswith("/count")))
                   for c in names]
        feats = list(dict.fromkeys(f for f, _, _ in columns))
        for row in range(table.num_rows):
            ep: dict = {f: {} for f in feats}
            for feat, stat, values in columns:
                if values[row] is not None:
                    ep[feat][stat] = values[row]
            out.append({f: v for f, v in ep.items() if v})
    if len(out) != len(reader.episodes):
        raise DatasetError(f"meta/episodes holds {len(out)} stats rows for {len(reader.episodes)} episodes")
    return out


def _rows(column: pa.ChunkedArray, count: bool) -> list:
    """One numpy array per row of a stats column (list, or list of lists for images), read as one
    block when every row has the same shape, row by row otherwise (nulls, ragged lists)."""
    dtype = np.int64 if count else np.float64
    arr = column.combine_chunks()
    shape, flat = [], arr
    while pa.types.is_list(flat.type) or pa.types.is_large_list(flat.type) or pa.types.is_fixed_size_list(flat.type):
        if flat.null_count:
            break
        lengths = flat.value_lengths().to_numpy(zero_copy_only=False) if not pa.types.is_fixed_size_list(flat.type) \
            else np.full(len(flat), flat.type.list_size)
        if len(lengths) == 0 or (lengths != lengths[0]).any():
            break
        shape.append(int(lengths[0]))
        flat = flat.flatten()
    else:
        if not flat.null_count and shape:
            block = flat.to_numpy(zero_copy_only=False).astype(dtype).reshape([len(arr)] + shape)
            return list(block)
    return [None if v is None else np.asarray(v, dtype=dtype) for v in arr.to_pylist()]
