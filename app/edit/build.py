"""Turn a Plan into a new LeRobot v3.0 dataset by copying: data rows with their indexes rewritten,
video packets with their timestamps rebased (packets.py), per-episode stats reused (stats.py).

Crash safety: everything is written into `<DST>.partial`, info.json last, then fsynced and renamed
to DST in one step (or swapped with the source for --in-place, inplace.py). A crash or a cancel
leaves the source untouched and no folder named DST; a `.partial` folder never holds info.json
until it is complete, so nothing half-written looks like a dataset. A stale `.partial` from an
earlier crash is deleted by the next edit to the same DST.

Rollover follows the writer (app/dataset/writer.py): a data file takes the next episode unless
size + size/rows * episode_rows >= data_files_size_in_mb; a camera file unless its size + the
episode's packet bytes >= video_files_size_in_mb. A source camera file the plan keeps whole (every
episode, in order: a merge's sources, a delete's untouched files) is copied as it is into a file of
its own, as lerobot-edit-dataset copies untouched files; the episodes metadata is split evenly into files
under data_files_size_in_mb. Limits, templates and chunks_size come from the first source's info.json.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from app.dataset import layout as L
from app.dataset.features import arrow_schema, stats_features, video_keys
from app.dataset.meta import episodes_schema, info_json, tasks_table
from app.dataset.stats import to_json
from app.durable import fsync_dir
from app.edit import stats as S
from app.edit.data_out import DataOut, copy_unchanged, data_runs
from app.edit.packets import SourceVideo, VideoOut
from app.edit.plan import EditError, Plan, kept_whole
from app.edit.rows import EpisodeRows
from app.edit.whole import Durable

PARTIAL = ".partial"


class EditCancelled(EditError):
    pass


@dataclass
class Result:
    path: Path
    episodes: int = 0
    frames: int = 0
    packets_copied: int = 0
    frames_reencoded: int = 0
    reencoded_episodes: list = field(default_factory=list)   # (output episode, camera, frames)
    data_files: int = 0
    video_files: int = 0
    video_files_copied: int = 0    # source files kept whole, copied as they are
    data_files_copied: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        head = (f"{self.path}: {self.episodes} episodes, {self.frames} frames; "
                f"{self.packets_copied} video packets copied, {self.frames_reencoded} frames re-encoded")
        if self.video_files_copied or self.data_files_copied:
            head += (f"; {self.video_files_copied} video and {self.data_files_copied} data files kept whole "
                     "(copied as they are)")
        for ep, cam, n in self.reencoded_episodes:
            head += f"\n  episode {ep} {cam}: its first {n} frames were re-encoded (the cut is not on a keyframe)"
        return head + f" ({self.seconds:.2f} s)"


def partial_path(dst: Path) -> Path:
    return dst.with_name(dst.name + PARTIAL)


def build(plan: Plan, dst, *, in_place: bool = False, progress: Callable[[int, int, str], None] | None = None,
          cancel: Callable[[], bool] | None = None) -> Result:
    """Write the plan's dataset to dst (a new folder), or over the single source with in_place."""
    t0 = time.monotonic()
    if in_place:
        src = plan.sources[0].local_root
        if len(plan.sources) != 1 or src is None:
            raise EditError("--in-place needs one local dataset folder as the source")
        dst = Path(src)
    else:
        dst = Path(dst).expanduser().absolute()
    if not in_place and dst.exists() and any(dst.iterdir()):
        raise EditError(f"{dst} already exists and is not empty; pick a new output folder")
    for s in plan.sources:
        if s.local_root is not None and not in_place and Path(s.local_root).resolve() == dst.resolve():
            raise EditError("the output folder is the source; use --in-place to edit a dataset where it is")
    if not plan.picks:
        raise EditError("the edit would leave no episodes; a dataset needs at least one")
    lock = None
    if in_place:
        from app.dataset.commit import WriterLock

        lock = WriterLock(dst)
        if not lock.acquire():
            raise EditError(f"{dst} is being recorded into right now; edit it when the recording has stopped")
    work = partial_path(dst)
    if work.exists():
        shutil.rmtree(work)          # a crashed earlier edit's leftovers
    work.mkdir(parents=True)
    durable = Durable()
    try:
        result = _write(plan, work, progress, cancel, durable)
        durable.finish(work)
        if in_place:
            from app.edit.inplace import swap_in

            swap_in(dst, work)
        else:
            if dst.exists():
                dst.rmdir()
            os.replace(work, dst)
            fsync_dir(dst.parent)
    except BaseException:
        durable.close()
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        durable.close()
        if lock is not None:
            lock.release()
    result.path, result.seconds = dst, time.monotonic() - t0
    return result


def _write(plan: Plan, root: Path, progress, cancel, durable: Durable) -> Result:
    first = plan.sources[0].reader
    info = json.loads(json.dumps(first.info))
    features = plan.features
    info["features"] = features
    fps = first.fps
    schema = arrow_schema(features)
    cams = video_keys(features)
    stat_feats = stats_features(features)
    result = Result(root)
    data = DataOut(root, info, schema)
    chunks_size = info.get("chunks_size", L.DEFAULT_CHUNKS_SIZE)
    vouts = {k: VideoOut(root, lambda c, f, k=k: L.video_path(info, k, c, f),
                         info.get("video_files_size_in_mb", L.DEFAULT_VIDEO_MB) * L.MB,
                         lambda c, f: L.next_file(c, f, chunks_size)) for k in cams}
    whole = {k: kept_whole(plan, lambda ep, k=k: (ep.videos[k].path, ep.videos[k].from_ts)) for k in cams}
    placed: dict[str, tuple[int, int]] = {}
    runs = data_runs(plan)
    copied = None           # (chunk, file, task_index column, first index) of the data file copied whole
    open_videos: dict[tuple[int, str], tuple[str, SourceVideo]] = {}
    rows_of = [EpisodeRows(s.reader) for s in plan.sources]
    src_stats = [None] * len(plan.sources)
    tasks: dict[str, int] = {}
    rows, ep_stats, total = [], [], 0
    n = len(plan.picks)
    try:
        for i, pick in enumerate(plan.picks):
            if cancel is not None and cancel():
                raise EditCancelled("cancelled; nothing was written")
            src = plan.sources[pick.source]
            r = src.reader
            ep = r.episodes[pick.episode]
            if runs.get(i) == i:
                copied = copy_unchanged(data, r, plan, i, runs, total, schema, tasks, durable.copy)
                result.data_files_copied += copied is not None
            elif i not in runs:
                copied = None
            table = None
            if copied is not None:     # rows as they are in a data file copied whole
                chunk, file, task_col, base = copied
                length = ep.length
                old_cols = cols = {"index": np.arange(total, total + length, dtype=np.int64),
                                   "episode_index": np.full(length, i, dtype=np.int64),
                                   "task_index": task_col[ep.from_index - base:ep.to_index - base].astype(np.int64)}
                new = [r.tasks[t] for t in dict.fromkeys(cols["task_index"].tolist())]
                for t in new:
                    tasks.setdefault(t, len(tasks))
            else:
                table = rows_of[pick.source].read(pick.episode)
                length = table.num_rows
                old = [r.tasks[t] for t in table.column("task_index").to_pylist()]
                if pick.task is not None:
                    new = [pick.task] * length
                elif plan.rename_task is not None:
                    new = [plan.rename_task(t) for t in old]
                else:
                    new = old
                for t in new:
                    tasks.setdefault(t, len(tasks))
                cols = {"index": np.arange(total, total + length, dtype=np.int64),
                        "episode_index": np.full(length, i, dtype=np.int64),
                        "task_index": np.array([tasks[t] for t in new], dtype=np.int64)}
                old_cols = {c: table.column(c).to_numpy() for c in S.RENUMBERED if c in table.column_names}
                arrays = [pa.array(cols[f.name], f.type) if f.name in cols else _as(table.column(f.name), f.type)
                          for f in schema]
                chunk, file = data.add(pa.Table.from_arrays(arrays, schema=schema))
            row = {"episode_index": i, "tasks": list(dict.fromkeys(new)), "length": length,
                   "data/chunk_index": chunk, "data/file_index": file,
                   "dataset_from_index": total, "dataset_to_index": total + length}
            for key in cams:
                ref = ep.videos[key]
                first = whole[key].get(i)
                if first is not None:       # a source file kept whole: copied, timestamps unchanged
                    if first == i:
                        placed[key] = vouts[key].add_whole(lambda path, r=r, rel=ref.path: durable.copy(r, rel, path))
                        result.video_files_copied += 1
                    result.packets_copied += length
                    c, f = placed[key]
                    row.update({f"videos/{key}/chunk_index": c, f"videos/{key}/file_index": f,
                                f"videos/{key}/from_timestamp": ref.from_ts, f"videos/{key}/to_timestamp": ref.to_ts})
                    continue
                held = open_videos.get((pick.source, key))
                if held is None or held[0] != ref.path:
                    if held is not None:
                        held[1].close()
                    held = open_videos[(pick.source, key)] = (ref.path, SourceVideo(r.open(ref.path), ref.path))
                seg = held[1].segment(ref.from_ts, ref.to_ts, length, fps)
                result.packets_copied += len(seg.packets) - seg.reencoded
                if seg.reencoded:
                    result.frames_reencoded += seg.reencoded
                    result.reencoded_episodes.append((i, key, seg.reencoded))
                c, f, a, b = vouts[key].add(seg)
                row.update({f"videos/{key}/chunk_index": c, f"videos/{key}/file_index": f,
                            f"videos/{key}/from_timestamp": a, f"videos/{key}/to_timestamp": b})
            if src_stats[pick.source] is None:
                from app.edit.source import episode_stats

                src_stats[pick.source] = episode_stats(r)
            stats = dict(src_stats[pick.source][pick.episode])
            stats.update(S.renumbered_stats(cols, old_cols, stats))
            for name in stat_feats:
                if name in S.RENUMBERED:
                    continue
                if name not in stats or "count" not in stats[name]:
                    if name in cams:
                        stats[name] = S.video_episode_stats(r.iter_frames(pick.episode, name))
                    else:
                        table = table if table is not None else rows_of[pick.source].read(pick.episode)
                        values = np.asarray(table.column(name).to_pylist(), dtype=features[name]["dtype"])
                        stats[name] = S.numeric_episode_stats(name, values, fps)
            stats = {k: stats[k] for k in stat_feats if k in stats}
            rows.append(row)
            ep_stats.append(stats)
            total += length
            if progress is not None:
                progress(i + 1, n, f"episode {pick.episode} of {src.label}")
    finally:
        data.close()
        for v in vouts.values():
            v.close()
        for _, sv in open_videos.values():
            sv.close()
    result.episodes, result.frames, result.data_files = n, total, data.files
    result.video_files = sum(len(list((root / "videos" / k).rglob("*.mp4"))) for k in cams)
    _write_meta(plan, root, info, rows, ep_stats, list(tasks), total, stat_feats)
    return result


def _write_meta(plan, root, info, rows, ep_stats, tasks, total, stat_feats) -> None:
    schema = episodes_schema(info["features"])
    for row in rows:
        row["meta/episodes/chunk_index"], row["meta/episodes/file_index"] = 0, 0
    table = _episodes_table(rows, ep_stats, schema)
    # Files of the episodes metadata stay under data_files_size_in_mb, judged on the uncompressed size
    # (an upper bound of the file's); rows are split evenly, in order.
    limit = info.get("data_files_size_in_mb", L.DEFAULT_DATA_MB) * L.MB
    files = max(1, math.ceil(table.nbytes / limit))
    per_file = math.ceil(len(rows) / files)
    chunk, file = 0, 0
    for start in range(0, len(rows), per_file):
        part = table.slice(start, per_file)
        if start:
            chunk, file = L.next_file(chunk, file, info.get("chunks_size", L.DEFAULT_CHUNKS_SIZE))
            n = part.num_rows
            part = part.set_column(schema.get_field_index("meta/episodes/chunk_index"), "meta/episodes/chunk_index",
                                   pa.array([chunk] * n, pa.int64()))
            part = part.set_column(schema.get_field_index("meta/episodes/file_index"), "meta/episodes/file_index",
                                   pa.array([file] * n, pa.int64()))
        ep_path = root / L.episodes_path(chunk, file)
        ep_path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(part, ep_path, compression="snappy")
    pq.write_table(tasks_table(tasks), root / L.TASKS_PATH)
    stats = S.aggregate(ep_stats, stat_feats)
    (root / L.STATS_PATH).write_text(json.dumps(to_json(stats), indent=4))
    _carry_studio(plan, root)
    info.update(total_episodes=len(rows), total_frames=total, total_tasks=len(tasks),
                splits={"train": f"0:{len(rows)}"})
    (root / L.INFO_PATH).write_bytes(info_json(info))     # last: what makes the folder a dataset


def _episodes_table(rows: list[dict], ep_stats: list[dict], schema: pa.Schema) -> pa.Table:
    """meta/episodes rows: plain columns from the row dicts, stats columns built from stacked numpy
    arrays (one (E, ...) block per column instead of nested Python lists per episode)."""
    columns = []
    for col in schema:
        if not col.name.startswith("stats/"):
            columns.append(pa.array([r[col.name] for r in rows], col.type))
            continue
        feat, stat = col.name[len("stats/"):].rsplit("/", 1)
        values = [ep[feat].get(stat) if feat in ep else None for ep in ep_stats]
        try:
            if any(v is None for v in values):
                raise ValueError("missing")
            block = S.stack(values)
        except ValueError:          # some episodes lack it, or shapes differ: row by row
            columns.append(pa.array([None if v is None else np.asarray(v).tolist() for v in values], col.type))
            continue
        t = col.type
        dims = block.shape[1:]
        leaf = t
        while pa.types.is_list(leaf):
            leaf = leaf.value_type
        arr = pa.array(block.reshape(-1).astype(leaf.to_pandas_dtype()), leaf)
        for size in reversed(dims):
            arr = pa.ListArray.from_arrays(pa.array(np.arange(0, len(arr) + 1, size, dtype=np.int32)), arr)
        columns.append(arr.cast(col.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _carry_studio(plan: Plan, root: Path) -> None:
    """Keep the recording health of kept episodes: commits.json maps each take (spool id) to its new
    episode index, and health.jsonl keeps those takes' lines. Local sources only."""
    sources: dict[str, int] = {}
    health: list[str] = []
    repo_id = plan.sources[0].repo_id
    for s in plan.sources:
        if s.local_root is None:
            continue
        try:
            commits = json.loads((s.local_root / L.COMMITS_PATH).read_text())
        except (OSError, ValueError):
            continue
        if s is plan.sources[0]:
            repo_id = commits.get("repo_id", repo_id)
        by_episode = {int(v): k for k, v in commits.get("sources", {}).items()}
        index = plan.sources.index(s)
        kept = {}
        for out_i, p in enumerate(plan.picks):
            if p.source == index and p.episode in by_episode:
                kept[by_episode[p.episode]] = out_i
        sources.update(kept)
        try:
            lines = (s.local_root / ".studio" / "health.jsonl").read_text(encoding="utf-8").splitlines()
        except OSError:
            lines = []
        for line in lines:
            try:
                if json.loads(line).get("spool_id") in kept:
                    health.append(line)
            except ValueError:
                continue
    (root / L.STUDIO_DIR).mkdir(exist_ok=True)
    (root / L.COMMITS_PATH).write_text(json.dumps({"repo_id": repo_id, "sources": sources}))
    if health:
        (root / ".studio" / "health.jsonl").write_text("\n".join(health) + "\n", encoding="utf-8")


def _as(column: pa.ChunkedArray, t: pa.DataType) -> pa.ChunkedArray:
    return column if column.type == t else column.cast(t)
