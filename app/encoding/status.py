"""What observers read about the queue: one Row per entry (journal state plus live progress) and the
total backlog."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from app.encoding.journal import DONE, PENDING, Entry


@dataclass(frozen=True)
class Row:
    """What the panel shows for one entry: the journal entry plus live progress."""

    id: str
    task: str
    state: str
    cameras: tuple[str, ...]
    length: int
    fps: int
    attempts: int
    error: str
    codec: str
    episode_index: int | None
    runnable: bool  # pending and released (batch full or flushed)
    progress: float  # 0..1 of the encode (verify + commit follow at 100 %)
    encode_fps: float  # frames per second of this entry's encode
    eta_s: float | None
    output_bytes: int
    spool: str


@dataclass(frozen=True)
class Backlog:
    episodes: int
    video_seconds: float  # recorded footage still to encode
    eta_s: float | None  # time to drain at the measured speed (None before the first measurement)


class Live:
    def __init__(self, total: int):
        self.total = max(1, total)
        self.done = 0
        self.t0 = time.monotonic()
        self.output_bytes = 0
        self.last_notify = 0.0
        self.held_s = 0.0  # time its encoder waited for capture (not encoding speed)


def make_row(e: Entry, live: Live | None, released: bool, speed: float | None) -> Row:
    prog, fps, eta, size = (1.0 if e.state == DONE else 0.0), 0.0, None, e.output_bytes
    if live is not None:
        prog = min(1.0, live.done / live.total)
        elapsed = time.monotonic() - live.t0 - live.held_s
        fps = live.done / elapsed if elapsed > 0.2 and live.done else 0.0
        eta = (live.total - live.done) / fps if fps else None
        size = live.output_bytes
    elif e.state == PENDING and speed:
        eta = e.length * len(e.cameras) / speed
    return Row(e.id, e.task, e.state, tuple(e.cameras), e.length, e.fps, e.attempts, e.error, e.codec,
               e.episode_index, e.state == PENDING and released, prog, fps, eta, size, e.spool)


def backlog_of(todo: list[Entry], live: dict[str, Live], speed: float | None,
               held_since: float | None) -> Backlog:
    """The takes still to encode, their footage, and the time to encode them at `speed` (frames/s of
    recent encodes) or, before any take finished encoding, at the speed of the ones encoding now."""
    frames = 0
    for e in todo:
        lv = live.get(e.id)
        frames += (lv.total - lv.done) if lv else e.length * max(1, len(e.cameras))
    speed = speed or _live_speed(live.values(), held_since)
    eta = frames / speed if speed else None
    return Backlog(len(todo), sum(e.video_seconds for e in todo), eta)


def _live_speed(live, held_since: float | None) -> float | None:
    """Frames/s of the takes encoding now, not counting the time their encoders waited for capture."""
    now = time.monotonic()
    done = spent = 0.0
    for lv in live:
        waiting = now - max(held_since, lv.t0) if held_since is not None else 0.0
        done, spent = done + lv.done, spent + max(0.0, now - lv.t0 - lv.held_s - waiting)
    return done / spent if done and spent > 1.0 else None


@dataclass(frozen=True)
class Behind:
    """How far encoding is behind recording, in every open dataset: what the window's status bar and
    record_session's output say while takes are recorded."""

    takes: int
    eta_s: float | None  # encoding left at the measured speed, rounded up to 5 s (None: not measured yet)
    giving_way: bool  # the encoders wait for the take to end (capture fell behind)

    def text(self) -> str:
        if not self.takes:
            return "encoding up to date"
        out = f"encoding {self.takes} take{'s' if self.takes != 1 else ''} behind"
        if self.eta_s is not None:
            left = f"{self.eta_s:.0f} s" if self.eta_s < 90 else f"{self.eta_s / 60:.1f} min"
            out += f", about {left} of encoding left"
        if self.giving_way:
            out += " (waiting while capture catches up)"
        return out


def behind(backlogs: list[Backlog], giving_way: bool = False) -> Behind:
    takes = sum(b.episodes for b in backlogs)
    etas = [b.eta_s for b in backlogs if b.episodes]
    eta = None if not etas or any(e is None for e in etas) else 5.0 * math.ceil(sum(etas) / 5.0)
    return Behind(takes, eta, giving_way and takes > 0)
