"""Find datasets: on the Hub (text, author; LeRobot-tagged first) and on this machine."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

LEROBOT_TAG = "LeRobot"


@dataclass
class HubListing:
    repo_id: str
    tags: list[str] = field(default_factory=list)
    downloads: int = 0
    gated: bool = False

    @property
    def lerobot(self) -> bool:
        return LEROBOT_TAG in self.tags


def search_hub(text: str = "", author: str = "", limit: int = 50, *, endpoint: str | None = None,
               token: str | bool | None = None) -> list[HubListing]:
    """Hub datasets matching text/author, LeRobot-tagged ones first (then the Hub's order)."""
    from huggingface_hub import HfApi

    api = HfApi(endpoint=endpoint, token=token)
    found = [HubListing(d.id, list(d.tags or []), d.downloads or 0, bool(d.gated))
             for d in api.list_datasets(search=text.strip() or None, author=author.strip() or None,
                                        limit=limit)]
    return sorted(found, key=lambda d: not d.lerobot)


@dataclass
class LocalDataset:
    root: Path
    repo_id: str
    episodes: int
    version: str
    source: str          # "recent", "recordings", "hf cache"


def _describe(root: Path, source: str) -> LocalDataset | None:
    try:
        info = json.loads((root / "meta" / "info.json").read_text())
        return LocalDataset(root, root.name, int(info.get("total_episodes", 0)),
                            str(info.get("codebase_version", "?")), source)
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def find_local(dirs: list[tuple[Path, str]], depth: int = 3) -> list[LocalDataset]:
    """Datasets (folders with meta/info.json) at most `depth` levels below each (dir, source)."""
    out, seen = [], set()
    for top, source in dirs:
        top = Path(top)
        candidates = [top] + [p for d in range(1, depth + 1) for p in top.glob("/".join(["*"] * d))]
        for p in candidates:
            if p.is_dir() and (p / "meta" / "info.json").is_file() and p.resolve() not in seen:
                seen.add(p.resolve())
                ds = _describe(p, source)
                if ds:
                    out.append(ds)
    return out


def hf_cache_dirs() -> list[Path]:
    """Where huggingface_hub and lerobot 0.6.1 keep datasets: the hub cache, $HF_LEROBOT_HOME (default
    $HF_HOME/lerobot; local datasets at <owner>/<name>) and lerobot's own snapshot cache $HF_LEROBOT_HOME/hub."""
    from huggingface_hub import constants

    from app.streaming.lerobot_stream import lerobot_home

    home = lerobot_home()
    return [Path(constants.HF_HUB_CACHE), home, home / "hub"]
