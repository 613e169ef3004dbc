"""lerobot-record's bimanual command line (--robot.type=bi_so_follower with left_arm_config/right_arm_config,
--teleop.type=bi_so_leader) on the four ports `teleop-studio sim-bus --bimanual` prints: the rig it
describes (ids X_left/X_right as lerobot's, cameras named and ordered as bi_so_follower's), a take
recorded on it, and a missing port named in one line."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.commands.lerobot_flags import RigFlagError, finish_args, rig_from_args
from app.dataset.reader import DatasetReader
from app.dataset.validate import validate
from app.known_datasets import KnownDatasets
from app.recording.config import SessionConfig
from app.studio import Studio
from tests.encoding_helpers import X264
from tests.test_rig_file_camera import write_av1_clip
from tests.test_rig_lerobot_flags import parser

REPO = Path(__file__).resolve().parent.parent
COMMAND = """lerobot-record \
  --robot.type=bi_so_follower \
  --robot.left_arm_config.port={lf} --robot.right_arm_config.port={rf} --robot.id=bimanual_follower \
  --robot.left_arm_config.cameras="{{ wrist: {{type: opencv, index_or_path: {clip}, width: 64, height: 64}}}}" \
  --robot.right_arm_config.cameras="{{ wrist: {{type: opencv, index_or_path: {clip}, width: 64, height: 64}}}}" \
  --robot.cameras="{{ top: {{type: opencv, index_or_path: {clip}, width: 64, height: 64, fps: 30}}}}" \
  --teleop.type=bi_so_leader \
  --teleop.left_arm_config.port={ll} --teleop.right_arm_config.port={rl} --teleop.id=bimanual_leader \
  --display_data=false --dataset.repo_id=user/bimanual --dataset.num_episodes=1 \
  --dataset.single_task="Hand the cube over" --dataset.episode_time_s=0.6 --dataset.reset_time_s=0.1 \
  --dataset.root={root}"""


@pytest.fixture(scope="module")
def sim_bus(tmp_path_factory):
    """`teleop-studio sim-bus --bimanual --write-calibration ...` in its own process, as a user runs it."""
    d = tmp_path_factory.mktemp("simbus")
    cal = d / "cal"
    env = {**os.environ, "HF_LEROBOT_CALIBRATION": str(cal)}
    procs = []
    ports = {}
    for arm_id, role in (("bimanual_follower", "follower"), ("bimanual_leader", "leader")):
        p = subprocess.Popen([sys.executable, "-m", "app", "--log-level", "WARNING", "sim-bus", "--bimanual",
                              "--role", role, "--link-dir", str(d / role), "--write-calibration", arm_id,
                              "--seconds", "120"], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, text=True)
        procs.append(p)
        lines = [p.stdout.readline() for _ in range(4)]  # port, calibration, port, calibration
        for line in lines:
            m = re.match(r"(\w+): (\S+)  \(->", line)
            if m:
                ports[m.group(1)] = m.group(2)
    yield ports, cal
    for p in procs:
        p.terminate()
        p.wait(10)


def args_for(ports, root, clip, **replace):
    kw = dict(lf=ports["left_follower"], rf=ports["right_follower"], ll=ports["left_leader"],
              rl=ports["right_leader"], clip=clip, root=root)
    kw.update(replace)
    a = parser().parse_args(shlex.split(COMMAND.format(**kw))[1:])
    assert finish_args(a) is None
    return a


def test_sim_bus_bimanual_prints_four_ports(sim_bus):
    ports, cal = sim_bus
    assert sorted(ports) == ["left_follower", "left_leader", "right_follower", "right_leader"]
    assert len(set(ports.values())) == 4 and all(Path(p).exists() for p in ports.values())
    # lerobot's bimanual ids: <id>_left / <id>_right, one calibration file per arm
    assert (cal / "robots" / "so_follower" / "bimanual_follower_left.json").is_file()
    assert (cal / "teleoperators" / "so_leader" / "bimanual_leader_right.json").is_file()


def test_record_with_lerobots_bimanual_flags_on_the_four_ports(qapp, sim_bus, tmp_path, monkeypatch):
    ports, cal = sim_bus
    monkeypatch.setenv("HF_LEROBOT_CALIBRATION", str(cal))
    clip = write_av1_clip(tmp_path / "scene.mp4")
    a = args_for(ports, tmp_path / "ds", clip)
    rig = rig_from_args(a)
    try:
        assert rig.robot_type == "bi_so_follower" and not rig.simulated
        assert list(rig.cameras) == ["left_wrist", "top", "right_wrist"]
        assert [arm.arm_id for pair in rig.pairs.values() for arm in pair] == [
            "bimanual_leader_left", "bimanual_follower_left", "bimanual_leader_right", "bimanual_follower_right"]
        assert all(arm.connected for pair in rig.pairs.values() for arm in pair)
        rig.start()
        studio = Studio(rig, known=KnownDatasets(tmp_path / "known.json"))
        done = []
        studio.subscribe(lambda e, d: done.append(d) if e == "session_committed" else None)
        studio.open_session(SessionConfig(root=a.root, repo_id=a.repo_id, task=a.task, episodes=a.episodes,
                                          episode_time_s=a.episode_time_s, reset_time_s=a.reset_time_s),
                            video=X264)
        studio.command("start")
        end = time.monotonic() + 60
        while not done and time.monotonic() < end:
            studio.poll()
            time.sleep(0.02)
        studio.shutdown()
        assert done and done[0].committed == 1
    finally:
        rig.stop()
    assert validate(a.root).ok
    r = DatasetReader(a.root)
    try:
        assert r.info["robot_type"] == "bi_so_follower"
        assert r.video_keys == ["observation.images.left_wrist", "observation.images.top",
                                "observation.images.right_wrist"]
        assert r.features["action"]["names"][0] == "left_shoulder_pan.pos" and r.features["action"]["shape"] == [12]
    finally:
        r.close()


def test_a_missing_or_wrong_port_is_named(sim_bus, tmp_path, monkeypatch):
    ports, cal = sim_bus
    monkeypatch.setenv("HF_LEROBOT_CALIBRATION", str(cal))
    clip = write_av1_clip(tmp_path / "scene.mp4")
    gone = tmp_path / "ttyUSB9"
    with pytest.raises(RigFlagError, match=r"right follower arm on .*ttyUSB9 \(--robot.right_arm_config.port\)"):
        rig_from_args(args_for(ports, tmp_path / "ds", clip, rf=gone))
    a = args_for(ports, tmp_path / "ds", clip)
    a.teleop_right_port = None
    with pytest.raises(RigFlagError, match="--teleop.right_arm_config.port missing"):
        rig_from_args(a)
    a = args_for(ports, tmp_path / "ds", clip)
    a.robot_cameras = "{ wrist: {type: opencv, index_or_path: 0}}"
    with pytest.raises(RigFlagError, match="collide"):
        rig_from_args(a)


def test_bimanual_types_without_ports_give_the_simulated_pairs_with_the_cameras_named(tmp_path):
    clip = write_av1_clip(tmp_path / "scene.mp4")
    line = (f'lerobot-record --robot.type=bi_so_follower --teleop.type=bi_so_leader '
            f'--robot.right_arm_config.cameras="{{ wrist: {{type: opencv, index_or_path: {clip}}}}}" '
            f'--robot.cameras="{{ top: {{type: opencv, index_or_path: {clip}}}}}" '
            f'--dataset.repo_id=user/b --dataset.single_task=t --dataset.root={tmp_path / "ds"}')
    a = parser().parse_args(shlex.split(line)[1:])
    assert finish_args(a) is None
    rig = rig_from_args(a)
    try:
        assert rig.simulated and rig.robot_type == "bi_so_follower"
        assert list(rig.cameras) == ["top", "right_wrist"]
    finally:
        rig.stop()
    a.robot_type = "so101_follower"
    a.robot_left_port = "/dev/ttyACM0"
    with pytest.raises(RigFlagError, match="use --robot.type=bi_so_follower"):
        rig_from_args(a)


def test_sim_bus_bimanual_unplugs_one_arm_by_name(tmp_path):
    p = subprocess.Popen([sys.executable, "-m", "app", "--log-level", "WARNING", "sim-bus", "--bimanual",
                          "--link-dir", str(tmp_path), "--seconds", "60"], cwd=REPO, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    try:
        ports = {}
        while len(ports) < 4:
            m = re.match(r"(\w+): (\S+)  \(->", p.stdout.readline())
            if m:
                ports[m.group(1)] = Path(m.group(2))
        assert ports["right_follower"] == tmp_path / "right_follower"
        p.stdin.write("unplug right_follower\n")
        p.stdin.flush()
        while p.stdout.readline().strip() != "ok":
            pass
        assert not ports["right_follower"].exists()
        assert all(ports[n].exists() for n in ("left_leader", "left_follower", "right_leader"))
        p.stdin.write("replug right_follower\n")
        p.stdin.flush()
        while p.stdout.readline().strip() != "ok":
            pass
        assert ports["right_follower"].exists()
    finally:
        p.terminate()
        p.wait(10)
