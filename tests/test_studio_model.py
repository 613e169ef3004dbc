"""The studio model without a window (napari-style: a behaviour is testable without a widget):
actions allowed per state, the close policy's report, batch flush at session end, what a quick quit
leaves, and the start-up scan that brings it back."""

from __future__ import annotations

import time

import pytest

from app.known_datasets import KnownDatasets
from app.recording.config import SessionConfig
from app.recording.session import State
from app.recording.spool import scan_spools
from app.rig.rig import build_sim_rig
from app.studio import Studio, StudioError
from tests.encoding_helpers import X264


def run_until(studio, pred, timeout=30.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        studio.poll()  # the host's clock, as the window's timer and the record command call it
        if pred():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def rig():
    rig = build_sim_rig(n_cameras=1, width=64, height=48, fps=30)
    rig.start()
    yield rig
    rig.stop()


def cfg(root, **kw):
    base = dict(repo_id="lab/model", task="pick the cube", episodes=3, episode_time_s=0.4, reset_time_s=30,
                video_encoding_batch_size=3)
    return SessionConfig(root=root, **{**base, **kw})


def test_actions_pending_and_a_quick_quit_then_the_next_launch(qapp, rig, tmp_path):
    known = KnownDatasets(tmp_path / "known.json")
    studio = Studio(rig, known=known)
    events = []
    studio.subscribe(lambda e, d: events.append(e))
    assert not studio.can("start") and studio.can("new_session") and studio.pending().empty
    with pytest.raises(StudioError, match="USER/NAME"):
        studio.open_session(cfg(tmp_path / "ds", repo_id="nope"))
    root = tmp_path / "ds"
    studio.open_session(cfg(root), video=X264)
    assert studio.can("start") and not studio.can("skip_reset") and "session_opened" in events
    studio.command("start")
    assert studio.state == State.RECORDING and not studio.can("new_session")
    assert studio.pending().recording.startswith("episode 1 of 3")
    with pytest.raises(StudioError, match="end the session"):
        studio.open_session(cfg(tmp_path / "other"))
    assert run_until(studio, lambda: studio.state == State.RESET)
    assert studio.can("trim") and studio.pending().held == "episode 1 of 3"
    studio.command("next")  # take 1 goes to the queue and waits for its batch of 3
    assert run_until(studio, lambda: studio.state == State.RESET and studio.current.queue.counts()["pending"] == 1)
    p = studio.pending()
    assert p.waiting == {"lab/model": 1} and p.held == "episode 2 of 3"
    studio.shutdown()  # quit now: take 2 is stopped and kept, nothing is encoded
    assert not studio.datasets and studio.session is None
    left = scan_spools(root)
    assert len(left) == 2 and all(s.complete for s in left)

    again = Studio(rig, known=known)  # the next launch
    [leftover] = again.leftovers()
    assert leftover.root == root.resolve() and len(leftover.unencoded) == 2 and "2 take(s)" in leftover.line()
    assert again.finish_leftovers([leftover]) == []
    assert run_until(again, lambda: not again.datasets, timeout=60)  # encoded, then released
    from app.dataset.reader import DatasetReader

    assert DatasetReader(root).info["total_episodes"] == 2 and again.leftovers() == []


def test_session_end_flushes_the_batch_and_reports_committed(qapp, rig, tmp_path):
    studio = Studio(rig, known=KnownDatasets(tmp_path / "known.json"))
    results = []
    studio.subscribe(lambda e, d: results.append(d) if e == "session_committed" else None)
    studio.open_session(cfg(tmp_path / "ds", episodes=2, reset_time_s=0.1, video_encoding_batch_size=5),
                        video=X264)
    studio.command("start")
    assert run_until(studio, lambda: bool(results), timeout=60)
    r = results[0]
    assert (r.kept, r.committed, r.failed) == (2, 2, 0) and studio.state == State.DONE
    assert studio.all_done() and studio.pending().empty
    studio.shutdown()
