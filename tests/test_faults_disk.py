"""Disk full in the middle of a recording: a clear message, the take stopped and kept, the episodes
before it intact, nothing lost once space is freed.

The disk is a real small file system (tmpfs mounted for the test, as root) filled by a ballast file
while a take is being recorded, as another program filling the disk would. Where mounting is not
permitted, the spool's low-level write is made to fail with ENOSPC instead (a fault hook)."""

from __future__ import annotations

import errno
import os
import subprocess
import time

import pytest

from app.dataset.reader import DatasetReader
from app.dataset.validate import validate
from app.recording.disk import DiskGuard
from app.recording.recovery import recover
from app.recording.spool import scan_spools
from tests.faults_helpers import sim_session

SIZE_MB = 96  # > the disk guard's 64 MB reserve, so recording may start


@pytest.fixture
def small_disk(tmp_path, monkeypatch):
    """(folder, fill, free): a small real file system if we may mount one, else a fault hook."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m", "tmpfs", str(mnt)], capture_output=True).returncode == 0
    ballast = mnt / "ballast.bin"
    if mounted:
        def fill():
            with open(ballast, "wb") as f:
                try:
                    while True:
                        f.write(b"\0" * (1 << 20))
                        f.flush()
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC

        def free():
            ballast.unlink()
    else:  # fault hook: every spool write fails as on a full disk until free()
        import app.recording.spool as spool

        real, full = spool._write_all, {"on": False}

        def write_all(f, data):
            if full["on"]:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(f, data)

        monkeypatch.setattr(spool, "_write_all", write_all)
        fill, free = (lambda: full.__setitem__("on", True)), (lambda: full.__setitem__("on", False))
    try:
        yield mnt, fill, free
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


class BlindGuard(DiskGuard):
    """A file system that reports plenty of free space while it has none (quota, network share)."""

    def free_bytes(self) -> int:
        return 10 ** 12


@pytest.mark.parametrize("guard", ["guard", "blind"])
def test_disk_full_mid_take_keeps_the_episodes_before_it(qapp, small_disk, guard):
    mnt, fill, free = small_disk
    root = mnt / "ds"
    g = BlindGuard(root, {"a": (48, 64), "b": (48, 64)}, 30) if guard == "blind" else None
    with sim_session(root, guard=g) as op:
        first = op.record(0.6, first=True)
        op.session.skip_reset()  # take 2 starts; take 1 goes to the encoder and is committed
        op.wait_committed(1)
        fill()
        take = op.session._current
        end = time.monotonic() + 15
        while not take.closed and time.monotonic() < end:
            time.sleep(0.05)
        assert take.closed, "recording went on although the disk was full"
        assert take.reason == "disk full"
        msg = op.session.last_error or ""
        assert "disk" in msg and "full" in msg and "kept" in msg, msg
        assert any("disk" in m for m in op.messages("error")), op.events
        if guard == "blind":  # the write itself failed with ENOSPC, not the guard's early stop
            assert msg.startswith("the disk is full"), msg
        # the episode committed before the disk filled up is intact
        rep = validate(root)
        assert rep.ok, rep.lines()
        r = DatasetReader(root)
        assert r.info["total_episodes"] == 1 and r.episodes[0].length == first.health.frames
        assert r.read_episode(0).num_rows == first.health.frames
        free()
        assert op.finish(60)
        # nothing is lost once space is back: the cut take is encoded now or recovered at the next start
        left = scan_spools(root)
        if left:
            recover(root, op.queue, op.writer.committed_sources())
            op.queue.flush()
            assert op.queue.wait_idle(60)
        assert op.writer.total_episodes == 2, (op.writer.total_episodes, op.queue.counts())
    assert not scan_spools(root)
    rep = validate(root)
    assert rep.ok, rep.lines()
    lengths = [e.length for e in DatasetReader(root).episodes]
    assert lengths[0] == first.health.frames and lengths[1] >= 1
