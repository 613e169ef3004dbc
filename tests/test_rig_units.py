"""Joint units equal lerobot 0.6.1's, bit for bit, on 1,000 random raw values per joint, at and beyond the
calibrated range. lerobot's formulas are copied literally below from lerobot/motors/motors_bus.py
(SerialMotorsBus._normalize, lines 854-881, and _unnormalize, lines 883-909 of the 0.6.1 wheel)."""

import random

import numpy as np
import pytest

from app.rig.calibration import MotorCalibration
from app.rig.sim_servo_bus import SimServoBus
from app.rig.so101_arm import FeetechArm
from app.rig.sts3215 import SO101_MOTORS

MAX_RES = 4096 - 1  # model_resolution_table["sts3215"] - 1
MODES = {j: "DEGREES" for j in SO101_MOTORS} | {"gripper": "RANGE_0_100"}  # so_follower, use_degrees=True


def lerobot_normalize(val, cal: MotorCalibration, mode: str) -> float:
    min_ = cal.range_min
    max_ = cal.range_max
    drive_mode = cal.drive_mode
    bounded_val = min(max_, max(min_, val))
    if mode == "RANGE_M100_100":
        norm = (((bounded_val - min_) / (max_ - min_)) * 200) - 100
        return -norm if drive_mode else norm
    elif mode == "RANGE_0_100":
        norm = ((bounded_val - min_) / (max_ - min_)) * 100
        return 100 - norm if drive_mode else norm
    elif mode == "DEGREES":
        mid = (min_ + max_) / 2
        return (val - mid) * 360 / MAX_RES
    raise NotImplementedError


def lerobot_unnormalize(val, cal: MotorCalibration, mode: str) -> int:
    min_ = cal.range_min
    max_ = cal.range_max
    drive_mode = cal.drive_mode
    if mode == "RANGE_M100_100":
        val = -val if drive_mode else val
        bounded_val = min(100.0, max(-100.0, val))
        return int(((bounded_val + 100) / 200) * (max_ - min_) + min_)
    elif mode == "RANGE_0_100":
        val = 100 - val if drive_mode else val
        bounded_val = min(100.0, max(0.0, val))
        return int((bounded_val / 100) * (max_ - min_) + min_)
    elif mode == "DEGREES":
        mid = (min_ + max_) / 2
        return int((val * MAX_RES / 360) + mid)
    raise NotImplementedError


def calibrations():
    sim = SimServoBus("follower", start=False)
    factory = sim.factory_calibration()
    sim.close()
    inverted = dict(factory, gripper=MotorCalibration(6, 1, 10, 1500, 2600))  # drive_mode 1 on the gripper
    return [factory, inverted]


@pytest.mark.parametrize("cal", calibrations(), ids=["factory", "inverted-gripper"])
def test_units_match_lerobots_formula_on_1000_raw_values_per_joint_at_edges_and_beyond(cal):
    rng = random.Random(19)
    arm = FeetechArm("follower", "follower", "/dev/null", calibration=cal)
    names = list(SO101_MOTORS)
    edges = {j: [cal[j].range_min, cal[j].range_max, cal[j].range_min - 1, cal[j].range_max + 1, 0, 4095]
             for j in names}
    samples = {j: edges[j] + [rng.randint(0, 4095) for _ in range(1000 - len(edges[j]))] for j in names}
    beyond = 0
    for k in range(1000):
        raw = {SO101_MOTORS[j]: samples[j][k] for j in names}
        ours = arm.to_units(raw)
        theirs = [lerobot_normalize(raw[SO101_MOTORS[j]], cal[j], MODES[j]) for j in names]
        assert ours.tolist() == theirs, raw  # exact: same float64 arithmetic in the same order
        back = arm.to_raw(ours)
        assert [back[SO101_MOTORS[j]] for j in names] == [lerobot_unnormalize(v, cal[j], MODES[j])
                                                          for v, j in zip(theirs, names)]
        beyond += sum(not cal[j].range_min <= raw[SO101_MOTORS[j]] <= cal[j].range_max for j in names[:5])
    assert beyond > 500  # many joint values lay outside the calibrated sweep...
    lo = cal["shoulder_pan"]
    past = arm.to_units({SO101_MOTORS[j]: (lo.range_max + 300 if j == "shoulder_pan" else 2047) for j in names})
    edge = arm.to_units({SO101_MOTORS[j]: (lo.range_max if j == "shoulder_pan" else 2047) for j in names})
    assert past[0] - edge[0] == pytest.approx(300 * 360 / MAX_RES)  # ...and read past it: degrees never clamp


def test_degrees_past_the_range_go_back_to_raw_past_the_range():
    cal = calibrations()[0]
    arm = FeetechArm("follower", "follower", "/dev/null", calibration=cal)
    deg = np.array([200.0, -200.0, 0.0, 0.0, 0.0, 150.0])
    raw = arm.to_raw(deg)
    assert raw[1] == int(200 * MAX_RES / 360 + (cal["shoulder_pan"].range_min + cal["shoulder_pan"].range_max) / 2)
    assert raw[1] > cal["shoulder_pan"].range_max and raw[2] < cal["shoulder_lift"].range_min
    assert raw[6] == cal["gripper"].range_max  # RANGE_0_100 is bounded to 0..100, as lerobot bounds it
