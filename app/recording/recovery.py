"""Start-up scan: takes a crash or kill left behind are queued again or offered back; none vanish.

- stopped but not committed: submitted to the sink again (the encode queue ignores ones it holds);
- committed but still on disk (killed before the spool was deleted): deleted;
- interrupted mid-recording (no stopped.json): `decide(spool)` says keep -> cut at its last complete
  frame and submitted, or discard -> deleted. Every outcome is in the report the caller shows.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from app.recording.spool import SPOOL_DIR, Spool, scan_spools, take_folders


@dataclass
class RecoveryReport:
    resubmitted: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)  # interrupted takes kept (cut)
    discarded: list[str] = field(default_factory=list)
    already_committed: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)  # failed to encode last time, still on disk: queued again

    @property
    def empty(self) -> bool:
        return not (self.resubmitted or self.recovered or self.discarded or self.already_committed
                    or self.retried)

    def lines(self) -> list[str]:
        out = []
        if self.resubmitted:
            out.append(f"{len(self.resubmitted)} stopped take(s) from the last run queued for encoding again")
        if self.recovered:
            out.append(f"{len(self.recovered)} interrupted take(s) recovered up to their last complete frame")
        if self.discarded:
            out.append(f"{len(self.discarded)} interrupted take(s) discarded")
        if self.retried:
            out.append(f"{len(self.retried)} take(s) that failed to encode last time queued again")
        if self.already_committed:
            out.append(f"{len(self.already_committed)} already-committed spool(s) cleaned up")
        return out


def interrupted_takes(root: Path | str) -> list[Spool]:
    return [s for s in scan_spools(root) if not s.complete]


def recover(root: Path | str, sink, committed: set[str], decide: Callable[[Spool], bool] = lambda s: True
            ) -> RecoveryReport:
    """decide(spool) -> True keeps an interrupted take (cut at its last complete frame)."""
    report = RecoveryReport()
    _remove_orphan_dirs(root)
    for spool in scan_spools(root):
        if spool.id in committed:
            spool.delete()
            report.already_committed.append(spool.id)
        elif spool.complete:
            if spool.length > 0:
                sink.submit(spool)
                report.resubmitted.append(spool.id)
            else:
                spool.delete()
                report.discarded.append(spool.id)
        elif spool.recorded_length > 0 and decide(spool):
            spool.mark_stopped("recovered after an interruption")
            sink.submit(Spool(spool.path))
            report.recovered.append(spool.id)
        else:
            spool.delete()
            report.discarded.append(spool.id)
    return report


def _remove_orphan_dirs(root: Path | str) -> None:
    """A crash between creating a take's folder and its meta.json leaves an empty folder: no data."""
    for d in take_folders(root, SPOOL_DIR):  # confined: no symlink, nothing outside the dataset
        if not (d / "meta.json").exists() and not any(p.lstat().st_size for p in d.iterdir()):
            shutil.rmtree(d, ignore_errors=True)
