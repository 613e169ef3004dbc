"""The session state machine on the simulated rig, down to the committed dataset (no window)."""

from __future__ import annotations

import time

import numpy as np
import pyarrow.parquet as pq
import pytest

from app.dataset.features import make_features
from app.dataset.writer import DatasetWriter
from app.recording.config import SessionConfig
from app.recording.health import read_health
from app.recording.session import Session, State
from app.recording.spool import scan_spools
from app.recording.sync_sink import SyncSink
from app.recording.trash import trashed
from app.rig.rig import build_sim_rig
from app.rig.samples import FEATURE_NAMES


def wait_for(cond, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


@pytest.fixture
def rig():
    r = build_sim_rig(n_cameras=2, width=64, height=48, fps=30)
    r.start()
    yield r
    r.stop()


def make_session(rig, root, **kw):
    cfg = SessionConfig(root=root, repo_id="user/test", task="pick the cube", fps=30,
                        **{"episodes": 3, "episode_time_s": 0.5, "reset_time_s": 0.3, **kw})
    writer = DatasetWriter.create(root, repo_id=cfg.repo_id, fps=30,
                                  features=make_features(list(FEATURE_NAMES), {"front": (48, 64), "wrist": (48, 64)}))
    sink = SyncSink(writer)
    s = Session(rig, cfg, sink)
    events = []
    s.add_observer(lambda e, d: events.append((e, d)))
    return s, writer, sink, events


def episode_lengths(root):
    t = pq.read_table(next((root / "meta" / "episodes").glob("*/*.parquet")))
    return t.column("length").to_pylist(), t.column("tasks").to_pylist()


def test_rerecord_while_recording_and_exit_early(rig, tmp_path):
    root = tmp_path / "ds"
    s, writer, sink, events = make_session(rig, root)
    s.start()
    assert s.state == State.RECORDING and s.episode_number == 1
    wait_for(lambda: s.state == State.RESET)               # episode 1 ends at its time limit
    s.skip_reset()
    wait_for(lambda: s._current is not None and s._current.accepted >= 5)
    s.rerecord()                                          # throw the second take away mid-recording
    assert s.state == State.RESET and s.kept == 1 and s.episode_number == 2
    wait_for(lambda: s.state == State.RECORDING)         # reset ends by itself
    wait_for(lambda: s.state == State.RESET)
    s.set_task("place the cube")                         # editable between episodes
    s.next()
    wait_for(lambda: s._current is not None and s._current.accepted >= 6)
    s.exit_early()
    assert s.state == State.DONE and s.finished.is_set()
    assert s.wait_takes(5) and sink.wait_idle(60)
    assert not sink.errors
    lengths, tasks = episode_lengths(root)
    assert lengths[:2] == [15, 15] and 6 <= lengths[2] < 15
    assert tasks == [["pick the cube"], ["pick the cube"], ["place the cube"]]
    assert writer.total_episodes == 3
    assert scan_spools(root) == []                      # discarded take left nothing behind
    health = read_health(root)
    assert len(health) == 3 and all(h["health"]["frames"] > 0 for h in health)
    assert [e for e, _ in events].count("take_discarded") == 1


def test_rerecord_during_reset_discards_the_finished_take(rig, tmp_path):
    root = tmp_path / "ds"
    s, writer, sink, events = make_session(rig, root, episodes=2, reset_time_s=30)
    s.start()
    wait_for(lambda: s.state == State.RESET)
    first = s.held_take()
    first.wait(5)
    discarded_actions = first.spool.rows()["action"].copy()
    s.rerecord()                                          # left arrow during the reset
    assert s.kept == 0 and s.episode_number == 1 and not first_spool_exists(first)
    s.next()                                              # skip the reset: record episode 1 again
    wait_for(lambda: s.state == State.RESET)
    s.next()
    wait_for(lambda: s.state == State.DONE)
    assert s.wait_takes(5) and sink.wait_idle(60)
    assert writer.total_episodes == 2 and scan_spools(root) == []
    data = pq.read_table(next((root / "data").glob("*/*.parquet"))).to_pydict()
    kept_actions = np.asarray(data["action"], np.float32)
    assert kept_actions.shape == (30, 6) and discarded_actions.shape == (15, 6)
    # none of the discarded take's rows made it into the dataset (lerobot #4109)
    same = (kept_actions[:, None, :] == discarded_actions[None, :, :]).all(axis=2)
    assert not same.any()
    assert len(read_health(root)) == 2


def first_spool_exists(take):
    return take.spool is not None and take.spool.path.exists()


def test_trim_and_trash_with_undo(rig, tmp_path):
    root = tmp_path / "ds"
    s, writer, sink, events = make_session(rig, root, episodes=2, reset_time_s=30)
    s.start()
    wait_for(lambda: s.state == State.RESET)
    s.trim_held(0.1, 0.1)                                 # 3 frames off each end
    assert s.held_take().spool.length == 9
    spool_id = s.trash_held()
    assert spool_id and [t.id for t in trashed(root)] == [spool_id] and s.kept == 0
    s.restore_from_trash(spool_id)                        # undo
    assert s.kept == 1 and trashed(root) == []
    s.next()
    wait_for(lambda: s.state == State.DONE)
    assert s.wait_takes(5) and sink.wait_idle(60)
    lengths, _ = episode_lengths(root)
    assert sorted(lengths) == [9, 15]
