"""Encode budget: will this machine's encoder keep up with the rig, and what to change if not.

Speeds are measured, not guessed: a short synthetic clip (moving texture plus sensor-like noise) is
encoded with the real `encode_segment` at the camera's resolution, once at full speed and once
throttled (as during a take), and verified (the queue verifies every segment). Results are
cached per encoder, options, resolution and CPU count in the user cache dir.

The session model: the encoder runs throttled while a take is recorded and at full speed during the
reset; each take's work arrives when it stops; with batch size N work is released N takes at a time;
after the last take whatever is left drains at full speed.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from app.dataset.verify import verify_segment
from app.dataset.video import VideoSettings, encode_segment
from app.durable import write_atomic
from app.paths import cache_dir

CLIP_FRAMES = 24
CACHE_NAME = "encode_speed.json"
HARDWARE = ("h264_nvenc", "hevc_nvenc", "av1_nvenc", "h264_qsv", "hevc_qsv", "av1_qsv",
            "h264_vaapi", "hevc_vaapi", "av1_vaapi", "h264_videotoolbox", "hevc_videotoolbox", "h264_amf")


@dataclass(frozen=True)
class Speed:
    """Frames per second of one camera stream at one resolution."""

    label: str
    width: int
    height: int
    encode_fps: float
    throttled_fps: float
    decode_fps: float

    def seconds_per_frame(self, throttled: bool = False) -> float:
        enc = self.throttled_fps if throttled else self.encode_fps
        return 1.0 / enc + 1.0 / self.decode_fps


@dataclass(frozen=True)
class Plan:
    cameras: tuple[tuple[int, int], ...]  # (height, width) of each camera
    fps: int
    episode_s: float
    reset_s: float
    episodes: int
    batch_size: int = 1


@dataclass(frozen=True)
class Estimate:
    label: str
    keeps_up: bool
    load: float  # encode work per take / encoder time available per take (<= 1 keeps up)
    work_per_episode_s: float  # full-speed encode + verify seconds for one take
    backlog_after_s: float  # encode time left when the last take stops
    backlog_episodes: float
    session_s: float

    def summary(self) -> str:
        verdict = "keeps up" if self.keeps_up else "falls behind"
        return (f"{self.label}: {verdict} (load {self.load:.0%}); after {self.session_s / 60:.1f} min of "
                f"recording expect {self.backlog_after_s / 60:.1f} min of encoding left "
                f"({self.backlog_episodes:.1f} takes)")


def label(settings: VideoSettings) -> str:
    preset = settings.options().get("preset")
    return settings.encoder + (f" preset {preset}" if preset is not None else "")


def synthetic_clip(width: int, height: int, frames: int = CLIP_FRAMES, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    texture = rng.integers(0, 256, (height // 8 + 1, (width + frames * 4) // 8 + 1, 3), dtype=np.uint8)
    texture = np.repeat(np.repeat(texture, 8, 0), 8, 1)
    out = []
    for i in range(frames):
        img = texture[:height, i * 4:i * 4 + width].astype(np.int16)
        img += rng.integers(-6, 7, img.shape, dtype=np.int16)  # sensor noise: what makes real video costly
        out.append(np.clip(img, 0, 255).astype(np.uint8))
    return out


def _cache_key(settings: VideoSettings, width: int, height: int) -> str:
    return json.dumps([settings.encoder, settings.options(), settings.pix_fmt, width, height,
                       os.cpu_count(), av.__version__])


def _load_cache(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def measure_speed(settings: VideoSettings, width: int, height: int, *, frames: int = CLIP_FRAMES,
                  use_cache: bool = True) -> Speed:
    """Encode (full speed and throttled) and verify a synthetic clip; cached."""
    cache_path = cache_dir() / CACHE_NAME
    key = _cache_key(settings, width, height)
    cache = _load_cache(cache_path) if use_cache else {}
    if key in cache:
        return Speed(**cache[key])
    clip = synthetic_clip(width, height, frames)
    timings = {}
    with tempfile.TemporaryDirectory(prefix="encode-speed-") as tmp:
        for throttled in (False, True):
            path = Path(tmp) / f"clip-{int(throttled)}.mp4"
            t0 = time.perf_counter()
            encode_segment(clip, path, 30, settings, throttled=throttled)
            timings[throttled] = time.perf_counter() - t0
        t0 = time.perf_counter()
        verify_segment(path, frames, 30)
        decode_s = time.perf_counter() - t0
    speed = Speed(label(settings), width, height, frames / timings[False], frames / timings[True],
                  frames / decode_s)
    if use_cache:
        cache = _load_cache(cache_path)
        cache[key] = asdict(speed)
        write_atomic(cache_path, json.dumps(cache, indent=1))
    return speed


def estimate(plan: Plan, speeds: dict[tuple[int, int], Speed], overhead_s: float = 0.0,
             gives_way: bool = False) -> Estimate:
    """Simulate the session; `speeds` maps each camera's (height, width) to its measured Speed.
    `overhead_s` is the per-take cost outside the encoder (reading the spool, committing).
    gives_way: the encoders wait through every take (capture fell behind, app/encoding/child.py
    `hold`) and encode only during resets: how much the backlog grows then."""
    frames = plan.fps * plan.episode_s
    work = overhead_s + sum(frames * speeds[hw].seconds_per_frame() for hw in plan.cameras)
    throttled_work = overhead_s + sum(frames * speeds[hw].seconds_per_frame(True) for hw in plan.cameras)
    rate_throttled = work / throttled_work if throttled_work else 1.0  # full-speed seconds per wall second
    if gives_way:
        rate_throttled = 0.0
    released = waiting = 0.0
    waiting_n = 0
    for i in range(plan.episodes):
        released = max(0.0, released - plan.episode_s * rate_throttled)
        waiting += work
        waiting_n += 1
        last = i == plan.episodes - 1
        if waiting_n >= plan.batch_size or last:  # the session flushes after the last take
            released, waiting, waiting_n = released + waiting, 0.0, 0
        if not last:
            released = max(0.0, released - plan.reset_s)
    capacity = plan.episode_s * rate_throttled + plan.reset_s
    load = work / capacity if capacity > 0 else math.inf
    any_speed = next(iter(speeds.values()))
    return Estimate(any_speed.label, load <= 1.0, load, work, released, released / work if work else 0.0,
                    plan.episodes * plan.episode_s + (plan.episodes - 1) * plan.reset_s)


def hardware_encoders() -> list[str]:
    """Hardware encoders that PyAV lists and that actually open on this machine."""
    found = []
    for name in HARDWARE:
        if name not in av.codecs_available:
            continue
        try:
            ctx = av.CodecContext.create(name, "w")
            ctx.width, ctx.height, ctx.pix_fmt = 64, 64, "yuv420p"
            ctx.time_base = Fraction(1, 30)
            ctx.open()
            found.append(name)
        except Exception:  # noqa: BLE001 - any failure means "not usable here"
            continue
    return found


def candidates(base: VideoSettings | None = None) -> list[VideoSettings]:
    """Settings to try, best quality per CPU second first: the chosen one, faster SVT-AV1, x264, hardware."""
    base = base or VideoSettings()
    out = [base]
    for s in (VideoSettings(codec="libsvtav1", preset=12), VideoSettings(codec="libsvtav1", preset=13),
              VideoSettings(codec="libx264", preset="veryfast", crf=23),
              VideoSettings(codec="libx264", preset="ultrafast", crf=23)):
        if label(s) != label(base):
            out.append(s)
    out += [VideoSettings(codec=name, crf=None, preset=None) for name in hardware_encoders()]
    return out


def suggest(plan: Plan, base: VideoSettings | None = None, *, use_cache: bool = True
            ) -> tuple[VideoSettings, Estimate, list[Estimate]]:
    """The first candidate that keeps up (or the fastest if none does), its estimate, and all estimates."""
    results = []
    for s in candidates(base):
        speeds = {hw: measure_speed(s, hw[1], hw[0], use_cache=use_cache) for hw in set(plan.cameras)}
        est = estimate(plan, speeds)
        results.append((s, est))
        if est.keeps_up:
            return s, est, [r[1] for r in results]
    best = min(results, key=lambda r: r[1].load)
    return best[0], best[1], [r[1] for r in results]
