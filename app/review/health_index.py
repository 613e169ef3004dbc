"""Recording health per episode, for the episode table: the health sidecar (.studio/health.jsonl,
one line per take, keyed by spool id) joined with the commit record (.studio/commits.json: spool
id -> episode index). Datasets not recorded by the studio (or Hub datasets) have none."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from app.recording.health import read_health


@dataclass
class EpisodeHealthSummary:
    dropped: int            # camera frames dropped (all cameras)
    expected: int
    jitter_p99_ms: float
    warning: str | None

    def text(self) -> str:
        drop = f"{self.dropped} dropped" if self.dropped else "no drops"
        return f"{drop}, jitter p99 {self.jitter_p99_ms:.1f} ms"


def episode_health(root: Path | None) -> dict[int, EpisodeHealthSummary]:
    if root is None:
        return {}
    try:
        sources = json.loads((Path(root) / ".studio" / "commits.json").read_text()).get("sources", {})
    except (OSError, ValueError):
        return {}
    out = {}
    for rec in read_health(root):
        ep = sources.get(rec.get("spool_id"))
        h = rec.get("health") or {}
        if ep is None or not isinstance(h, dict):
            continue
        cams = (h.get("cameras") or {}).values()
        out[int(ep)] = EpisodeHealthSummary(sum(int(c.get("dropped", 0)) for c in cams),
                                            sum(int(c.get("expected", 0)) for c in cams),
                                            float(h.get("jitter_p99_ms", 0.0)), h.get("warning"))
    return out
