"""The simulated bimanual rig (two SO-101 pairs on four simulated Feetech buses): twelve prefixed
joints per tick, both pairs driven in one cycle with one sync read / one sync write per bus, and
hot-unplug per arm: the other pair keeps following and stays healthy."""

from __future__ import annotations

import time

import numpy as np
import pytest

from app.rig.bimanual import BIMANUAL_FEATURE_NAMES, arm_groups, lerobot_camera_order
from app.rig.samples import FEATURE_NAMES, rig_feature_names, rig_robot_type
from app.rig.sim_bimanual import build_sim_bimanual_rig


def wait(pred, timeout=10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def rig():
    rig = build_sim_bimanual_rig(width=64, height=48, servos="thread")
    ticks = []
    rig.teleop.add_listener(ticks.append)
    rig.ticks = ticks
    rig.start()
    yield rig
    rig.stop()


def status(rig) -> dict:
    return {s.name: s.connected for s in rig.status()}


def test_names_types_and_camera_order_are_lerobots():
    assert BIMANUAL_FEATURE_NAMES[:6] == tuple(f"left_{n}" for n in FEATURE_NAMES)
    assert BIMANUAL_FEATURE_NAMES[6:] == tuple(f"right_{n}" for n in FEATURE_NAMES)
    assert lerobot_camera_order(["top", "right_wrist", "left_wrist"]) == ["left_wrist", "top", "right_wrist"]
    assert arm_groups(BIMANUAL_FEATURE_NAMES) == [("left", list(range(6))), ("right", list(range(6, 12)))]
    assert arm_groups(FEATURE_NAMES) == [("", list(range(6)))]


def test_both_pairs_in_one_cycle_one_sync_read_and_write_per_bus(rig):
    assert rig_robot_type(rig) == "bi_so_follower" and rig_feature_names(rig) == BIMANUAL_FEATURE_NAMES
    assert list(rig.cameras) == ["left_wrist", "top", "right_wrist"]
    assert wait(lambda: len(rig.ticks) >= 10)
    t = rig.ticks[-1]
    assert t.action.shape == t.state.shape == (12,) and t.action.dtype == t.state.dtype == np.float32
    assert set(t.frames) == {"left_wrist", "top", "right_wrist"}
    buses = rig.sim_buses
    before = {n: b.requests for n, b in buses.items()}
    n0 = len(rig.ticks)
    time.sleep(1.0)
    n1 = len(rig.ticks)
    after = {n: b.requests for n, b in buses.items()}
    cycles = n1 - n0
    assert cycles >= 15
    for name, bus in buses.items():
        per_cycle = (after[name] - before[name]) / cycles
        want = 1 if name.endswith("leader") else 2  # leader: sync read; follower: sync write + sync read
        assert abs(per_cycle - want) < 0.2, (name, per_cycle)
    # each follower follows its own leader
    last = rig.ticks[-1]
    assert np.abs(last.action[:5] - last.state[:5]).max() < 25
    assert np.abs(last.action[6:11] - last.state[6:11]).max() < 25
    assert not np.allclose(last.state[:6], last.state[6:])  # two different arms


def test_unplugging_one_arm_leaves_the_other_pair_running_and_healthy(rig):
    assert wait(lambda: len(rig.ticks) >= 5)
    right_follower = rig.sim_buses["right follower"]
    rig.sim_buses["left follower"].unplug()
    assert wait(lambda: not status(rig)["left follower"])
    st = status(rig)
    assert st["right leader"] and st["right follower"] and st["left leader"]
    n = len(rig.ticks)
    p0 = right_follower.pose()
    time.sleep(0.8)
    assert len(rig.ticks) == n  # no dataset row without the left arm
    assert np.abs(right_follower.pose() - p0).max() > 0.5  # the right pair is still teleoperated
    detail = {s.name: s.detail for s in rig.status()}
    assert detail["right follower"] == "ok" and detail["left follower"] != "ok"
    rig.sim_buses["left follower"].replug()
    assert wait(lambda: len(rig.ticks) > n + 5)
    assert all(status(rig).values())


def test_the_12_joint_goal_of_the_whole_robot_splits_per_arm(rig):
    """Replay commands the follower as one robot: a bimanual goal goes half to each arm."""
    assert wait(lambda: len(rig.ticks) >= 3)
    rig.teleop.stop(disconnect=False)
    goal = np.array([10, 0, 0, 0, 0, 30, -10, 0, 0, 0, 0, 60], np.float64)
    rig.follower.write_goal(goal)
    time.sleep(0.5)
    pose = rig.follower.read_positions()
    assert pose.shape == (12,) and abs(pose[0] - 10) < 3 and abs(pose[6] + 10) < 3


def test_replay_on_the_bimanual_rig_plays_12_joint_episodes_and_refuses_6(rig):
    from app.rig.replay import EpisodeActions, replay_on_rig

    assert wait(lambda: len(rig.ticks) >= 3)
    with pytest.raises(ValueError, match="6 joints; this rig's follower has 12"):
        replay_on_rig(rig, EpisodeActions(np.zeros((5, 6)), 30, 0, "single-arm"))
    start = rig.follower.read_positions()
    actions = np.linspace(start, start + np.r_[[15.0] + [0] * 5 + [-15.0] + [0] * 5], 20)
    r = replay_on_rig(rig, EpisodeActions(actions, 30, 0, "bimanual"))
    assert r.wait(10) and r.error is None and r.index == 20
    time.sleep(0.4)
    pose = rig.follower.read_positions()
    assert abs(pose[0] - actions[-1][0]) < 3 and abs(pose[6] - actions[-1][6]) < 3
