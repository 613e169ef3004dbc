"""Encode budget: the session model (pure arithmetic) and the measured, cached encoder speed."""

from __future__ import annotations

import json

import pytest

from app.encoding import budget
from app.encoding.budget import Plan, Speed, estimate
from app.paths import cache_dir
from tests.encoding_helpers import X264


def speed(enc, thr=None, dec=1e12):
    return Speed("test", 64, 48, enc, thr or enc, dec)


def test_estimate_falls_behind_and_reports_the_backlog():
    # 100 frames per take at 5 frames/s = 20 s of work; 10 s take + 5 s reset = 15 s available
    plan = Plan(cameras=((48, 64),), fps=10, episode_s=10, reset_s=5, episodes=3)
    est = estimate(plan, {(48, 64): speed(5.0)})
    assert not est.keeps_up and est.load == pytest.approx(20 / 15)
    assert est.work_per_episode_s == pytest.approx(20)
    assert est.backlog_after_s == pytest.approx(30)  # 0 -> 15 -> 20 -> 30, hand-computed
    assert est.backlog_episodes == pytest.approx(1.5)
    assert est.session_s == 40


def test_estimate_keeps_up_with_throttled_speed_and_batches():
    plan = Plan(cameras=((48, 64), (48, 64)), fps=10, episode_s=10, reset_s=10, episodes=4, batch_size=2)
    # 2 x 100 frames at 40 fps = 5 s per take; throttled at 20 fps -> half rate while recording
    est = estimate(plan, {(48, 64): speed(40.0, 20.0)})
    assert est.keeps_up and est.load == pytest.approx(5 / (10 * 0.5 + 10))
    # batch 2: the last two takes are released together at the end: 10 s left
    assert est.backlog_after_s == pytest.approx(10)
    assert estimate(Plan(**{**plan.__dict__, "batch_size": 1}), {(48, 64): speed(40.0, 20.0)}).backlog_after_s \
        == pytest.approx(5)
    assert "keeps up" in est.summary()


def test_measure_speed_encodes_once_and_caches(tmp_path):
    s = budget.measure_speed(X264, 64, 48, frames=8)
    assert s.encode_fps > 0 and s.throttled_fps > 0 and s.decode_fps > 0
    cache = json.loads((cache_dir() / budget.CACHE_NAME).read_text())
    key = next(k for k in cache if json.loads(k)[3:5] == [64, 48] and json.loads(k)[0] == "libx264")
    cache[key]["encode_fps"] = 12345.0
    (cache_dir() / budget.CACHE_NAME).write_text(json.dumps(cache))
    assert budget.measure_speed(X264, 64, 48, frames=8).encode_fps == 12345.0
    assert budget.measure_speed(X264, 64, 48, frames=8, use_cache=False).encode_fps != 12345.0


def test_suggest_returns_the_first_candidate_that_keeps_up_or_the_fastest():
    easy = Plan(cameras=((48, 64),), fps=10, episode_s=1, reset_s=600, episodes=2)
    chosen, est, tried = budget.suggest(easy, X264, use_cache=False)
    assert chosen is X264 and est.keeps_up and len(tried) == 1
    hopeless = Plan(cameras=((48, 64),) * 50, fps=1000, episode_s=60, reset_s=0, episodes=2)
    chosen, est, tried = budget.suggest(hopeless, X264)
    assert not est.keeps_up and len(tried) >= 4
    assert est.load == min(t.load for t in tried)
