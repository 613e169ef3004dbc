"""Episode rows for an edit. From a local disk a data file is read once and sliced per episode (an
edit walks episodes in file order, and parsing a footer of hundreds of row groups per episode
dominated a delete); from a remote filesystem each episode's row groups are range-read
(DatasetReader.read_episode), so only the rows needed cross the network."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from app.dataset.errors import DatasetError
from app.dataset.reader import DatasetReader


def is_local(fs) -> bool:
    proto = getattr(fs, "protocol", "")
    return "file" in (proto if isinstance(proto, (tuple, list)) else (proto,))


class EpisodeRows:
    def __init__(self, reader: DatasetReader):
        self.reader, self.local = reader, is_local(reader.fs)
        self.path: str | None = None
        self.table: pa.Table | None = None
        self.index: np.ndarray | None = None

    def read(self, e: int) -> pa.Table:
        if not self.local:
            return self.reader.read_episode(e)
        ep = self.reader.episodes[e]
        if ep.data_file != self.path:
            with self.reader.open(ep.data_file) as f:
                try:
                    self.table = pq.read_table(f, use_threads=False)   # faster for many small row groups
                except (pa.ArrowInvalid, OSError) as exc:
                    raise DatasetError(f"{ep.data_file} is not a readable parquet file: {exc}") from exc
            self.path = ep.data_file
            self.index = self.table.column("index").to_numpy()
        lo = int(np.searchsorted(self.index, ep.from_index))
        rows = self.table.slice(lo, ep.length)
        if rows.num_rows != ep.length or (ep.length and self.index[lo] != ep.from_index) \
                or (ep.length and self.index[lo + ep.length - 1] != ep.to_index - 1):
            return self.reader.read_episode(e)      # rows not in index order: let the reader filter
        return rows
