"""The simulated rig end to end: leader and follower through the real driver over two ptys, teleop
tracking, and hot unplug/replug of an arm and a camera, each visible in Rig.status() within 1 s."""

import time

import numpy as np
import pytest

from app.rig.rig import build_sim_rig
from app.rig.sts3215 import SO101_MOTORS

TRACKING_TOLERANCE = 1.0  # degrees (gripper: 0..100 units) once the leader is held still


def wait_for(cond, timeout):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if cond():
            return time.monotonic() - t0
        time.sleep(0.02)
    raise AssertionError(f"not within {timeout} s")


def connected(rig, name):
    return next(s for s in rig.status() if s.name == name).connected


@pytest.fixture
def rig():
    r = build_sim_rig(n_cameras=1, width=64, height=48, fps=30)
    ticks = []
    r.teleop.add_listener(ticks.append)
    r.ticks = ticks
    r.start()
    wait_for(lambda: len(ticks) > 5, 3)
    yield r
    r.stop()


def torque(rig, role):
    return rig.sim_buses[role].torque_enabled()


def test_follower_tracks_leader(rig):
    time.sleep(1.0)
    moving = rig.ticks[-30:]
    err_moving = np.mean([np.abs(t.action - t.state) for t in moving])
    assert err_moving < 8, err_moving  # a moving leader: one cycle plus the servo's lag behind it
    rig.sim_buses["leader"].move_by_hand("hold")
    time.sleep(0.8)
    last = rig.ticks[-1]
    assert np.max(np.abs(last.action - last.state)) < TRACKING_TOLERANCE, (last.action, last.state)
    # and the follower's servos really are there (not just what the driver reports)
    assert np.max(np.abs(rig.sim_buses["follower"].pose() - rig.sim_buses["leader"].pose())) < 1.5
    assert torque(rig, "follower") == [1] * 6 and torque(rig, "leader") == [0] * 6


def test_leader_jog_moves_follower(rig):
    leader = rig.sim_buses["leader"]
    leader.move_by_hand("hold")
    time.sleep(0.5)
    before = rig.ticks[-1].state.copy()
    leader.jog(0, 15.0)
    time.sleep(0.6)
    assert rig.ticks[-1].state[0] - before[0] == pytest.approx(15.0, abs=1.0)


def test_follower_unplug_and_replug_shown_within_a_second(rig):
    follower = rig.sim_buses["follower"]
    follower.unplug()
    assert wait_for(lambda: not connected(rig, "follower"), 1.0) < 1.0
    assert "follower" in next(s for s in rig.status() if s.name == "follower").detail
    n = len(rig.ticks)
    time.sleep(0.2)
    assert len(rig.ticks) == n  # no ticks without a follower
    follower.replug()
    assert wait_for(lambda: connected(rig, "follower"), 1.0) < 1.0
    wait_for(lambda: len(rig.ticks) > n + 5, 1.0)
    assert torque(rig, "follower") == [1] * 6


def test_leader_lost_leaves_follower_safe(rig):
    rig.sim_buses["leader"].unplug()
    wait_for(lambda: not connected(rig, "leader"), 1.0)
    wait_for(lambda: torque(rig, "follower") == [0] * 6, 1.0)  # torque off while nobody drives it
    rig.sim_buses["leader"].replug()
    wait_for(lambda: connected(rig, "leader") and connected(rig, "follower"), 1.5)
    assert torque(rig, "follower") == [1] * 6


def test_silent_follower_faults_then_torque_off_and_recovers(rig):
    follower = rig.sim_buses["follower"]
    follower.inject("silence")
    wait_for(lambda: not connected(rig, "follower"), 1.0)
    assert "no answer" in rig.follower.error
    assert torque(rig, "follower") == [0] * 6  # the torque-off write still reached the servos
    assert rig.follower.bus.counters.timeouts >= 2
    follower.clear_faults()
    wait_for(lambda: connected(rig, "follower"), 1.5)


def test_camera_unplug_and_replug_shown_within_a_second(rig):
    cam = rig.cameras["front"]
    cam.unplugged = True
    assert wait_for(lambda: not connected(rig, "front"), 1.0) < 1.0
    wait_for(lambda: rig.ticks[-1].frames["front"] is None, 1.0)  # ticks go on without the frame
    cam.unplugged = False
    assert wait_for(lambda: connected(rig, "front"), 1.0) < 1.0
    wait_for(lambda: rig.ticks[-1].frames["front"] is not None, 1.0)


def test_motor_ids_and_names():
    assert list(SO101_MOTORS) == ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll",
                                  "gripper"]
    assert list(SO101_MOTORS.values()) == [1, 2, 3, 4, 5, 6]


def test_servos_on_threads_work_too_and_bad_choice_is_refused():
    with pytest.raises(ValueError, match="process"):
        build_sim_rig(n_cameras=0, servos="cloud")
    r = build_sim_rig(n_cameras=0, servos="thread")
    ticks = []
    r.teleop.add_listener(ticks.append)
    r.start()
    try:
        wait_for(lambda: len(ticks) > 5, 3)
        assert r.sim_buses["follower"].torque_enabled() == [1] * 6
    finally:
        r.stop()
