"""lerobot-record's flags on `teleop-studio record`: aliases of the studio's names, and the rig they describe
(simulated servo buses as the hardware ports, a video file as the camera)."""

import argparse
import shlex
import time

import pytest

from app.commands import lerobot_flags, record
from app.commands.lerobot_flags import RigFlagError, add_lerobot_flags, finish_args, rig_from_args
from app.rig import calibration
from app.rig.file_camera import FileCamera
from app.rig.sim_servo_bus import SimServoBus
from tests.test_rig_file_camera import write_av1_clip

# lerobot's SO-101 recording example (docs "Record a dataset"), ports and camera replaced below
DOCS_COMMAND = """lerobot-record \
    --robot.type=so101_follower \
    --robot.port={follower} \
    --robot.id=my_awesome_follower_arm \
    --robot.cameras="{{ front: {{type: opencv, index_or_path: {clip}, width: 64, height: 48, fps: 30}}}}" \
    --teleop.type=so101_leader \
    --teleop.port={leader} \
    --teleop.id=my_awesome_leader_arm \
    --display_data=true \
    --dataset.repo_id=user/record-test \
    --dataset.num_episodes=2 \
    --dataset.single_task="Grab the black cube" \
    --dataset.episode_time_s 1 --dataset.reset_time_s=0.5 --dataset.root {root}"""


def parser():
    p = argparse.ArgumentParser()
    record.add_arguments(p)
    add_lerobot_flags(p)
    return p


@pytest.fixture
def sim_ports(tmp_path, monkeypatch):
    yield from sim_buses_with_calibration(tmp_path, monkeypatch)


def sim_buses_with_calibration(tmp_path, monkeypatch):
    """The simulated leader and follower with lerobot calibration files under the ids the docs use."""
    monkeypatch.setenv("HF_LEROBOT_CALIBRATION", str(tmp_path / "cal"))
    buses = {r: SimServoBus(r) for r in ("leader", "follower")}
    for role, bus in buses.items():  # what `teleop-studio sim-bus --write-calibration ID` saves
        name = f"my_awesome_{role}_arm"
        calibration.save_calibration(calibration.calibration_path(role, name), bus.factory_calibration())
    yield buses
    for b in buses.values():
        b.close()


def docs_args(tmp_path, follower, leader, clip):
    line = DOCS_COMMAND.format(follower=follower, leader=leader, clip=clip, root=tmp_path / "ds")
    return shlex.split(line)[1:]


def test_lerobot_names_and_studio_names_fill_the_same_settings(tmp_path):
    a = parser().parse_args(docs_args(tmp_path, "/dev/f", "/dev/l", "0"))
    assert finish_args(a) is None
    assert (a.repo_id, a.episodes, a.task, a.episode_time_s, a.reset_time_s, a.root) == (
        "user/record-test", 2, "Grab the black cube", 1.0, 0.5, tmp_path / "ds")
    assert (a.robot_port, a.robot_id, a.teleop_port, a.teleop_id) == ("/dev/f", "my_awesome_follower_arm", "/dev/l",
                                                                      "my_awesome_leader_arm")
    assert a.push_to_hub is False
    assert parser().parse_args(["--dataset.private=false"]).private is False  # lerobot's way to say public
    b = parser().parse_args(["--repo-id", "u/x", "--task", "t", "--dataset.fps", "15", "--dataset.push_to_hub=true",
                             "--dataset.private", "--video-encoding-batch-size=3"])
    assert finish_args(b) is None
    assert (b.fps, b.push_to_hub, b.private, b.video_encoding_batch_size) == (15, True, True, 3)
    assert b.root == lerobot_flags.lerobot_home() / "u/x"  # lerobot's default place for a dataset
    assert "--task (--dataset.single_task)" in finish_args(parser().parse_args(["--dataset.repo_id", "u/x"]))
    with pytest.raises(SystemExit):
        parser().parse_args(["--dataset.push_to_hub=maybe"])


def test_rig_from_sim_bus_ports_and_a_file_camera(tmp_path, sim_ports):
    clip = write_av1_clip(tmp_path / "scene.mp4")
    a = parser().parse_args(docs_args(tmp_path, sim_ports["follower"].port, sim_ports["leader"].port, clip))
    finish_args(a)
    rig = rig_from_args(a)
    try:
        assert not rig.simulated and rig.leader.connected and rig.follower.connected
        assert list(rig.cameras) == ["front"] and isinstance(rig.cameras["front"], FileCamera)
        assert sim_ports["follower"].torque_enabled() == [1] * 6 and sim_ports["leader"].torque_enabled() == [0] * 6
    finally:
        rig.stop()
    assert eventually(lambda: sim_ports["follower"].torque_enabled() == [0] * 6)  # torque off on the way out


def eventually(check, timeout=2.0):
    """A sync write gets no answer: the servos act on it a moment after the driver returns."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_a_port_that_does_not_answer_or_a_camera_that_cannot_open_is_named(tmp_path, sim_ports):
    clip = write_av1_clip(tmp_path / "scene.mp4")
    silent = tmp_path / "ttyACM7"
    new_servo = SimServoBus("follower", factory=True)  # a board with one servo not yet set up on it
    try:
        silent.symlink_to(new_servo.pty_path)
        a = parser().parse_args(docs_args(tmp_path, str(silent), sim_ports["leader"].port, clip))
        expected = f"follower arm on {silent} \\(--robot.port\\): follower: no answer from shoulder_lift"
        with pytest.raises(RigFlagError, match=expected):
            rig_from_args(a)
    finally:
        new_servo.close()
    a = parser().parse_args(docs_args(tmp_path, sim_ports["follower"].port, sim_ports["leader"].port,
                                      tmp_path / "missing.mp4"))
    with pytest.raises(RigFlagError, match="camera 'front' cannot be opened: .*missing.mp4"):
        rig_from_args(a)
    assert not (tmp_path / "ds").exists()
    assert eventually(lambda: sim_ports["follower"].torque_enabled() == [0] * 6)

