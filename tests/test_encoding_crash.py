"""The queue on its QThread workers, and SIGKILL of a process running it, then a relaunch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from app.dataset.reader import DatasetReader
from app.dataset.validate import validate
from app.dataset.video import VideoSettings
from app.dataset.writer import DatasetWriter
from app.encoding.queue import EncodeQueue
from app.encoding.workers import EncodeWorkers
from app.recording.spool import scan_spools, spool_root
from tests.conftest import ROOT
from tests.encoding_helpers import X264, make_dataset, record_take

SLOW = VideoSettings(codec="libx264", preset="veryslow", crf=23)
BIG = {"observation.images.front": (120, 160), "observation.images.wrist": (120, 160)}
CHILD = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QCoreApplication
    from app.dataset.video import VideoSettings
    from app.dataset.writer import DatasetWriter
    from app.encoding.queue import EncodeQueue
    from app.encoding.workers import EncodeWorkers
    from app.recording.spool import scan_spools
    app = QCoreApplication([])
    root = sys.argv[1]
    w = DatasetWriter.open(root)
    q = EncodeQueue(root, w, batch_size=1, settings=VideoSettings(codec="libx264", preset="veryslow", crf=23))
    workers = EncodeWorkers(q)
    workers.start()
    for s in scan_spools(root):
        q.submit(s)
    print("submitted", flush=True)
    q.wait_idle()
    print("idle", flush=True)
""")


def _journal_states(root):
    try:
        data = json.loads((root / ".studio" / "queue.json").read_text())
    except (OSError, ValueError):
        return []
    return [e["state"] for e in data["entries"]]


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", ["encoding", "verifying"])
def test_sigkill_during_encoding_then_relaunch_resumes(tmp_path, kill_at):
    root = tmp_path / "ds"
    w = make_dataset(root, cameras=BIG)
    w.close()
    takes = [record_take(root, 30, seed=s, task=f"task {s}", cameras=BIG) for s in range(4)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(root)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            states = _journal_states(root)
            if kill_at in states and "done" in states:
                break
            time.sleep(0.002)
        assert proc.poll() is None, "the queue finished before it could be killed: " + proc.stderr.read().decode()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    killed_states = _journal_states(root)
    assert kill_at in killed_states

    w = DatasetWriter.open(root)  # rolls an interrupted commit forward or back
    committed_before = set(w.committed_sources())
    q = EncodeQueue(root, w, settings=SLOW)  # a dataset keeps one encoder setting per camera file
    assert all(r.state in ("pending", "done") for r in q.rows())
    workers = EncodeWorkers(q)
    workers.start()
    try:
        assert q.wait_idle(60)
    finally:
        assert workers.stop()
    assert {r.state for r in q.rows()} == {"done"}
    assert w.committed_sources() == {t.id for t in takes} and committed_before <= w.committed_sources()
    w.close()
    r = DatasetReader(root)
    assert r.info["total_episodes"] == 4 and r.info["total_frames"] == 4 * 30
    assert sorted(t for ep in r.episodes for t in ep.tasks) == [f"task {s}" for s in range(4)]  # none twice
    report = validate(root)
    assert report.ok, report.errors
    assert not scan_spools(root) and not spool_root(root).exists()


def test_workers_encode_while_the_caller_waits_and_exit_flushes_pending(qapp, tmp_path):
    root = tmp_path / "ds"
    w = make_dataset(root)
    q = EncodeQueue(root, w, batch_size=3, settings=X264)
    workers = EncodeWorkers(q)
    workers.start()
    try:
        takes = [record_take(root, 6, seed=s) for s in range(2)]
        for t in takes:
            q.submit(t)
        assert q.wait_idle(1.0)  # two of three: the batch is not released, nothing to do
        assert q.counts()["pending"] == 2 and w.total_episodes == 0
        assert q.has_work()
        # the app exits with pending takes and the operator chose "encode now"
        q.flush()
        assert q.wait_idle(30)
        assert w.total_episodes == 2 and not q.has_work()
        assert all(not t.path.exists() for t in takes)
    finally:
        assert workers.stop()
    assert not workers.running()
    w.close()


def test_stop_while_encoding_leaves_the_take_pending_for_next_launch(qapp, tmp_path):
    root = tmp_path / "ds"
    w = make_dataset(root, cameras=BIG)
    q = EncodeQueue(root, w, settings=SLOW)
    take = record_take(root, 30, cameras=BIG)
    workers = EncodeWorkers(q)
    workers.start()
    q.submit(take)
    deadline = time.monotonic() + 20
    while q.row(take.id).progress == 0 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert workers.stop()  # "on next launch"
    assert q.row(take.id).state == "pending" and take.path.is_dir()
    assert w.total_episodes == 0
    w.close()
    w2 = DatasetWriter.open(root)
    q2 = EncodeQueue(root, w2, settings=SLOW)
    q2.process_all()
    assert w2.total_episodes == 1 and not take.path.exists()
    w2.close()
