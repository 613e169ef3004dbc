"""Validator: every item of the format spec's section 11 checklist, as readable report lines.

`validate(root)` never modifies the dataset (an interrupted commit is only reported); it checks info.json,
tasks.parquet, the episodes metadata, the data files, every video (decoding it to count frames and
check their times), the file numbering and size limits, and stats.json.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import av
import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from app.dataset import layout as L
from app.dataset.errors import DatasetError
from app.dataset.features import data_columns, stats_features, video_keys
from app.dataset.reader import DatasetReader
from app.dataset.schema_check import type_problems
from app.dataset.stats import KEYS

TOL = 1e-4


@dataclass
class Report:
    ok: bool = True
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    readable: bool = True
    summary: str = ""

    def error(self, msg: str) -> None:
        self.ok = False
        self.errors.append(msg)

    def lines(self) -> list[str]:
        head = [self.summary] if self.summary else []
        return head + [f"ERROR: {e}" for e in self.errors] + [f"warning: {w}" for w in self.warnings]


def validate(root, fs=None, decode_videos: bool = True, deep: bool = False) -> Report:
    """Check a dataset; never raises for a bad dataset and never modifies it. `deep` also
    recomputes every episode's statistics from its rows and frames (app/dataset/deep_check.py)."""
    rep = Report()
    local = fs is None
    if local and not Path(root).is_dir():
        rep.readable = False
        rep.error(f"cannot read the dataset: {root} is not a directory")
        return rep
    try:
        problems = type_problems(fs or fsspec.filesystem("file"),
                                 str(Path(root).resolve()) if local else str(root).rstrip("/"))
    except DatasetError as exc:
        problems = [str(exc)]
    if problems:
        for p in problems:
            rep.error(p)
        rep.summary = "metadata values of the wrong type (lerobot could not load this dataset)"
        return rep
    try:
        reader = DatasetReader(root, fs=fs)
    except DatasetError as exc:
        rep.readable = False
        rep.error(f"cannot read the dataset: {exc}")
        return rep
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            OverflowError, MemoryError) as exc:
        rep.readable = False
        rep.error(f"cannot read the dataset: a metadata file has an unexpected shape "
                  f"({type(exc).__name__}: {str(exc)[:200]})")
        return rep
    if fs is None:
        from app.dataset.commit import pending
        note = pending(root)
        if note:
            rep.warnings.append(note)
    try:
        _Checks(reader, rep, decode_videos).run()
        if deep and rep.ok:
            from app.dataset.deep_check import check_stats
            _guarded(rep, "deep statistics check", lambda: check_stats(reader, rep))
    finally:
        reader.close()
    info = reader.info
    rep.summary = (f"{info.get('total_episodes')} episodes, {info.get('total_frames')} frames, "
                   f"{len(reader.video_keys)} camera(s), fps {reader.fps}")
    return rep


def _guarded(rep: Report, what: str, check) -> None:
    """Run one check; whatever a hostile or corrupt file makes it raise becomes one report line."""
    try:
        check()
    except DatasetError as exc:
        rep.error(str(exc)[:2000])
    except Exception as exc:
        rep.error(f"{what}: could not be checked, a file has an unexpected shape or content "
                  f"({type(exc).__name__}: {str(exc)[:200]})")


class _Checks:
    def __init__(self, reader: DatasetReader, rep: Report, decode: bool):
        self.r, self.rep, self.decode = reader, rep, decode
        self.info = reader.info
        self.eps = reader.episodes

    def run(self) -> None:
        for check in (self.info_json, self.tasks, self.episodes, self.data, self.videos, self.stats):
            _guarded(self.rep, check.__name__.replace("_", " "), check)

    def info_json(self) -> None:
        i = self.info
        if video_keys(i["features"]) and not i.get("video_path"):
            self.rep.error("info.json: video features exist but video_path is null")
        if i.get("splits", {}).get("train") not in (None, f"0:{i.get('total_episodes')}") and i.get("total_episodes"):
            self.rep.warnings.append(f"info.json: splits.train is {i['splits'].get('train')!r}")
        for key in ("total_episodes", "total_frames", "total_tasks"):
            if key not in i:
                self.rep.error(f"info.json lacks {key}")

    def tasks(self) -> None:
        if not self.r.fs.exists(self.r.path(L.TASKS_PATH)):
            if self.info.get("total_tasks", 0):
                self.rep.error("meta/tasks.parquet is missing")
            return
        with self.r.open(L.TASKS_PATH) as f:
            schema = pq.read_schema(f)
        meta = json.loads((schema.metadata or {}).get(b"pandas", b"{}"))
        if meta.get("index_columns") != ["task"]:
            self.rep.error("meta/tasks.parquet: pandas metadata must have index_columns ['task'] "
                           "(lerobot would return task indices instead of task strings)")
        if len(set(self.r.tasks)) != len(self.r.tasks):
            self.rep.error("meta/tasks.parquet: tasks are not unique")
        if self.info.get("total_tasks") != len(self.r.tasks):
            self.rep.error(f"total_tasks is {self.info.get('total_tasks')} but tasks.parquet has "
                           f"{len(self.r.tasks)} rows")

    def episodes(self) -> None:
        n, total = self.info["total_episodes"], self.info["total_frames"]
        if len(self.eps) != n:
            self.rep.error(f"total_episodes is {n} but meta/episodes has {len(self.eps)} rows")
        prev = 0
        for ep in self.eps:
            if ep.from_index != prev:
                self.rep.error(f"episode {ep.index}: dataset_from_index {ep.from_index}, expected {prev}")
            prev = ep.to_index
            missing = set(ep.tasks) - set(self.r.tasks)
            if missing:
                self.rep.error(f"episode {ep.index}: tasks {sorted(missing)} are not in tasks.parquet")
        if prev != total:
            self.rep.error(f"total_frames is {total} but the episodes end at index {prev}")
        files = self.r.glob("meta/episodes/*/*.parquet")
        self._numbering("meta/episodes", [L.episodes_path(c, f) for c, f in self._sequence(len(files))], files)
        for rel in files:
            with self.r.open(rel) as f:
                t = pq.read_table(f, columns=["episode_index", "meta/episodes/chunk_index", "meta/episodes/file_index"]
                                  if "meta/episodes/chunk_index" in pq.read_schema(f).names else ["episode_index"])
            if t.num_columns == 3:
                for row in t.to_pylist():
                    named = L.episodes_path(row["meta/episodes/chunk_index"], row["meta/episodes/file_index"])
                    if named != rel:
                        self.rep.error(f"episode {row['episode_index']}: meta/episodes columns name {named}, "
                                       f"row is in {rel}")

    def _sequence(self, count: int) -> list[tuple[int, int]]:
        seq, cur = [], (0, 0)
        for _ in range(count):
            seq.append(cur)
            cur = L.next_file(*cur, self.info.get("chunks_size", L.DEFAULT_CHUNKS_SIZE))
        return seq

    def _numbering(self, what: str, expected: list[str], found: list[str]) -> None:
        if sorted(expected) != sorted(found):
            self.rep.error(f"{what}: files {found} do not follow the chunk/file numbering (expected {expected})")

    def data(self) -> None:
        fps, feats = self.r.fps, self.info["features"]
        files = self.r.glob("data/*/*.parquet")
        used = list(dict.fromkeys(ep.data_file for ep in self.eps))
        if sorted(used) != files:
            self.rep.error(f"data files on disk {files} differ from those the episodes name {sorted(used)}")
        self._numbering("data", [L.data_path(self.info, c, f) for c, f in self._sequence(len(files))], files)
        by_file = defaultdict(list)
        for ep in self.eps:
            by_file[ep.data_file].append(ep)
        expect_index = 0
        limit = self.info.get("data_files_size_in_mb", L.DEFAULT_DATA_MB) * L.MB
        for rel in files:
            try:
                with self.r.open(rel) as f:
                    pf = pq.ParquetFile(f)
                    t = pf.read(columns=[c for c in data_columns(feats) if c in pf.schema_arrow.names])
            except (pa.ArrowInvalid, OSError) as exc:
                self.rep.error(f"{rel}: footer or data unreadable ({exc})")
                return
            for name in data_columns(feats):
                if name not in t.column_names:
                    self.rep.error(f"{rel}: column {name} is missing")
                    continue
                typ, shape = t.schema.field(name).type, feats[name]["shape"]
                if pa.types.is_list(typ) or pa.types.is_fixed_size_list(typ) or pa.types.is_large_list(typ):
                    lens = set(pa.compute.list_value_length(t.column(name)).to_pylist())
                    if lens and lens != {shape[0]}:
                        self.rep.error(f"{rel}: {name} vectors have lengths {sorted(lens)}, info says {shape[0]}")
                elif shape != [1]:
                    self.rep.error(f"{rel}: {name} is a scalar column but info says shape {shape}")
            idx = t.column("index").to_numpy()
            if len(idx) and (idx[0] != expect_index or np.any(np.diff(idx) != 1)):
                bad = expect_index if idx[0] != expect_index else int(idx[np.nonzero(np.diff(idx) != 1)[0][0]]) + 1
                self.rep.error(f"{rel}: global index is not contiguous (expected {bad} next)")
            expect_index = int(idx[-1]) + 1 if len(idx) else expect_index
            ep_col = t.column("episode_index").to_numpy()
            eps_here = by_file.get(rel, [])
            if len(eps_here) > 1 and self.r.fs.size(self.r.path(rel)) > limit * 1.05:
                self.rep.warnings.append(f"{rel} is above data_files_size_in_mb with {len(eps_here)} episodes")
            names_here = set(np.unique(ep_col).tolist())
            if names_here != {ep.index for ep in eps_here}:
                self.rep.error(f"{rel}: holds episodes {sorted(names_here)}, metadata puts "
                               f"{[e.index for e in eps_here]} there")
            for ep in eps_here:
                self._episode_rows(rel, t, ep_col, ep, fps)
        if expect_index != self.info["total_frames"]:
            self.rep.error(f"data rows end at index {expect_index}, total_frames is {self.info['total_frames']}")

    def _episode_rows(self, rel, t, ep_col, ep, fps) -> None:
        pos = np.nonzero(ep_col == ep.index)[0]
        if len(pos) != ep.length or (len(pos) and pos[-1] - pos[0] + 1 != len(pos)):
            self.rep.error(f"episode {ep.index}: {len(pos)} rows in {rel} (contiguous: "
                           f"{bool(len(pos)) and pos[-1] - pos[0] + 1 == len(pos)}), length says {ep.length}")
            return
        s = slice(pos[0], pos[-1] + 1)
        idx = t.column("index").to_numpy()[s]
        if idx[0] != ep.from_index or idx[-1] + 1 != ep.to_index:
            self.rep.error(f"episode {ep.index}: rows have index {idx[0]}..{idx[-1]}, metadata says "
                           f"{ep.from_index}..{ep.to_index - 1}")
        fi = t.column("frame_index").to_numpy()[s]
        if not np.array_equal(fi, np.arange(ep.length)):
            self.rep.error(f"episode {ep.index}: frame_index is not 0..{ep.length - 1}")
        ts = t.column("timestamp").to_numpy()[s].astype(np.float32)
        want = (np.arange(ep.length) / fps).astype(np.float32)
        if not np.array_equal(ts, want):
            k = int(np.nonzero(ts != want)[0][0])
            self.rep.error(f"episode {ep.index}: timestamp of frame {k} is {ts[k]:.6f}, expected {want[k]:.6f} "
                           "(frame_index / fps)")
        ti = t.column("task_index").to_numpy()[s]
        if len(ti) and (ti.min() < 0 or ti.max() >= len(self.r.tasks)):
            self.rep.error(f"episode {ep.index}: task_index out of range")
        elif {self.r.tasks[i] for i in np.unique(ti)} != set(ep.tasks):
            self.rep.error(f"episode {ep.index}: tasks used by its rows differ from its metadata tasks {ep.tasks}")

    def videos(self) -> None:
        fps = self.r.fps
        limit = self.info.get("video_files_size_in_mb", L.DEFAULT_VIDEO_MB) * L.MB
        for key in self.r.video_keys:
            vinfo = self.info["features"][key].get("info", {})
            h, w = self.info["features"][key]["shape"][:2]
            by_file = defaultdict(list)
            for ep in self.eps:
                by_file[ep.videos[key].path].append(ep)
            files = self.r.glob(f"videos/{key}/*/*.mp4")
            if sorted(by_file) != files:
                missing = sorted(set(by_file) - set(files))
                if missing:
                    self.rep.error(f"{key}: video files missing: {missing}")
                extra = sorted(set(files) - set(by_file))
                if extra:
                    self.rep.warnings.append(f"{key}: video files no episode uses: {extra}")
            self._numbering(key, [L.video_path(self.info, key, c, f) for c, f in self._sequence(len(by_file))],
                            sorted(by_file))
            for rel, eps in by_file.items():
                prev = 0.0
                for ep in eps:
                    ref = ep.videos[key]
                    if abs(ref.from_ts - prev) > TOL:
                        self.rep.error(f"{key} episode {ep.index}: from_timestamp {ref.from_ts:.6f}, the previous "
                                       f"segment in {rel} ends at {prev:.6f}")
                    if abs((ref.to_ts - ref.from_ts) - ep.length / fps) > TOL:
                        self.rep.error(f"{key} episode {ep.index}: segment lasts {ref.to_ts - ref.from_ts:.6f} s for "
                                       f"{ep.length} frames ({ep.length / fps:.6f} s)")
                    prev = ref.to_ts
                if rel in files:
                    if len(eps) > 1 and self.r.fs.size(self.r.path(rel)) > limit * 1.05:
                        self.rep.warnings.append(f"{rel} is above video_files_size_in_mb with {len(eps)} episodes")
                    self._decode_file(key, rel, eps, vinfo, h, w)

    def _decode_file(self, key, rel, eps, vinfo, h, w) -> None:
        fps = self.r.fps
        try:
            self.r.check_video(rel)      # a sample table claiming more than the file holds: not opened
        except DatasetError as exc:
            self.rep.error(str(exc))
            return
        try:
            with self.r.open(rel) as f, av.open(f) as c:
                s = c.streams.video[0]
                cc = s.codec_context
                if cc is None:
                    self.rep.error(f"{rel}: its video stream has no codec this studio can decode")
                    return
                codec = {"libdav1d": "av1", "libaom-av1": "av1"}.get(cc.codec.name, cc.codec.name)
                if (cc.height, cc.width) != (h, w):
                    self.rep.error(f"{rel}: video is {cc.width}x{cc.height}, info says {w}x{h}")
                    return               # not decoded: a huge video in a small camera's place costs a lot
                if vinfo and (vinfo.get("video.codec"), vinfo.get("video.pix_fmt")) != (codec, cc.pix_fmt):
                    self.rep.error(f"{rel}: codec/pix_fmt {codec}/{cc.pix_fmt}, info says "
                                   f"{vinfo.get('video.codec')}/{vinfo.get('video.pix_fmt')}")
                if not self.decode:
                    return
                frames = [(float(fr.pts * s.time_base), fr.key_frame) for fr in c.decode(s) if fr.pts is not None]
        except (av.FFmpegError, OSError, IndexError) as exc:
            self.rep.error(f"{rel}: cannot decode ({exc})")
            return
        times = np.array([t for t, _ in frames])
        keys = [k for _, k in frames]
        for ep in eps:
            ref = ep.videos[key]
            inside = np.nonzero((times >= ref.from_ts - TOL) & (times < ref.to_ts - TOL))[0]
            if len(inside) != ep.length:
                self.rep.error(f"{key} episode {ep.index}: {len(inside)} decoded frames in "
                               f"[{ref.from_ts:.4f}, {ref.to_ts:.4f}) s of {rel}, expected {ep.length}")
                continue
            want = ref.from_ts + np.arange(ep.length) / fps
            off = np.abs(times[inside] - want)
            if off.max() > TOL:
                k = int(off.argmax())
                self.rep.error(f"{key} episode {ep.index}: frame {k} at {times[inside][k]:.6f} s, "
                               f"expected {want[k]:.6f} s")
            if not keys[inside[0]]:
                self.rep.error(f"{key} episode {ep.index}: does not start on a keyframe")
        if eps and len(times) and eps[-1].videos[key].to_ts > times.max() + 1.5 / fps:
            self.rep.error(f"{rel}: episodes extend past the end of the video")

    def stats(self) -> None:
        st = self.r.stats()
        if st is None:
            self.rep.warnings.append("meta/stats.json is missing (training normalization needs it)")
            return
        feats = self.info["features"]
        for name in stats_features(feats):
            if self.info["total_episodes"] == 0:
                break
            s = st.get(name)
            if not isinstance(s, dict) or set(KEYS) - set(s):
                self.rep.error(f"stats.json: {name} lacks {sorted(set(KEYS) - set(s or {}))}")
                continue
            video = feats[name]["dtype"] in ("video", "image")
            want = (3, 1, 1) if video else (feats[name]["shape"][0],)
            for k in KEYS:
                arr = np.asarray(s[k])
                if k == "count":
                    if arr.shape != (1,) or arr.dtype.kind not in "iu":
                        self.rep.error(f"stats.json: {name}/count must be a one-element integer list")
                elif arr.shape != want:
                    self.rep.error(f"stats.json: {name}/{k} has shape {arr.shape}, expected {want}")
