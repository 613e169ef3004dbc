"""Disk space: how fast the spool fills the disk, and how many minutes of recording are left."""

from __future__ import annotations

import errno
import shutil
from dataclasses import dataclass
from pathlib import Path

from app.recording.spool import ROW_DTYPE

WARN_MINUTES = 10.0
RESERVE_BYTES = 64 * 1024 * 1024  # stop a take before the disk is completely full


def spool_bytes_per_second(cameras: dict[str, tuple[int, int]], fps: int) -> int:
    """Raw RGB spool: every camera's frame plus one row record per tick."""
    return fps * (sum(h * w * 3 for h, w in cameras.values()) + ROW_DTYPE.itemsize)


@dataclass
class DiskStatus:
    free_bytes: int
    bytes_per_s: int

    @property
    def minutes_left(self) -> float:
        return self.free_bytes / self.bytes_per_s / 60 if self.bytes_per_s else float("inf")

    @property
    def low(self) -> bool:
        return self.minutes_left < WARN_MINUTES

    @property
    def full(self) -> bool:
        return self.free_bytes < RESERVE_BYTES + 2 * self.bytes_per_s

    def message(self) -> str:
        return (f"{self.free_bytes / 1e9:.1f} GB free: about {self.minutes_left:.0f} min of recording left "
                f"at {self.bytes_per_s / 1e6:.0f} MB/s")


class DiskGuard:
    """free_bytes can be replaced (tests, fault injection); by default it asks the file system."""

    def __init__(self, root: Path | str, cameras: dict[str, tuple[int, int]], fps: int):
        self.root = Path(root)
        self.bytes_per_s = spool_bytes_per_second(cameras, fps)

    def free_bytes(self) -> int:
        p = self.root
        while not p.exists() and p != p.parent:
            p = p.parent
        return shutil.disk_usage(p).free

    def status(self) -> DiskStatus:
        return DiskStatus(self.free_bytes(), self.bytes_per_s)


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
