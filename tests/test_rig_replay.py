"""Replay on the simulated servo bus: positions reached at the dataset's fps, the per-step limit of
teleoperation, stop holds the pose with torque on; the command line from a dataset folder."""

import time

import numpy as np
import pytest

from app.cli import build_parser
from app.commands import replay as replay_cmd
from app.dataset.features import make_features
from app.dataset.writer import DatasetWriter, Episode
from app.rig.replay import EpisodeActions, Replay, load_episode_actions, replay_on_rig
from app.rig.rig import build_sim_rig
from app.rig.samples import FEATURE_NAMES
from app.rig.sim_servo_bus import SimServoBus
from app.rig.so101_arm import FeetechArm

FPS = 30


@pytest.fixture
def follower():
    sim = SimServoBus("follower")
    arm = FeetechArm("follower", "follower", sim.port, calibration=sim.factory_calibration(), timeout=0.05)
    arm.connect()
    yield sim, arm
    arm.disconnect()
    sim.close()


def trajectory(start: np.ndarray, n: int = 45) -> np.ndarray:
    """From `start`, a smooth move to a pose 30 degrees away (gripper to 80), as a recording would hold."""
    end = np.array([30.0, -25.0, 20.0, 15.0, -30.0, 80.0])
    s = (1 - np.cos(np.linspace(0, np.pi, n)))[:, None] / 2
    return start + s * (end - start)


def goals_sent(sim, arm, since: int) -> np.ndarray:
    """Goal_Position writes the servos received, in degrees."""
    rows, row = [], {}
    for sid, addr, raw in list(sim.writes)[since:]:
        if addr == 42:
            row[sid] = raw
            if len(row) == 6:
                rows.append(arm.to_units(row))
                row = {}
    return np.array(rows)


def test_replay_reaches_the_positions_at_the_dataset_fps_and_holds_the_last(follower):
    sim, arm = follower
    actions = trajectory(arm.read_positions().astype(np.float64))
    t0 = time.monotonic()
    r = Replay(arm, actions, FPS).start()
    assert r.wait(10) and r.error is None and not r.stopped and r.index == r.total == 45
    assert time.monotonic() - t0 >= 45 / FPS * 0.9  # paced at the dataset's fps, not as fast as the bus goes
    time.sleep(0.4)  # the servos close the last gap
    assert np.abs(sim.pose() - actions[-1]).max() < 1.5, (sim.pose(), actions[-1])
    assert sim.torque_enabled() == [1] * 6 and arm.connected  # holds the pose


def test_a_far_first_action_is_reached_within_the_teleop_step_limit(follower):
    sim, arm = follower
    here = arm.read_positions().astype(np.float64)
    far = np.tile(here + np.array([70.0, 0, 0, 0, 0, 0]), (8, 1))
    since = len(sim.writes)
    r = Replay(arm, far, FPS, max_step_deg=20.0).start()
    assert r.wait(5) and r.error is None
    goals = goals_sent(sim, arm, since)
    steps = np.abs(np.diff(np.vstack([here, goals]), axis=0)[:, 0])
    assert steps.max() <= 20.0 + 0.1 and goals[-1][0] == pytest.approx(far[0][0], abs=0.1)
    assert (steps > 19).sum() == 3  # 70 degrees: 20 + 20 + 20 + 10


def test_stop_leaves_the_arm_holding_its_pose_with_torque_on(follower):
    sim, arm = follower
    actions = trajectory(arm.read_positions().astype(np.float64), n=300)
    r = Replay(arm, actions, FPS).start()
    time.sleep(0.5)
    r.stop()
    assert r.wait(2) and r.stopped and 5 < r.index < 300
    time.sleep(0.3)
    held = sim.pose()
    time.sleep(0.3)
    assert np.abs(sim.pose() - held).max() < 0.5 and sim.torque_enabled() == [1] * 6


def test_replay_on_the_simulated_rig_is_what_its_cameras_film():
    rig = build_sim_rig(n_cameras=1, width=64, height=48, servos="thread")
    try:
        rig.start()
        deadline = time.monotonic() + 15
        while not (rig.follower.connected and rig.leader.connected) and time.monotonic() < deadline:
            time.sleep(0.05)  # the teleop thread connects the arms
        start = rig.follower.read_positions().astype(np.float64)
        ep = EpisodeActions(trajectory(start, 30), FPS, 0, "test")
        done = []
        r = replay_on_rig(rig, ep, on_done=done.append)
        assert r.wait(10) and done == [r] and r.error is None
        filmed = rig.cameras["front"].pose()
        assert np.abs(np.asarray(filmed) - ep.actions[-1]).max() < 5  # the camera draws the replayed pose
        assert not rig.teleop._thread and rig.follower.connected  # teleop paused, follower still holding
    finally:
        rig.stop()


def test_command_line_replays_an_episode_of_a_dataset_folder(tmp_path, capsys):
    root = tmp_path / "ds"
    w = DatasetWriter.create(root, repo_id="user/replay", fps=FPS, features=make_features(list(FEATURE_NAMES), {}))
    a = trajectory(np.zeros(6), 20).astype(np.float32)
    w.add_episode(Episode(task="wave", data={"action": a, "observation.state": a}))
    w.close()
    ep = load_episode_actions(root, 0)
    assert ep.fps == FPS and np.array_equal(ep.actions, a.astype(np.float64))
    args = build_parser().parse_args(["replay", "--robot.type=so101_follower", "--dataset.repo_id=user/replay",
                                      f"--dataset.root={root}", "--dataset.episode=0", "--hold", "0"])
    assert (args.episode, args.robot_port, args.robot_id) == (0, None, "follower")
    assert replay_cmd.run(args) == 0
    assert "done after 20 of 20 steps; the arm holds its pose" in capsys.readouterr().out
    args.episode = 4
    assert replay_cmd.run(args) == 2
    assert "episodes 0 to 0, not 4" in capsys.readouterr().err
