"""Dataset folders this user has recorded into, and the start-up scan of them for takes a crash or a
"finish on next launch" left outside their dataset (interrupted, or stopped but not encoded yet).

The list is a small JSON file beside the window's settings file (`$TELEOP_STUDIO_SETTINGS` or the
platformdirs config folder), so the window and `teleop-studio record` share it.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from app.durable import write_atomic
from app.paths import config_dir

log = logging.getLogger(__name__)
FILE_NAME = "known-datasets.json"
KEEP = 50


def default_path() -> Path:
    settings = os.environ.get("TELEOP_STUDIO_SETTINGS")
    return Path(settings).with_name(FILE_NAME) if settings else config_dir() / FILE_NAME


@dataclass
class Leftover:
    """What one known dataset holds outside its episodes."""

    root: Path
    repo_id: str
    interrupted: list = field(default_factory=list)  # spools cut by a crash (kept up to the last frame)
    unencoded: list = field(default_factory=list)  # stopped takes not committed yet

    @property
    def takes(self) -> int:
        return len(self.interrupted) + len(self.unencoded)

    def line(self) -> str:
        parts = []
        if self.interrupted:
            secs = sum(s.recorded_length / max(1, s.fps) for s in self.interrupted)
            parts.append(f"{len(self.interrupted)} interrupted take(s) ({secs:.0f} s)")
        if self.unencoded:
            parts.append(f"{len(self.unencoded)} take(s) not encoded yet")
        return f"{self.repo_id} ({self.root}): " + ", ".join(parts)


class KnownDatasets:
    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path is not None else default_path()

    def entries(self) -> list[dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [d for d in data.get("datasets", []) if isinstance(d, dict) and d.get("root")]
        except (OSError, ValueError, AttributeError):
            return []

    def add(self, root: Path | str, repo_id: str) -> None:
        root = str(Path(root).expanduser().resolve())
        rest = [d for d in self.entries() if d["root"] != root]
        try:
            write_atomic(self.path, json.dumps({"datasets": [{"root": root, "repo_id": repo_id}, *rest][:KEEP]},
                                               indent=1))
        except OSError as exc:  # remembering is a convenience: never stop a session for it
            log.warning("could not remember %s in %s: %s", root, self.path, exc)

    def scan(self, skip: set[Path] = frozenset()) -> list[Leftover]:
        """Known datasets with takes waiting outside their episodes (those in `skip` are open now)."""
        from app.recording.spool import scan_spools

        out = []
        for d in self.entries():
            root = Path(d["root"])
            if root in skip or not (root / "meta" / "info.json").exists() or _in_use(root):
                continue
            spools = scan_spools(root)
            left = Leftover(root, d.get("repo_id", root.name),
                            interrupted=[s for s in spools if not s.complete and s.recorded_length > 0],
                            unencoded=[s for s in spools if s.complete and s.length > 0])
            if left.takes:
                out.append(left)
        return out


def _in_use(root: Path) -> bool:
    """Another process writes to it now (e.g. `record` in a terminal): its takes are not left over."""
    from app.dataset.commit import WriterLock

    lock = WriterLock(root)
    try:
        if not lock.acquire():
            return True
    except OSError:
        return True
    lock.release()
    return False
