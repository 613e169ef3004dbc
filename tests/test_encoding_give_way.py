"""Capture keeps priority: once a take loses a frame, every encoder child waits between two frames
until the take ends (real children, real PyAV, the simulated rig), and a waiting child is never
left behind: Stop, cancel, quit and the studio's death each end the wait."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from app.dataset.video import VideoSettings
from app.encoding import child
from app.encoding.budget import synthetic_clip
from app.encoding.queue import CANCELLED_MSG, EncodeQueue
from app.recording.health import HealthMeter
from app.recording.spool import Spool, SpoolWriter
from tests.encoding_helpers import FPS, make_dataset

AV1 = VideoSettings()
VGA = {"observation.images.front": (480, 640)}
REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not child.available(), reason="needs the forkserver start method")


@pytest.fixture(autouse=True)
def _released():
    yield
    child.hold(False)  # a failed test must not leave the next one's children held


def _take(root, n: int = 40) -> Spool:
    w = SpoolWriter(root, "pick the cube", FPS, VGA)
    for i, img in enumerate(synthetic_clip(640, 480, n)):
        a = np.full(6, i, np.float32)
        w.append(i, i / FPS, a, a, {k: img for k in VGA})
    return w.stop()


def _live() -> list:
    with child._lock:
        return list(child._live)


def _wait(cond, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return "\nState:\tZ" in f.read()  # a zombie has exited (its parent reaps it later)
    except FileNotFoundError:
        return True


def _start(q: EncodeQueue) -> tuple[threading.Thread, object]:
    entry = q.claim(timeout=0)
    t = threading.Thread(target=q.run, args=(entry,), daemon=True)
    t.start()
    _wait(lambda: any(c.held for c in _live()))  # the child stopped before its next frame
    return t, entry


def test_encoders_wait_while_capture_is_late_and_go_on_when_the_take_stops(tmp_path):
    root = tmp_path / "ds"
    w = make_dataset(root, settings=AV1, cameras=VGA)
    q = EncodeQueue(root, w, settings=AV1)
    take = _take(root)
    q.submit(take)
    q.set_throttled(True)  # a take records ...
    q.give_way(True)  # ... and lost a frame
    assert q.giving_way and child.holding()
    t, entry = _start(q)
    cam = _live()[0]
    frames, cpu = cam.frames, _cpu_s(cam.pid)
    time.sleep(1.0)
    cam.poll()
    assert cam.frames == frames and cam.frames < take.length  # no frame encoded while held
    assert _cpu_s(cam.pid) - cpu < 0.2  # and the child uses no CPU meanwhile
    assert t.is_alive() and q.row(entry.id).state == "encoding"
    q.set_throttled(False)  # Stop: the take ended
    assert not q.giving_way and not child.holding()
    t.join(60)
    assert not t.is_alive()
    q.process_all()  # commit
    assert q.row(entry.id).state == "done" and w.total_episodes == 1
    assert not _live()
    w.close()


def test_a_held_encoder_is_killed_on_cancel_and_released_on_quit(tmp_path):
    root = tmp_path / "ds"
    w = make_dataset(root, settings=AV1, cameras=VGA)
    q = EncodeQueue(root, w, settings=AV1)
    first, second = _take(root), _take(root)
    q.submit(first)
    q.submit(second)
    q.set_throttled(True)
    q.give_way(True)
    t, entry = _start(q)
    pid = _live()[0].pid
    q.cancel(entry.id)  # the operator's Cancel while the encoder waits
    t.join(20)
    assert not t.is_alive() and _gone(pid) and not _live()
    row = q.row(entry.id)
    assert row.state == "failed" and row.error == CANCELLED_MSG and first.path.is_dir()
    assert q.giving_way  # the take is still being recorded: the next encoder waits too
    t, entry = _start(q)
    pid = _live()[0].pid
    q.close()  # quit: the held encoder is let go (and abandoned: its take stays pending)
    assert not child.holding()
    t.join(20)
    assert not t.is_alive() and _gone(pid) and not _live()
    assert q.row(entry.id).state == "pending" and second.path.is_dir()
    w.close()


def test_a_held_encoder_exits_when_the_studio_dies(tmp_path):
    root = tmp_path / "ds"
    take = _take(root)
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from app.dataset.video import VideoSettings
        from app.encoding import child
        from app.recording.spool import Spool
        child.hold(True)
        spool = Spool(Path({str(take.path)!r}))
        key = next(iter(spool.cameras))
        cam = child.Camera.start(child._context(), spool, key, spool.path / "out.mp4", VideoSettings(), True, None)
        while not cam.held:
            cam.poll(0.05)
        print(cam.pid, flush=True)
        time.sleep(60)
    """)
    studio = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        pid = int(studio.stdout.readline())
        time.sleep(2 * child.HOLD_BEAT_S)
        assert not _gone(pid)  # held, not dead
        os.kill(studio.pid, signal.SIGKILL)
        studio.wait(10)
        _wait(lambda: _gone(pid), timeout=5 * child.HOLD_BEAT_S + 5)  # its next heartbeat finds no studio
    finally:
        if studio.poll() is None:
            studio.kill()
            studio.wait()


def test_the_first_lost_frame_tells_once():
    told = []
    m = HealthMeter(["front"], 30, on_late=lambda: told.append(1))
    m.tick(0.0, 1 / 30, False, np.zeros(6), np.zeros(6), {"front": (0, 0.0)})
    m.tick(1 / 30, 1 / 30, False, np.zeros(6), np.zeros(6), {"front": (1, 1 / 30)})
    assert told == []
    m.tick(2 / 30, 1 / 30, False, np.zeros(6), np.zeros(6), {"front": (1, 1 / 30)})  # no fresh frame
    m.tick(3 / 30, 1 / 30, True, np.zeros(6), np.zeros(6), {"front": (2, 3 / 30)})  # a missed cycle
    assert told == [1]
    assert m.result().cameras["front"].dropped == 1


def test_a_camera_slower_than_the_dataset_makes_the_encoders_give_way_until_stop(tmp_path):
    from app.recording.config import SessionConfig
    from app.recording.session import State
    from app.rig.rig import build_sim_rig
    from app.studio import open_recording

    rig = build_sim_rig(n_cameras=1, width=64, height=48, fps=30)
    rig.cameras["front"].fps = 10  # a camera delivering 10 frames a second to a 30 fps dataset
    cfg = SessionConfig(root=tmp_path / "ds", repo_id="test/late", task="pick the cube", fps=30, episodes=3,
                        episode_time_s=30, reset_time_s=60)
    setup = open_recording(rig, cfg)
    told = []
    setup.session.add_observer(lambda e, d: told.append(e) if e == "capture_late" else None)
    rig.start()
    try:
        _wait(lambda: rig.cameras["front"].latest is not None)
        setup.session.start()
        _wait(lambda: setup.queue.giving_way, timeout=10)
        assert told == ["capture_late"] and child.holding()
        setup.session.next()  # Stop: the reset lets the encoders go on
        assert setup.studio.state == State.RESET
        assert not setup.queue.giving_way and not child.holding()
        rig.cameras["front"].fps = 30  # the camera keeps up now ...
        setup.session.next()  # ... but the last take lost frames: this one starts with the encoders waiting
        assert setup.studio.state == State.RECORDING and setup.queue.giving_way and child.holding()
        setup.session.next()
        assert not setup.queue.giving_way
    finally:
        setup.session.end()
        setup.session.wait_takes(10)
        rig.stop()
        setup.writer.close()


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_the_estimator_says_how_far_behind_giving_way_leaves_encoding():
    from app.encoding.budget import Plan, Speed, estimate

    plan = Plan(((480, 640),) * 2, 30, 20.0, 5.0, 10)
    speed = {(480, 640): Speed("av1", 640, 480, encode_fps=60.0, throttled_fps=30.0, decode_fps=1e9)}
    held = estimate(plan, speed, gives_way=True)
    # a take is 2 x 600 frames at 60 fps = 20 s of encoding; only the 9 resets (5 s each) encode
    assert held.backlog_after_s == pytest.approx(10 * 20 - 9 * 5, rel=1e-6)
    assert held.backlog_episodes == pytest.approx(155 / 20, rel=1e-6)
    assert estimate(plan, speed).backlog_after_s < held.backlog_after_s  # throttled encoders still encode
