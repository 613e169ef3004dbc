"""Thread priorities: encoder threads never run real-time (SVT-AV1 asks for SCHED_FIFO 99 when it may);
timing threads (teleop, cameras, spool, simulated servos) are favoured when the OS allows."""

import os
import sys

import numpy as np
import pytest

from app.cpu_priority import calling_thread_priority, set_process_priority, undo_realtime
from app.dataset.video import VideoSettings, encode_segment

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux thread priorities")
REALTIME = {os.SCHED_FIFO, os.SCHED_RR}


def _policies() -> dict[int, int]:
    out = {}
    for t in os.listdir(f"/proc/{os.getpid()}/task"):
        try:
            out[int(t)] = os.sched_getscheduler(int(t))
        except OSError:
            pass
    return out


def _frames(n):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (64, 96, 3), dtype=np.uint8) for _ in range(n)]


@pytest.mark.parametrize("codec", ["libsvtav1", "libx264"])
def test_encoder_threads_run_at_the_callers_priority(tmp_path, codec):
    before = calling_thread_priority()
    seen: list[dict[int, int]] = []
    encode_segment(_frames(12), tmp_path / "a.mp4", 30, VideoSettings(codec=codec),
                   progress=lambda n: seen.append(_policies()) if n in (1, 6) else None)
    assert len(seen) == 2 and len(seen[0]) >= 1
    for policies in seen:  # while encoding: no real-time thread anywhere in the process
        assert not REALTIME & set(policies.values()), policies
    assert calling_thread_priority() == before


def test_undo_realtime_restores_the_given_priority():
    if os.geteuid() != 0:
        pytest.skip("only a privileged process may take real-time priority")
    import threading

    ready, done = threading.Event(), threading.Event()
    tids = []

    def worker():
        tids.append(threading.get_native_id())
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
        ready.set()
        done.wait(5)

    t = threading.Thread(target=worker)
    t.start()
    try:
        ready.wait(5)
        assert os.sched_getscheduler(tids[0]) == os.SCHED_FIFO
        assert undo_realtime((os.SCHED_BATCH, 3)) >= 1
        assert os.sched_getscheduler(tids[0]) == os.SCHED_BATCH
        assert os.getpriority(os.PRIO_PROCESS, tids[0]) == 3
    finally:
        done.set()
        t.join()


def test_throttled_process_runs_idle_and_comes_back(tmp_path):
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    proc = ctx.Process(target=_sleep, daemon=True)
    proc.start()
    try:
        set_process_priority(proc.pid, True)
        assert os.sched_getscheduler(proc.pid) == os.SCHED_IDLE
        assert os.getpriority(os.PRIO_PROCESS, proc.pid) == 15
        if os.geteuid() == 0:  # lowering nice again needs the privilege
            set_process_priority(proc.pid, False)
            assert os.sched_getscheduler(proc.pid) == os.SCHED_OTHER
    finally:
        proc.kill()
        proc.join(5)


def _sleep():
    import time

    time.sleep(30)


def test_timing_threads_are_favoured_when_the_os_allows():
    import threading

    from app.cpu_priority import favour_calling_thread

    out = {}

    def worker():
        out["granted"] = favour_calling_thread()
        out["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    if os.geteuid() == 0:
        assert out == {"granted": True, "nice": -10}
    else:  # an ordinary user may not lower a nice value: nothing changes, nothing fails
        assert out["granted"] is False
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) != -10  # only that thread
