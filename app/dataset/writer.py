"""DatasetWriter: create or open a LeRobot v3.0 dataset and append whole episodes, one atomic commit each.

The commit protocol and crash recovery are described in app/dataset/commit.py. Per episode the writer
rewrites the current data parquet (existing row groups copied one by one, the episode as its own row
group; no ParquetWriter stays open between episodes), remuxes each camera's mp4 with the episode's
segment appended, rewrites the current episodes-metadata parquet, stats.json and info.json.
Rollover follows the format spec (size checks before appending; cameras independent). Appending after
`open()` continues the last files (lerobot's resume starts new ones; both are valid v3.0).
"""

from __future__ import annotations

import io
import json
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from app.dataset import layout as L
from app.dataset.commit import Commit, WriterLock, dataset_path, recover
from app.dataset.errors import DatasetError
from app.dataset.features import all_features, arrow_schema, check_features, column_array, data_columns, video_keys
from app.dataset.meta import episodes_schema, info_json, stats_columns, tasks_table
from app.dataset.stats import aggregate, from_json, numeric_stats, to_json
from app.dataset.verify import verify_segment
from app.dataset.video import (
    SegmentInfo,
    VideoSettings,
    can_concatenate,
    concat_into,
    encode_segment,
    info_block,
)

_ORDER = (("data/", 0), ("videos/", 1), ("meta/tasks", 2), ("meta/episodes", 3), ("meta/stats", 4),
          (".studio/", 5), ("meta/info", 6))


def _rename_order(rel: str) -> int:
    return next((rank for prefix, rank in _ORDER if rel.startswith(prefix)), 5)


@dataclass
class Episode:
    task: str | list[str]                       # one task, or one task string per frame
    data: dict[str, np.ndarray]                 # feature -> (L, n) array
    videos: dict[str, object] = field(default_factory=dict)  # video_key -> Path of a segment or frames


class DatasetWriter:
    def __init__(self, root: Path, info: dict, video: VideoSettings | None):
        self.root = Path(root)
        self.info = info
        self.video = video
        self._lock = threading.Lock()
        self._flock = WriterLock(self.root)
        if not self._flock.acquire():
            raise DatasetError(f"{self.root} is already open for writing by another process")
        try:
            recover(self.root, locked=True)     # only a writer finishes an interrupted commit
            self._load()
        except BaseException:
            self._flock.release()
            raise
        if self.video is None:
            blocks = [f["info"] for f in self.features.values() if f.get("dtype") == "video" and f.get("info")]
            self.video = VideoSettings.from_info(blocks[0]) if blocks else VideoSettings()

    # ---------------------------------------------------------------- create / open
    @classmethod
    def create(cls, root, repo_id: str, fps: int, features: dict, robot_type: str | None = "so_follower",
               video: VideoSettings | None = None, data_files_size_in_mb: float = L.DEFAULT_DATA_MB,
               video_files_size_in_mb: float = L.DEFAULT_VIDEO_MB, chunks_size: int = L.DEFAULT_CHUNKS_SIZE
               ) -> "DatasetWriter":
        root = Path(root)
        if (root / L.INFO_PATH).exists():
            raise DatasetError(f"{root} already holds a dataset; open it to append")
        if not isinstance(fps, int) or not 0 < fps <= 1000:
            raise DatasetError(f"fps must be a positive integer, got {fps!r}")
        if min(data_files_size_in_mb, video_files_size_in_mb) <= 0 or not 0 < chunks_size <= L.MAX_CHUNKS_SIZE:
            raise DatasetError("file size limits and chunks_size must be positive")
        user = check_features({k: dict(v) for k, v in features.items()})
        has_video = bool(video_keys(user))
        info = {"codebase_version": L.CODEBASE_VERSION, "fps": fps, "features": all_features(user),
                "total_episodes": 0, "total_frames": 0, "total_tasks": 0, "chunks_size": chunks_size,
                "data_files_size_in_mb": data_files_size_in_mb, "video_files_size_in_mb": video_files_size_in_mb,
                "data_path": L.DATA_PATH, "video_path": L.VIDEO_PATH if has_video else None,
                "robot_type": robot_type, "splits": {}, "repo_id": repo_id}
        info.pop("repo_id")  # lerobot keeps repo_id out of info.json; the studio records it in .studio
        (root / L.STUDIO_DIR).mkdir(parents=True, exist_ok=True)
        w = cls.__new__(cls)
        w.root, w.info, w.video = root, info, video or VideoSettings()
        w._lock, w._flock = threading.Lock(), WriterLock(root)
        if not w._flock.acquire():
            raise DatasetError(f"{root} is being written by another process")
        commit = Commit(root)
        commit.stage_bytes(L.COMMITS_PATH, json.dumps({"repo_id": repo_id, "sources": {}}).encode())
        commit.stage_bytes(L.INFO_PATH, info_json(info))
        commit.apply(_rename_order)
        w._load()
        return w

    @classmethod
    def open(cls, root, video: VideoSettings | None = None) -> "DatasetWriter":
        root = Path(root)
        if not (root / L.INFO_PATH).exists() and not (root / L.INTENT_PATH).exists():
            raise DatasetError(f"{root} is not a dataset (meta/info.json is missing)")
        return cls(root, {}, video)  # video None: keep encoding as the dataset was encoded so far

    def _load(self) -> None:
        from app.dataset.bounds import load_info, read_capped  # shared validation of info.json
        from app.dataset.schema_check import stats_types
        self.info = load_info(self._meta_json(L.INFO_PATH, read_capped))
        self.features = self.info["features"]
        self.fps = self.info["fps"]
        self.tasks: list[str] = []
        if (self.root / L.TASKS_PATH).exists():
            tasks = self._parquet(L.TASKS_PATH, self.info.get("total_tasks", 0) + 1000)
            try:
                self.tasks = [str(t) for t in tasks.column("task").to_pylist()]
            except (KeyError, ValueError) as exc:     # no task column, or text that is not UTF-8
                raise DatasetError(f"meta/tasks.parquet has no readable task column ({str(exc)[:120]})") from None
        self.stats = {}
        if (self.root / L.STATS_PATH).exists():
            raw = self._meta_json(L.STATS_PATH, read_capped)
            wrong = stats_types(raw, self.features)
            if wrong:
                raise DatasetError(f"{wrong[0]}; run `teleop-studio check` on the dataset")
            self.stats = from_json(raw)
        try:
            self.commits = self._meta_json(L.COMMITS_PATH, read_capped)
        except (OSError, DatasetError):
            self.commits = {"sources": {}}
        if not isinstance(self.commits, dict) or not isinstance(self.commits.get("sources", {}), dict):
            self.commits = {"sources": {}}
        files = sorted((self.root / "meta" / "episodes").glob("*/*.parquet"))
        self._ep_file = files[-1] if files else None
        rel = self._ep_file.relative_to(self.root).as_posix() if files else None
        self._ep_table = self._parquet(rel, self.info["total_episodes"] + 1) if files else None
        self._last = self._ep_table.slice(self._ep_table.num_rows - 1).to_pylist()[0] if files else None
        if self.info["total_episodes"] and (self._last is None or
                                            self._last["episode_index"] != self.info["total_episodes"] - 1):
            raise DatasetError("meta/episodes does not end with the last episode of info.json")

    def _parquet(self, rel: str, most_rows: int) -> pa.Table:
        from app.dataset.bounds import MIN_EPISODE_ROW_BYTES, check_rows
        path = dataset_path(self.root, rel)
        try:
            with open(path, "rb") as f:
                pf = pq.ParquetFile(f)
                check_rows(rel, pf, path.stat().st_size, most_rows, MIN_EPISODE_ROW_BYTES)
                return pf.read()
        except (pa.ArrowException, OSError) as exc:
            raise DatasetError(f"{rel} is not a readable parquet file: {str(exc)[:200]}") from None

    def _meta_json(self, rel: str, read_capped):
        try:
            with open(dataset_path(self.root, rel), "rb") as f:
                return json.loads(read_capped(f, rel))
        except (ValueError, RecursionError) as exc:
            raise DatasetError(f"{rel} is not valid JSON: {str(exc)[:200]}") from None

    def close(self) -> None:
        self._flock.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def committed_sources(self) -> set[str]:
        return set(self.commits.get("sources", {}))

    @property
    def total_episodes(self) -> int:
        return self.info["total_episodes"]

    # ---------------------------------------------------------------- add_episode
    def add_episode(self, episode: Episode, source_id: str | None = None) -> int:
        if source_id is not None and source_id in self.commits.get("sources", {}):
            return int(self.commits["sources"][source_id])
        length, columns = self._check_data(episode)
        task_list = [episode.task] * length if isinstance(episode.task, str) else [str(t) for t in episode.task]
        if len(task_list) != length or not all(task_list):
            raise DatasetError("give one task, or one non-empty task per frame")
        scratch = dataset_path(self.root, f"{L.STUDIO_DIR}/segments/{uuid.uuid4().hex}")
        try:
            segments = self._segments(episode, length, scratch)
            with self._lock:
                if source_id is not None and source_id in self.commits.get("sources", {}):
                    return int(self.commits["sources"][source_id])
                return self._commit(length, columns, task_list, segments, source_id)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _check_data(self, episode: Episode) -> tuple[int, dict]:
        wanted = [c for c in data_columns(self.features) if c not in
                  ("timestamp", "frame_index", "episode_index", "index", "task_index")]
        missing = set(wanted) - set(episode.data)
        if missing:
            raise DatasetError(f"episode data lacks {sorted(missing)}")
        extra = set(episode.data) - set(wanted)
        if extra:
            raise DatasetError(f"episode data has unknown features {sorted(extra)}")
        lengths = set()
        cols = {}
        for name in wanted:
            ft = self.features[name]
            arr = np.asarray(episode.data[name], dtype=np.dtype(ft["dtype"]))
            if arr.ndim == 1 and ft["shape"] == [1]:
                arr = arr.reshape(-1, 1)
            if arr.ndim != 2 or arr.shape[1] != ft["shape"][0]:
                raise DatasetError(f"{name}: expected shape (L, {ft['shape'][0]}), got {arr.shape}")
            if not np.all(np.isfinite(arr)) and arr.dtype.kind == "f":
                raise DatasetError(f"{name} holds NaN or infinite values")
            lengths.add(len(arr))
            cols[name] = arr
        if set(video_keys(self.features)) != set(episode.videos):
            raise DatasetError(f"episode videos must be exactly {video_keys(self.features)}")
        if len(lengths) > 1:
            raise DatasetError(f"features have different lengths: {sorted(lengths)}")
        length = lengths.pop() if lengths else 0
        if length <= 0:
            raise DatasetError("an episode needs at least one frame")
        return length, cols

    def _segments(self, episode: Episode, length: int, scratch: Path) -> dict[str, SegmentInfo]:
        out = {}
        for key, src in episode.videos.items():
            h, w = self.features[key]["shape"][:2]
            if isinstance(src, SegmentInfo):  # verified by whoever encoded it (see verify_segment)
                seg = src
                if seg.frames != length or seg.stats is None or not Path(seg.path).is_file():
                    raise DatasetError(f"{key}: the verified segment does not match {length} data rows")
            elif isinstance(src, (str, Path)):
                has_stats = Path(str(src) + ".stats.json").exists()
                seg = verify_segment(Path(src), length, self.fps, with_stats=not has_stats)
            else:
                seg = encode_segment(src, scratch / f"{key}.mp4", self.fps, self.video, length=length)
                if seg.frames != length:
                    raise DatasetError(f"{key}: {seg.frames} frames for {length} data rows")
            if (seg.height, seg.width) != (h, w):
                raise DatasetError(f"{key}: video is {seg.width}x{seg.height}, the dataset expects {w}x{h}")
            out[key] = seg
        return out

    def _commit(self, length, columns, task_list, segments, source_id) -> int:
        info, fps = json.loads(json.dumps(self.info)), self.fps
        ep_idx, start = info["total_episodes"], info["total_frames"]
        tasks = list(self.tasks)
        for t in task_list:
            if t not in tasks:
                tasks.append(t)
        tidx = np.array([tasks.index(t) for t in task_list], dtype=np.int64) if len(set(task_list)) > 1 \
            else np.full(length, tasks.index(task_list[0]), dtype=np.int64)
        frame_index = np.arange(length, dtype=np.int64)
        columns = {**columns, "timestamp": (frame_index / fps).astype(np.float32), "frame_index": frame_index,
                   "episode_index": np.full(length, ep_idx, dtype=np.int64),
                   "index": np.arange(start, start + length, dtype=np.int64), "task_index": tidx}
        ep_stats = {name: numeric_stats(columns[name] if name != "timestamp" else frame_index / fps)
                    for name in data_columns(self.features) if self.features[name]["dtype"] != "string"}
        commit = Commit(self.root)
        row = {"episode_index": ep_idx, "tasks": list(dict.fromkeys(task_list)), "length": length}
        row.update(self._stage_data(commit, columns, length))
        row["dataset_from_index"], row["dataset_to_index"] = start, start + length
        for key, seg in segments.items():
            row.update(self._stage_video(commit, key, seg))
            if seg.stats is None:
                raise DatasetError(f"{key}: no image statistics for the segment")
            ep_stats[key] = seg.stats
            if "info" not in info["features"][key]:
                info["features"][key]["info"] = info_block(seg, self.video)
        ordered = {k: ep_stats[k] for k in info["features"] if k in ep_stats}
        row.update(stats_columns(ordered))
        self._stage_episodes_row(commit, row, info["features"])
        if len(tasks) != len(self.tasks):
            buf = io.BytesIO()
            pq.write_table(tasks_table(tasks), buf)
            commit.stage_bytes(L.TASKS_PATH, buf.getvalue())
        new_stats = {k: (aggregate([self.stats[k], s]) if k in self.stats else aggregate([s]))
                     for k, s in ordered.items()}
        commit.stage_bytes(L.STATS_PATH, json.dumps(to_json(new_stats), indent=4).encode())
        commits = json.loads(json.dumps(self.commits))
        if source_id is not None:
            commits.setdefault("sources", {})[source_id] = ep_idx
        commit.stage_bytes(L.COMMITS_PATH, json.dumps(commits).encode())
        info.update(total_episodes=ep_idx + 1, total_frames=start + length, total_tasks=len(tasks),
                    splits={"train": f"0:{ep_idx + 1}"})
        commit.stage_bytes(L.INFO_PATH, info_json(info))
        commit.apply(_rename_order)
        self.commits = commits
        self._load()
        return ep_idx

    def _stage_data(self, commit: Commit, columns: dict, length: int) -> dict:
        schema = arrow_schema(self.features)
        table = pa.Table.from_arrays([column_array(columns[f.name], f) for f in schema], schema=schema)
        limit = self.info["data_files_size_in_mb"] * L.MB
        chunk, file, existing = 0, 0, None
        if self._last is not None:
            chunk, file = self._last["data/chunk_index"], self._last["data/file_index"]
            path = self.root / L.data_path(self.info, chunk, file)
            size = path.stat().st_size
            pf = pq.ParquetFile(path)
            rows = pf.metadata.num_rows
            compatible = pf.schema_arrow.remove_metadata().equals(schema.remove_metadata())
            if not compatible or (rows and size + size / rows * length >= limit):
                chunk, file = L.next_file(chunk, file, self.info["chunks_size"])
            else:
                existing = pf
        rel = L.data_path(self.info, chunk, file)
        tmp = commit.stage(rel)
        with pq.ParquetWriter(tmp, schema, compression="snappy") as w:
            if existing is not None:
                for i in range(existing.num_row_groups):
                    w.write_table(existing.read_row_group(i).cast(schema))
            w.write_table(table)
        commit.staged(rel, tmp)
        return {"data/chunk_index": chunk, "data/file_index": file}

    def _stage_video(self, commit: Commit, key: str, seg: SegmentInfo) -> dict:
        limit = self.info["video_files_size_in_mb"] * L.MB
        chunk, file, current, from_ts = 0, 0, None, 0.0
        if self._last is not None and f"videos/{key}/chunk_index" in self._last:
            chunk, file = self._last[f"videos/{key}/chunk_index"], self._last[f"videos/{key}/file_index"]
            path = self.root / L.video_path(self.info, key, chunk, file)
            if path.stat().st_size + seg.size_bytes >= limit or not can_concatenate(path, seg.path):
                chunk, file = L.next_file(chunk, file, self.info["chunks_size"])
            else:
                current, from_ts = path, float(self._last[f"videos/{key}/to_timestamp"])
        rel = L.video_path(self.info, key, chunk, file)
        tmp = commit.stage(rel)
        if current is None:  # first episode of a file: the segment itself, as lerobot moves it in place
            shutil.copyfile(seg.path, tmp)
        else:
            concat_into(current, from_ts, seg.path, tmp)
        commit.staged(rel, tmp)
        return {f"videos/{key}/chunk_index": chunk, f"videos/{key}/file_index": file,
                f"videos/{key}/from_timestamp": from_ts, f"videos/{key}/to_timestamp": from_ts + seg.duration_s}

    def _stage_episodes_row(self, commit: Commit, row: dict, features: dict) -> None:
        limit = self.info["data_files_size_in_mb"] * L.MB
        chunk, file, old = 0, 0, None
        if self._last is not None:
            chunk, file = self._last["meta/episodes/chunk_index"], self._last["meta/episodes/file_index"]
            if self._ep_file.stat().st_size >= limit:
                chunk, file = L.next_file(chunk, file, self.info["chunks_size"])
            else:
                old = self._ep_table
        row["meta/episodes/chunk_index"], row["meta/episodes/file_index"] = chunk, file
        schema = old.schema if old is not None else episodes_schema(features)
        missing = set(schema.names) ^ set(row)
        if missing:
            raise DatasetError(f"episode row does not match the episodes metadata columns: {sorted(missing)}")
        new = pa.Table.from_pylist([row], schema=schema)
        table = pa.concat_tables([old, new]) if old is not None else new
        rel = L.episodes_path(chunk, file)
        tmp = commit.stage(rel)
        pq.write_table(table, tmp, compression="snappy")
        commit.staged(rel, tmp)
