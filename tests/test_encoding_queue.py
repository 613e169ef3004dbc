"""Encode queue with real spools, real PyAV encodes and a real DatasetWriter (no stand-ins)."""

from __future__ import annotations

import json

import numpy as np

from app.dataset.reader import DatasetReader
from app.dataset.video import VideoSettings
from app.dataset.writer import DatasetWriter
from app.encoding.journal import Journal
from app.encoding.queue import CANCELLED_MSG, EncodeQueue
from app.recording.spool import scan_spools, spool_root
from tests.encoding_helpers import X264, make_dataset, record_take


def _validate(root):
    from app.dataset.validate import validate
    report = validate(root)
    assert report.ok, report.errors


def summary(root):
    r = DatasetReader(root)
    out = []
    for ep in r.episodes:
        t = r.read_episode(ep.index, ["action", "observation.state"])
        out.append((ep.length, tuple(ep.tasks), np.asarray(t.column("action").to_pylist(), np.float32).tobytes()))
    return r.info["total_episodes"], r.info["total_frames"], out


def test_batch_sizes_1_and_3_commit_the_same_dataset(tmp_path):
    results = {}
    for batch in (1, 3):
        root = tmp_path / f"b{batch}"
        w = make_dataset(root)
        q = EncodeQueue(root, w, batch_size=batch, settings=X264)
        runnable_after_each = []
        for seed in range(4):
            q.submit(record_take(root, 8 + seed, task=f"task {seed % 2}", seed=seed))
            runnable_after_each.append(sum(r.runnable for r in q.rows()))
            if batch == 1:
                q.process_all()
        if batch == 3:
            # nothing encoded until three takes wait; the fourth waits for the next batch or a flush
            assert runnable_after_each == [0, 0, 3, 3]  # the 4th is not runnable, the batch is
            q.process_all()
            assert q.counts()["done"] == 3 and q.counts()["pending"] == 1
            assert not q.rows()[-1].runnable
            q.flush()
            q.process_all()
        else:
            assert runnable_after_each == [1, 1, 1, 1]
        assert q.counts()["done"] == 4
        assert w.committed_sources() == {r.id for r in q.rows()}
        results[batch] = summary(root)
        _validate(root)
        w.close()
    assert results[1] == results[3]
    assert results[1][0] == 4 and results[1][1] == 8 + 9 + 10 + 11


def test_spool_is_deleted_only_after_its_commit_and_the_folder_only_when_empty(tmp_path):
    root = tmp_path / "ds"
    w = make_dataset(root)
    q = EncodeQueue(root, w, settings=X264)
    seen = []  # (spool exists, committed) at every change of the queue

    def watch(entry_id):
        if entry_id is None:
            return
        row = q.row(entry_id)
        from pathlib import Path
        seen.append((row.state, Path(row.spool).exists(), entry_id in w.committed_sources()))

    q.add_observer(watch)
    a, b = record_take(root, 6, seed=1), record_take(root, 6, seed=2)
    q.submit(a)
    q.submit(b)
    q.cancel(b.id)  # b stays: its folder must survive a's cleanup
    q.process_all()
    assert not a.path.exists() and b.path.is_dir()
    assert spool_root(root).is_dir()  # b is still in it
    assert any(state == "encoding" and exists and not committed for state, exists, committed in seen)
    assert all(committed for _, exists, committed in seen if not exists)  # never gone before committed
    q.retry_failed()
    q.process_all()
    assert not b.path.exists() and not spool_root(root).exists()  # empty -> removed
    assert w.total_episodes == 2
    w.close()


def test_corrupt_spool_fails_only_its_own_entry(tmp_path):
    root = tmp_path / "ds"
    w = make_dataset(root)
    q = EncodeQueue(root, w, batch_size=3, settings=X264)
    takes = [record_take(root, 7, seed=s) for s in range(3)]
    (takes[1].path / "meta.json").write_text("{ not json")
    for t in takes:
        q.submit(t)
    q.process_all()
    rows = {r.id: r for r in q.rows()}
    assert rows[takes[1].id].state == "failed"
    assert "meta.json" in rows[takes[1].id].error
    assert takes[1].path.is_dir()  # kept for inspection / retry
    assert [rows[t.id].state for t in (takes[0], takes[2])] == ["done", "done"]
    assert w.total_episodes == 2
    # a missing camera file is reported too, and retry counts attempts
    (takes[1].path / "meta.json").write_text(json.dumps(takes[1].meta))
    (takes[1].path / "observation.images.wrist.raw").unlink()
    q.retry_failed()
    q.process_all()
    row = q.row(takes[1].id)
    assert row.state == "failed" and row.attempts == 2 and "no complete frame" in row.error
    _validate(root)
    w.close()


def test_cancel_raise_priority_and_pause(tmp_path):
    root = tmp_path / "ds"
    w = make_dataset(root)
    q = EncodeQueue(root, w, batch_size=3, settings=X264)
    a, b, c = (record_take(root, 5, seed=s) for s in range(3))
    for t in (a, b, c):
        q.submit(t)
    q.raise_priority(c.id)
    q.cancel(b.id)
    q.pause()
    assert q.claim(timeout=0) is None
    assert not q.wait_idle(0.05)  # paused with work left is not idle
    q.resume()
    first = q.claim(timeout=0)
    assert first.id == c.id
    q.run(first)
    q.process_all()
    assert q.row(b.id).state == "failed" and q.row(b.id).error == CANCELLED_MSG
    assert b.path.is_dir()
    assert [w.committed_sources() >= {a.id, c.id}] == [True]
    w.close()


def test_cancel_while_encoding_keeps_the_spool(tmp_path):
    root = tmp_path / "ds"
    w = make_dataset(root)
    q = EncodeQueue(root, w, settings=X264)
    take = record_take(root, 12)
    q.submit(take)
    # as soon as it is encoding (a 12-frame encode may end before a progress notification shows > 0)
    q.add_observer(lambda i: q.cancel(i) if i and q.row(i).state == "encoding" else None)
    q.process_all()
    row = q.row(take.id)
    assert row.state == "failed" and row.error == CANCELLED_MSG
    assert take.path.is_dir() and not list(take.path.glob("*.mp4"))  # partial segments removed
    assert w.total_episodes == 0
    w.close()


def test_relaunch_resumes_and_never_duplicates_a_commit(tmp_path):
    """The on-disk state a crash leaves between the commit and the journal update: the episode is in
    the dataset, the journal still says encoding and the spool is still there."""
    root = tmp_path / "ds"
    w = make_dataset(root)
    q = EncodeQueue(root, w, batch_size=5, settings=X264)
    done_take, open_take = record_take(root, 6, seed=1), record_take(root, 6, seed=2)
    q.submit(done_take)
    q.submit(open_take)
    j = Journal.load(root / ".studio" / "queue.json")
    for e in j.entries.values():
        e.state = "encoding"
    j.save()
    from app.dataset.writer import Episode
    w.add_episode(Episode(task=done_take.task, data=done_take.rows(),
                          videos={k: list(done_take.frames(k)) for k in done_take.cameras}),
                  source_id=done_take.id)
    w.close()
    w2 = DatasetWriter.open(root)
    q2 = EncodeQueue(root, w2, batch_size=5, settings=X264)  # batch not full, but resumed work runs
    assert {r.state for r in q2.rows()} == {"pending"} and all(r.runnable for r in q2.rows())
    q2.process_all()
    assert w2.total_episodes == 2
    assert {r.state for r in q2.rows()} == {"done"}
    assert not scan_spools(root)
    _validate(root)
    w2.close()


def test_adopts_stopped_spools_missing_from_the_journal(tmp_path):
    root = tmp_path / "ds"
    w = make_dataset(root)
    take = record_take(root, 5)
    assert EncodeQueue(root, w, batch_size=4, settings=X264).row(take.id) is None  # recovery's job by default
    q = EncodeQueue(root, w, batch_size=4, settings=X264, adopt_spools=True)
    assert q.row(take.id).runnable
    q.process_all()
    assert w.committed_sources() == {take.id}
    w.close()


def test_libsvtav1_default_settings(tmp_path):
    root = tmp_path / "ds"
    w = make_dataset(root, settings=VideoSettings())
    q = EncodeQueue(root, w, settings=VideoSettings())
    q.set_throttled(True)  # lp=1, as while a take is recorded
    q.submit(record_take(root, 10, seed=1))
    q.process_all()
    q.set_throttled(False)  # full speed between takes; both must append into one camera file
    q.submit(record_take(root, 10, seed=2))
    q.process_all()
    assert w.total_episodes == 2
    row = q.rows()[0]
    assert row.state == "done", row.error
    assert row.codec == "libsvtav1" and row.output_bytes > 0
    info = json.loads((root / "meta" / "info.json").read_text())
    assert info["features"]["observation.images.front"]["info"]["video.codec"] == "av1"
    _validate(root)
    w.close()
