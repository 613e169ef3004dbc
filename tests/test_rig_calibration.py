"""Calibration: lerobot's files and place, the wizard's procedure on the simulated arm, EEPROM round trip."""

import json
import time

import numpy as np
import pytest

from app.rig import calibration as calib
from app.rig.calibration import CalibrationError, CalibrationSession, MotorCalibration
from app.rig.feetech_bus import FeetechBus
from app.rig.sim_servo_bus import SimServoBus
from app.rig.so101_arm import FeetechArm


@pytest.fixture(autouse=True)
def cal_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_LEROBOT_CALIBRATION", str(tmp_path / "calibration"))
    return tmp_path / "calibration"


def test_location_follows_lerobot(monkeypatch, tmp_path, cal_dir):
    assert calib.calibration_path("follower", "arm1") == cal_dir / "robots/so_follower/arm1.json"
    assert calib.calibration_path("leader", "arm1") == cal_dir / "teleoperators/so_leader/arm1.json"
    monkeypatch.delenv("HF_LEROBOT_CALIBRATION")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_LEROBOT_HOME", raising=False)
    assert calib.calibration_root() == tmp_path / "hf/lerobot/calibration"
    with pytest.raises(ValueError):
        calib.calibration_path("follower", "../escape")


def test_bad_files_give_clear_errors(cal_dir):
    path = cal_dir / "broken.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(CalibrationError, match="not a lerobot calibration"):
        calib.load_calibration(path)
    path.write_text(json.dumps({"gripper": {"id": 6, "drive_mode": 0, "homing_offset": 0,
                                            "range_min": 10, "range_max": 100}}))
    with pytest.raises(CalibrationError, match="shoulder_pan"):
        calib.load_calibration(path)


def test_wizard_procedure_round_trip_to_file_and_eeprom(cal_dir):
    sim = SimServoBus("follower")
    try:
        sim.move_by_hand("middle")
        session = CalibrationSession(FeetechBus(sim.port, timeout=0.02), "follower", "so101_a")
        session.start()
        with pytest.raises(CalibrationError):
            session.finish()
        offsets = session.set_middle()
        factory = sim.factory_calibration()
        assert offsets == {j: c.homing_offset for j, c in factory.items()}
        sim.move_by_hand("sweep")
        time.sleep(1.5)  # more than one full sweep period
        cal = session.finish()
        for joint, c in cal.items():
            assert abs(c.range_min - factory[joint].range_min) <= 30, joint
            assert abs(c.range_max - factory[joint].range_max) <= 30, joint
        assert (cal["wrist_roll"].range_min, cal["wrist_roll"].range_max) == (0, 4095)

        path = cal_dir / "robots/so_follower/so101_a.json"
        on_disk = json.loads(path.read_text())
        assert set(on_disk["elbow_flex"]) == {"id", "drive_mode", "homing_offset", "range_min", "range_max"}
        assert calib.load_calibration(path) == cal

        sim.unplug()  # power cycle: only what was written with Lock=0 survives
        sim.replug()
        with FeetechBus(sim.port, timeout=0.02) as bus:
            assert calib.read_from_servos(bus) == {j: MotorCalibration(c.id, 0, c.homing_offset, c.range_min,
                                                                       c.range_max) for j, c in cal.items()}
            assert bus.read(2, "Homing_Offset") == cal["shoulder_lift"].homing_offset

        sim.move_by_hand("middle")
        arm = FeetechArm("follower", "follower", sim.port, arm_id="so101_a")  # finds the file by id
        arm.connect()
        pos = arm.read_positions()
        arm.disconnect()
        assert np.allclose(pos[:4], 0, atol=1.5) and abs(pos[5] - 50) < 2.5, pos
    finally:
        sim.close()


def test_existing_lerobot_file_is_found_and_written_to_the_servos(cal_dir):
    sim = SimServoBus("leader")
    try:
        sim.move_by_hand("hold")
        path = cal_dir / "teleoperators/so_leader/blue.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({j: {"id": c.id, "drive_mode": 0, "homing_offset": c.homing_offset,
                                        "range_min": c.range_min, "range_max": c.range_max}
                                    for j, c in sim.factory_calibration().items()}, indent=4))
        assert calib.existing_ids("leader") == ["blue"]
        arm = FeetechArm("leader", "leader", sim.port, arm_id="blue")
        arm.connect()
        pos = arm.read_positions()
        assert calib.servos_match(arm.bus, arm.calibration)
        arm.disconnect()
        assert np.allclose(pos, sim.pose(), atol=0.5), (pos, sim.pose())
    finally:
        sim.close()


def test_uncalibrated_arm_says_what_to_do():
    sim = SimServoBus("follower")
    try:
        arm = FeetechArm("follower", "follower", sim.port, arm_id="nobody")
        with pytest.raises(Exception, match="not calibrated"):
            arm.connect()
        assert not arm.bus.is_open
    finally:
        sim.close()


def test_follower_torque_goes_off_when_the_process_exits(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    sim = SimServoBus("follower")
    try:
        code = ("import sys; from app.rig.so101_arm import FeetechArm; from app.rig.calibration import MotorCalibration as M;"
                "import json; cal = {k: M(**v) for k, v in json.loads(sys.argv[2]).items()};"
                "arm = FeetechArm('f', 'follower', sys.argv[1], calibration=cal); arm.connect(); print('on', flush=True)")
        cal = json.dumps({k: vars(v) for k, v in sim.factory_calibration().items()})
        out = subprocess.run([sys.executable, "-c", code, sim.port, cal], cwd=ROOT, capture_output=True, text=True,
                             timeout=30)
        assert out.stdout.strip() == "on", out.stderr
        assert sim.torque_enabled() == [0] * 6  # switched on by connect(), off again by the exit hook
    finally:
        sim.close()
