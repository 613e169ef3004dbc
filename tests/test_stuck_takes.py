"""No stuck takes (issue 18): what cannot fit is refused before recording, a take whose encode met a
full disk is committed once there is room again, a full disk never hangs `record`, SIGTERM ends it
like Ctrl-C. Every recovery here happens without the user touching a file."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import app.encoding.job as job
from app.dataset.reader import DatasetReader
from app.dataset.writer import DatasetWriter
from app.encoding.journal import DONE, FAILED, PENDING
from app.encoding.queue import EncodeQueue
from app.recording.spool import scan_spools
from tests.encoding_helpers import X264, make_dataset, record_take
from tests.test_record_cli import ROOT, record_cmd, run

FULL = 0
ROOMY = 10 ** 12


@pytest.fixture
def disk_fault(monkeypatch):
    """While on, every encode fails as on a full disk (the error the encoder child sends back)."""
    state = {"full": True}
    real = job.encode_take

    def encode_take(spool, segments, *a, **kw):
        if state["full"]:
            raise OSError(errno.ENOSPC, "No space left on device", str(next(iter(segments.values()))))
        return real(spool, segments, *a, **kw)

    monkeypatch.setattr(job, "encode_take", encode_take)
    return state


def test_a_take_that_failed_on_a_full_disk_is_committed_once_there_is_room(tmp_path, disk_fault):
    root = tmp_path / "ds"
    w = make_dataset(root)
    take = record_take(root, 6)
    q = EncodeQueue(root, w, settings=X264)
    q.retry_first_s = 0.2
    free = {"bytes": FULL}
    q.free_bytes = lambda: free["bytes"]
    q.submit(take)
    q.process_all()
    row = q.row(take.id)
    assert row.state == FAILED and "Disk full" in q._journal.entries[take.id].error
    assert "by itself" in q._journal.entries[take.id].error
    assert take.path.is_dir() and w.total_episodes == 0
    disk_fault["full"] = False  # the other program's file is gone, but the disk still reports no room
    time.sleep(0.3)
    q.process_all()
    assert q.row(take.id).state == FAILED, "retried although the disk still had no room"
    free["bytes"] = ROOMY
    deadline = time.monotonic() + 5
    while q.row(take.id).state != DONE and time.monotonic() < deadline:
        time.sleep(0.05)
        q.process_all()
    assert q.row(take.id).state == DONE and w.total_episodes == 1
    assert not take.path.exists()
    q.close()
    w.close()


def test_reopening_the_dataset_retries_failed_takes_still_on_disk(tmp_path, disk_fault):
    root = tmp_path / "ds"
    w = make_dataset(root)
    takes = [record_take(root, 5, seed=i) for i in range(2)]
    q = EncodeQueue(root, w, settings=X264)
    for t in takes:
        q.submit(t)
    q.process_all()
    assert q.counts()[FAILED] == 2
    q.close()
    w.close()
    disk_fault["full"] = False
    w = DatasetWriter.open(root)  # what `record --resume` and the window do
    q = EncodeQueue(root, w, settings=X264)
    assert q.counts()[PENDING] == 2
    assert sorted(q.retried) == sorted(t.id for t in takes)  # reported as a recovery line
    q.process_all()
    assert q.counts()[DONE] == 2 and w.total_episodes == 2 and scan_spools(root) == []
    q.close()
    w.close()


def test_resume_with_other_cameras_is_refused_before_recording(tmp_path):
    root = tmp_path / "ds"
    r = run(root, "--episodes", "1", "--episode-time-s", "0.4", "--reset-time-s", "0")
    assert r.returncode == 0, r.stderr
    r = run(root, "--resume", "--cameras", "1", "--episodes", "1", "--episode-time-s", "0.4", "--reset-time-s", "0")
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "is in the dataset but not chosen for this take" in lines[0] and "camera" in lines[0], lines[0]
    assert "recording episode" not in r.stdout and scan_spools(root) == []
    assert DatasetReader(root).info["total_episodes"] == 1
    # nothing stuck: the next resume with the dataset's cameras records and exits 0
    r = run(root, "--resume", "--episodes", "1", "--episode-time-s", "0.4", "--reset-time-s", "0")
    assert r.returncode == 0, r.stderr
    assert DatasetReader(root).info["total_episodes"] == 2


def _record_with(preamble: str, root: Path, *extra, timeout=60):
    code = preamble + "\nimport sys\nfrom app.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    cmd = [sys.executable, "-c", code] + record_cmd(root, *extra)[3:]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})


def test_too_little_disk_space_refuses_to_start_and_returns(tmp_path):
    root = tmp_path / "ds"
    t0 = time.monotonic()
    r = _record_with("import app.recording.disk as d; d.RESERVE_BYTES = 10 ** 18", root,
                     "--episodes", "2", "--episode-time-s", "0.5", "--reset-time-s", "0", timeout=30)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "not enough disk space to record" in r.stderr and "free some space" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert time.monotonic() - t0 < 30 and scan_spools(root) == []


def test_disk_filling_up_between_takes_ends_the_session_and_keeps_the_first(tmp_path):
    # the disk reports no room from the moment the first take is stopped (another program filled it)
    pre = ("import os, app.recording.disk as d\n"
           "def free(self):\n"
           "    s = os.path.join(str(self.root), '.studio', 'spool')\n"
           "    stopped = any(os.path.exists(os.path.join(s, x, 'stopped.json')) for x in os.listdir(s))"
           " if os.path.isdir(s) else False\n"
           "    return 0 if stopped or os.path.isdir(os.path.join(str(self.root), 'meta', 'episodes')) else 10 ** 12\n"
           "d.DiskGuard.free_bytes = free")
    root = tmp_path / "ds"
    r = _record_with(pre, root, "--episodes", "3", "--episode-time-s", "0.5", "--reset-time-s", "0.3", timeout=60)
    assert r.stdout.count("ERROR: not enough disk space") == 1, r.stdout  # said once, not every tick
    assert r.returncode == 1 and "1 episode(s) committed" in r.stdout, (r.stdout, r.stderr)
    assert DatasetReader(root).info["total_episodes"] == 1 and scan_spools(root) == []


def watchdog(p, seconds: float = 90.0) -> None:
    """Kill a record process that hangs, so reading its output ends and the test fails instead."""
    import threading

    t = threading.Timer(seconds, lambda: p.poll() is None and p.kill())
    t.daemon = True
    t.start()


def start_three_long_takes(root):
    """`teleop-studio record` of 3 takes of 30 s without resets, killed by the watchdog if it hangs."""
    p = subprocess.Popen(record_cmd(root, "--episodes", "3", "--episode-time-s", "30", "--reset-time-s", "0"),
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    watchdog(p)
    return p


def test_sigterm_ends_record_like_ctrl_c(tmp_path):
    root = tmp_path / "ds"
    p = start_three_long_takes(root)
    lines = []
    for line in p.stdout:
        lines.append(line)
        if "recording episode 1" in line:
            break
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    out = "".join(lines) + out
    assert p.returncode == 0, (out, err)
    assert "ending the session" in out and "1 episode(s) committed" in out, out
    assert DatasetReader(root).info["total_episodes"] == 1 and scan_spools(root) == []


def test_retry_failed_in_the_queue_panel_commits_a_take_the_full_disk_failed(qtbot, tmp_path, disk_fault):
    from PySide6.QtCore import Qt

    from app.encoding.workers import EncodeWorkers
    from widgets.encode_panel import EncodePanel

    root = tmp_path / "ds"
    w = make_dataset(root)
    q = EncodeQueue(root, w, settings=X264)
    q.retry_first_s = 3600.0  # no automatic retry within this test: only the button
    workers = EncodeWorkers(q)
    workers.start()
    panel = EncodePanel(q)
    qtbot.addWidget(panel)
    take = record_take(root, 5)
    try:
        q.submit(take)
        qtbot.waitUntil(lambda: q.row(take.id).state == FAILED, timeout=20000)
        disk_fault["full"] = False
        qtbot.mouseClick(panel.retry_btn, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: q.row(take.id).state == DONE, timeout=20000)
        assert w.total_episodes == 1 and not take.path.exists()
    finally:
        q.close()
        workers.stop()
        w.close()


def test_record_visibility_flags_default_to_the_owners_choice():
    from app.cli import build_parser
    from app.commands.push import visibility

    base = ["record", "--root", "x", "--repo-id", "u/d", "--task", "t", "--push-to-hub"]
    parse = build_parser().parse_args
    assert visibility(parse(base)) is None  # neither flag: the user's or organisation's default, not public
    assert visibility(parse(base + ["--private"])) is True
    assert visibility(parse(base + ["--public"])) is False
    with pytest.raises(SystemExit):
        parse(base + ["--private", "--public"])
    from app.commands.lerobot_flags import finish_args

    lerobot = ["record", "--dataset.repo_id", "u/d", "--dataset.single_task", "t", "--dataset.root", "x",
               "--dataset.push_to_hub"]
    for extra, want in (([], None), (["--dataset.private"], True), (["--dataset.private=false"], False)):
        args = parse(lerobot + extra)
        assert finish_args(args) is None and visibility(args) is want, extra


def test_the_window_refuses_a_session_whose_cameras_do_not_fit_before_recording(qapp, tmp_path):
    from app.recording.config import SessionConfig
    from app.rig.rig import build_sim_rig
    from app.studio import Studio, StudioError
    from tests.test_studio_model import run_until

    def config(root, **kw):
        return SessionConfig(root=root, repo_id="lab/fit", task="pick", episodes=1, episode_time_s=0.3,
                             reset_time_s=0, **kw)

    root = tmp_path / "ds"
    two = build_sim_rig(n_cameras=2, width=64, height=48, fps=30)
    two.start()
    studio = Studio(two)
    studio.open_session(config(root))
    studio.command("start")
    assert run_until(studio, lambda: studio.current.writer.total_episodes == 1)
    studio.shutdown()
    two.stop()
    one = build_sim_rig(n_cameras=1, width=64, height=48, fps=30)  # the window's session start, one camera
    studio = Studio(one)
    try:
        with pytest.raises(StudioError) as err:
            studio.open_session(config(root, resume=True))
        msg = str(err.value)
        assert "do not fit the dataset" in msg and "is in the dataset but not chosen for this take" in msg, msg
        assert studio.session is None and scan_spools(root) == [] and not studio.datasets
    finally:
        studio.shutdown()
        one.stop()


def test_a_really_full_disk_fails_the_encode_and_the_take_commits_once_the_ballast_is_gone(tmp_path):
    """The same on a real small file system filled by another program (needs root to mount tmpfs)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small file system here (the fault-hook tests above cover the logic)")
    try:
        root = mnt / "ds"
        w = make_dataset(root)
        take = record_take(root, 6)
        q = EncodeQueue(root, w, settings=X264)
        q.retry_first_s = 0.1
        q.submit(take)
        ballast = mnt / "ballast.bin"
        with open(ballast, "wb") as f:
            with pytest.raises(OSError) as full:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
        assert full.value.errno == errno.ENOSPC
        q.process_all()  # the journal cannot be saved either: the queue goes on from memory
        assert q.row(take.id).state == FAILED and "Disk full" in q._journal.entries[take.id].error
        ballast.unlink()
        deadline = time.monotonic() + 20
        while q.row(take.id).state != DONE and time.monotonic() < deadline:
            time.sleep(0.05)
            q.process_all()
        assert q.row(take.id).state == DONE and w.total_episodes == 1 and not take.path.exists()
        q.close()
        w.close()
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_a_second_sigterm_leaves_the_rest_for_resume(tmp_path):
    root = tmp_path / "ds"
    p = start_three_long_takes(root)
    for line in p.stdout:
        if "recording episode 1" in line:
            break
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    for line in p.stdout:
        if "ending the session" in line:
            break
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    assert p.returncode in (0, 1), (p.returncode, out, err)  # ended by the studio, not killed by the signal
    assert "Traceback" not in err and "committed" in out, (out, err)
    r = run(root, "--resume", "--episodes", "1", "--episode-time-s", "0.4", "--reset-time-s", "0")
    assert r.returncode == 0, r.stderr
    assert DatasetReader(root).info["total_episodes"] == 2 and scan_spools(root) == []
