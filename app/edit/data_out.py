"""An edit's data files (data/chunk-*/file-*.parquet): each episode's rows appended as a row group,
rolling over at the writer's size rule (size + size/rows * episode_rows >= data_files_size_in_mb).

A source data file whose rows the edit leaves exactly as they were (every episode kept, in order,
with the same index, episode_index and task_index: the first dataset of a merge, the files before
a delete's first cut) is copied whole instead of being rewritten (`unchanged_file`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from app.dataset import layout as L
from app.dataset.errors import DatasetError
from app.edit.plan import Plan, kept_whole


class DataOut:
    def __init__(self, root: Path, info: dict, schema: pa.Schema):
        self.root, self.info, self.schema = root, info, schema
        self.limit = info.get("data_files_size_in_mb", L.DEFAULT_DATA_MB) * L.MB
        self.chunk = self.file = -1
        self.writer = self.handle = None
        self.whole = False           # the current file is a copied source file: nothing is appended
        self.rows = 0
        self.files = 0

    def _next(self) -> Path:
        self.close()
        if self.chunk < 0:
            self.chunk, self.file = 0, 0
        else:
            self.chunk, self.file = L.next_file(self.chunk, self.file,
                                                self.info.get("chunks_size", L.DEFAULT_CHUNKS_SIZE))
        path = self.root / L.data_path(self.info, self.chunk, self.file)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.files += 1
        return path

    def add(self, table: pa.Table) -> tuple[int, int]:
        n = table.num_rows
        if self.writer is not None:
            size = self.handle.tell()
            if self.rows and size + size / self.rows * n >= self.limit:
                self.close()
        if self.writer is None:
            # a fresh output starts at file 0; after a closed or copied file, the next one
            path = self._next()
            self.handle = open(path, "wb")
            self.writer = pq.ParquetWriter(self.handle, self.schema, compression="snappy")
            self.rows, self.whole = 0, False
        self.writer.write_table(table)
        self.rows += n
        return self.chunk, self.file

    def add_whole(self, copy_to) -> tuple[int, int]:
        """A source file kept as it is: copy_to(path) writes it as the next file."""
        copy_to(self._next())
        self.whole = True
        return self.chunk, self.file

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.handle.close()
            self.writer = self.handle = None


def data_runs(plan: Plan) -> dict[int, int]:
    """Picks that may take their rows from a source data file copied whole: the file is kept whole
    (kept_whole) and nothing renames or drops anything. -> {pick position: the file's first pick}."""
    if plan.rename_task is not None or plan.drop_features:
        return {}
    runs = kept_whole(plan, lambda ep: (ep.data_file, ep.from_index))
    return {i: first for i, first in runs.items()
            if plan.picks[i].task is None and plan.picks[i].episode == i}   # episode_index stays


def unchanged_file(reader, rel: str, first_index: int, rows: int, total: int, schema: pa.Schema,
                   tasks: dict[str, int]) -> np.ndarray | None:
    """The file's task_index column when its rows need no change where they land: its index column
    runs first_index.. with no other rows, first_index == total (rows written so far), same schema,
    and each of its tasks gets the number it has (tasks: the output's tasks so far). Else None."""
    if first_index != total:
        return None
    with reader.open(rel) as f:
        try:
            pf = pq.ParquetFile(f)
            if pf.metadata.num_rows != rows or not pf.schema_arrow.remove_metadata().equals(schema):
                return None
            table = pf.read(columns=["index", "task_index"], use_threads=False)
        except (pa.ArrowInvalid, OSError) as exc:
            raise DatasetError(f"{rel} is not a readable parquet file: {exc}") from exc
    index = table.column("index").to_numpy()
    if not np.array_equal(index, np.arange(total, total + rows, dtype=index.dtype)):
        return None
    task_index = table.column("task_index").to_numpy()
    known = dict(tasks)
    _, first = np.unique(task_index, return_index=True)
    for t in task_index[np.sort(first)].tolist():
        if not 0 <= t < len(reader.tasks) or known.setdefault(reader.tasks[t], len(known)) != t:
            return None
    return task_index


def copy_unchanged(data: DataOut, reader, plan: Plan, i: int, runs: dict, total: int, schema: pa.Schema,
                   tasks: dict, copy) -> tuple | None:
    """Copy the source data file that picks i.. keep whole (copy(reader, rel, path)), if its rows need
    no change. -> (chunk, file, its task_index column, its first index), or None."""
    eps = [plan.sources[plan.picks[j].source].reader.episodes[plan.picks[j].episode]
           for j in range(i, len(plan.picks)) if runs.get(j) == i]
    rel, first, rows = eps[0].data_file, eps[0].from_index, sum(e.length for e in eps)
    task_col = unchanged_file(reader, rel, first, rows, total, schema, tasks)
    if task_col is None:
        return None
    chunk, file = data.add_whole(lambda path: copy(reader, rel, path))
    return chunk, file, task_col, first
