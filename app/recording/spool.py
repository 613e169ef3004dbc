"""The per-take spool: frames and rows on disk as they are recorded, so a crash loses at most a frame.

Layout of <root>/.studio/spool/<id>/ (format chosen by measurement, see bench/README.md):
  meta.json        id, task, fps, cameras, created; written atomically before the first frame
  rows.bin         fixed-size binary records (ROW_DTYPE below), appended one per tick
  <video_key>.raw  H*W*3 bytes of RGB per frame, appended one per tick
  trim.json        optional: frames cut from the head/tail before commit
  stopped.json     written atomically (temp + fsync + rename) when the take is stopped

A spool without stopped.json was interrupted: its usable length is the number of complete records
present in every file (the last complete frame). Appends use unbuffered writes, so what was written
before a SIGKILL is in the page cache and survives the process.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from app.durable import UnsafePath, confined, write_atomic

log = logging.getLogger(__name__)
SPOOL_DIR = Path(".studio") / "spool"
FORMAT = "raw-v1"


def row_dtype(joints: int = 6) -> np.dtype:
    """One tick's record; a bimanual rig's rows hold twelve joints (meta.json says how many)."""
    return np.dtype([("seq", "<i8"), ("t", "<f8"), ("action", "<f4", (joints,)), ("state", "<f4", (joints,))])


ROW_DTYPE = row_dtype(6)


def spool_root(dataset_root: Path | str) -> Path:
    return Path(dataset_root) / SPOOL_DIR


def write_json_atomic(path: Path, obj) -> None:
    write_atomic(path, json.dumps(obj, indent=1))


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def new_spool_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:8]


class SpoolError(RuntimeError):
    pass


class SpoolWriter:
    """Appends ticks of one take. Called from the spool-writer thread only (not thread-safe)."""

    def __init__(self, dataset_root: Path | str, task: str, fps: int, cameras: dict[str, tuple[int, int]],
                 spool_id: str | None = None, extra: dict | None = None, joints: int = 6):
        self.id = spool_id or new_spool_id()
        # refused (UnsafePath) if .studio or its spool folder is a link: frames go into the dataset only
        self.path = confined(dataset_root, SPOOL_DIR / self.id)
        self.path.mkdir(parents=True, exist_ok=False)
        self.cameras = {k: (int(h), int(w)) for k, (h, w) in cameras.items()}
        self.fps, self.task = int(fps), task
        self.length = 0
        self.bytes_written = 0
        meta = {"id": self.id, "format": FORMAT, "task": task, "fps": self.fps,
                "cameras": {k: list(v) for k, v in self.cameras.items()}, "created": time.time(),
                "extra": extra or {}}
        if joints != 6:
            meta["joints"] = int(joints)
        write_json_atomic(self.path / "meta.json", meta)
        self._rows = open(self.path / "rows.bin", "ab", buffering=0)
        self._videos = {k: open(self.path / f"{_safe(k)}.raw", "ab", buffering=0) for k in self.cameras}
        self._row = np.zeros(1, row_dtype(joints))
        self.closed = False

    def append(self, seq: int, t: float, action: np.ndarray, state: np.ndarray,
               images: dict[str, np.ndarray]) -> None:
        """Frames first, row last: a row on disk means its frames are complete."""
        for key, f in self._videos.items():
            img = images[key]
            h, w = self.cameras[key]
            if img.shape != (h, w, 3) or img.dtype != np.uint8:
                raise SpoolError(f"{key}: frame {img.shape} {img.dtype}, expected ({h}, {w}, 3) uint8")
            self.bytes_written += _write_all(f, np.ascontiguousarray(img).data)
        r = self._row[0]
        r["seq"], r["t"], r["action"], r["state"] = seq, t, action, state
        self.bytes_written += _write_all(self._rows, self._row.tobytes())
        self.length += 1

    def sync(self) -> None:
        """Push appended data to the disk (power-loss safety; a process kill needs no fsync)."""
        for f in (*self._videos.values(), self._rows):
            os.fdatasync(f.fileno())

    def _close_files(self) -> None:
        if not self.closed:
            for f in (*self._videos.values(), self._rows):
                f.close()
            self.closed = True

    def stop(self, reason: str = "stopped", info: dict | None = None) -> "Spool":
        self._close_files()
        write_json_atomic(self.path / "stopped.json",
                          {"length": self.length, "reason": reason, "stopped": time.time(), **(info or {})})
        return Spool(self.path)

    def discard(self) -> None:
        self._close_files()
        shutil.rmtree(self.path, ignore_errors=True)


def _write_all(f, data) -> int:
    n = f.write(data)
    size = memoryview(data).nbytes
    if n != size:  # a short write on a regular file means the disk filled up
        raise OSError(errno.ENOSPC, f"short write ({n} of {size} bytes)")
    return n


def _safe(key: str) -> str:
    return key.replace("/", "_")


@dataclass
class Trim:
    head: int = 0
    tail: int = 0


class Spool:
    """A take on disk, readable by the encode queue (the contract in docs/ARCHITECTURE.md)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        meta = _read_json(self.path / "meta.json")
        if meta is None:
            raise SpoolError(f"{self.path}: no readable meta.json")
        self.meta = meta
        self.id: str = meta["id"]
        self.task: str = meta["task"]
        self.fps: int = int(meta["fps"])
        self.cameras: dict[str, tuple[int, int]] = {k: (int(v[0]), int(v[1])) for k, v in meta["cameras"].items()}
        self.extra: dict = meta.get("extra", {})
        self.row_dtype = row_dtype(int(meta.get("joints", 6)))
        self.stopped: dict | None = _read_json(self.path / "stopped.json")
        trim = _read_json(self.path / "trim.json") or {}
        self.trim = Trim(int(trim.get("head", 0)), int(trim.get("tail", 0)))
        self.complete: bool = self.stopped is not None
        self.recorded_length = self._complete_records()
        self.length: int = max(0, self.recorded_length - self.trim.head - self.trim.tail)

    def __repr__(self) -> str:
        return f"Spool({self.id}, length={self.length}, complete={self.complete})"

    def _frame_bytes(self, key: str) -> int:
        h, w = self.cameras[key]
        return h * w * 3

    def _complete_records(self) -> int:
        """Records present in every file; capped by the stopped marker's length when there is one."""
        counts = [_size(self.path / "rows.bin") // self.row_dtype.itemsize]
        counts += [_size(self.path / f"{_safe(k)}.raw") // self._frame_bytes(k) for k in self.cameras]
        n = min(counts)
        if self.stopped is not None:
            n = min(n, int(self.stopped.get("length", n)))
        return n

    @property
    def nbytes(self) -> int:
        return sum(_size(p) for p in self.path.iterdir() if p.is_file())

    def records(self) -> np.ndarray:
        """The raw row records (seq, t, action, state) of the kept frames."""
        raw = np.fromfile(self.path / "rows.bin", self.row_dtype, count=self.recorded_length)
        return raw[self.trim.head:self.trim.head + self.length]

    def rows(self) -> dict[str, np.ndarray]:
        rec = self.records()
        return {"action": np.ascontiguousarray(rec["action"], np.float32),
                "observation.state": np.ascontiguousarray(rec["state"], np.float32)}

    def frames(self, video_key: str) -> Iterator[np.ndarray]:
        h, w = self.cameras[video_key]
        size = h * w * 3
        with open(self.path / f"{_safe(video_key)}.raw", "rb") as f:
            f.seek(self.trim.head * size)
            for _ in range(self.length):
                buf = f.read(size)
                if len(buf) != size:
                    raise SpoolError(f"{self.path.name}/{video_key}: truncated frame")
                yield np.frombuffer(buf, np.uint8).reshape(h, w, 3)

    def frame(self, video_key: str, i: int) -> np.ndarray:
        h, w = self.cameras[video_key]
        size = h * w * 3
        with open(self.path / f"{_safe(video_key)}.raw", "rb") as f:
            f.seek((self.trim.head + i) * size)
            return np.frombuffer(f.read(size), np.uint8).reshape(h, w, 3)

    def set_trim(self, head: int, tail: int) -> None:
        if head < 0 or tail < 0 or head + tail >= self.recorded_length:
            raise SpoolError(f"cannot trim {head} + {tail} frames from a take of {self.recorded_length}")
        write_json_atomic(self.path / "trim.json", {"head": int(head), "tail": int(tail)})
        self.trim = Trim(head, tail)
        self.length = self.recorded_length - head - tail

    def mark_stopped(self, reason: str) -> None:
        """Close an interrupted take at its last complete frame (recovery)."""
        write_json_atomic(self.path / "stopped.json",
                          {"length": self.recorded_length, "reason": reason, "stopped": time.time()})
        self.stopped = _read_json(self.path / "stopped.json")
        self.complete = True

    def delete(self) -> None:
        """Delete the take's folder; refused (UnsafePath) unless it is a plain folder in a dataset's
        `.studio/spool/` or `.studio/trash/` (never through a symlink)."""
        shutil.rmtree(studio_folder(self.path), ignore_errors=True)


def studio_folder(path: Path | str) -> Path:
    """`path` checked to be `<dataset>/.studio/{spool,trash}/<id>` with no symlink below the dataset."""
    path = Path(os.path.abspath(path))
    if path.parent.name not in ("spool", "trash") or path.parent.parent.name != ".studio":
        raise UnsafePath(f"{path} is not a take folder in a dataset's .studio folder")
    root = path.parents[2]
    return confined(root, path.relative_to(root))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def scan_spools(dataset_root: Path | str) -> list[Spool]:
    """Every readable spool under the dataset, oldest first (ids start with their creation time)."""
    out = []
    for d in take_folders(dataset_root, SPOOL_DIR):
        if (d / "meta.json").exists():
            try:
                out.append(Spool(d))
            except (SpoolError, KeyError, ValueError, TypeError):
                continue
    return out


def take_folders(dataset_root: Path | str, folder: Path) -> list[Path]:
    """The plain folders in `<dataset>/<folder>` (spool or trash), sorted. Symlinks, and a folder
    reached through one, are skipped with a warning: recovery deletes and renames what it finds."""
    try:
        base = confined(dataset_root, folder)
    except UnsafePath as exc:
        log.warning("not scanning takes: %s", exc)
        return []
    if not base.is_dir():
        return []
    out = []
    for d in sorted(base.iterdir()):
        try:
            out.append(confined(dataset_root, folder / d.name))
        except UnsafePath as exc:
            log.warning("skipping %s", exc)
            continue
    return [d for d in out if d.is_dir()]
