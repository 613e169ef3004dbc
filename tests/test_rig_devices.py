"""Profiles, discovery, OpenCV cameras (on a real video file) and detect_rig with a saved profile."""

import time

import cv2
import numpy as np
import pytest

from app.rig import discovery, profiles
from app.rig.camera import CameraError
from app.rig.opencv_camera import OpenCVCamera
from app.rig.profiles import CameraConfig, ProfileError, RigProfile
from app.rig.rig import detect_rig
from app.rig.sim_servo_bus import SimServoBus
from app.rig.so101_arm import FeetechArm


@pytest.fixture(autouse=True)
def own_config(tmp_path, monkeypatch):
    monkeypatch.setenv("TELEOP_STUDIO_CONFIG_DIR", str(tmp_path / "config"))


def test_profile_round_trip_and_validation():
    p = RigProfile("lab 1", "/dev/ttyACM0", "blue", "/dev/ttyACM1", "red", [CameraConfig("front", "/dev/video0")])
    profiles.save_profile(p)
    assert profiles.load_profile("lab 1") == p and "lab 1" in profiles.list_profiles()
    assert profiles.active_profile() == p
    for bad in (RigProfile("x", "/dev/a", "l", "/dev/a", "f"),
                RigProfile("x", cameras=[CameraConfig("fr ont", "0")]),
                RigProfile("x", cameras=[CameraConfig("a", "0"), CameraConfig("a", "1")]),
                RigProfile("../up")):
        with pytest.raises(ProfileError):
            profiles.save_profile(bad)
    with pytest.raises(ProfileError, match="no rig profile"):
        profiles.load_profile("missing")


def test_discovery_lists_and_probe(tmp_path):
    ports = discovery.list_serial_ports()
    assert all(p.device and p.label() for p in ports)
    assert all(d.device.startswith("/dev/video") for d in discovery.list_video_devices())
    by_id = tmp_path / "by-id"
    by_id.mkdir()
    (by_id / "usb-1a86_USB_Single_Serial_5A7C-if00").symlink_to("/dev/null")
    assert discovery._stable_names(str(by_id)) == {"/dev/null": str(by_id / "usb-1a86_USB_Single_Serial_5A7C-if00")}
    found, text = discovery.probe_servos(str(tmp_path / "none"))
    assert found == [] and "cannot open" in text
    sim = SimServoBus("leader")
    try:
        found, text = discovery.probe_servos(sim.port)
        assert found == [1, 2, 3, 4, 5, 6] and "all six" in text
    finally:
        sim.close()


def test_opencv_camera_reads_a_file_converts_to_rgb_and_reports_the_end(tmp_path):
    path = str(tmp_path / "clip.avi")
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 48))
    for _ in range(5):
        frame = np.zeros((48, 64, 3), np.uint8)
        frame[..., 2] = 220  # BGR: pure red
        writer.write(frame)
    writer.release()
    cam = OpenCVCamera("front", path, width=32, height=24)
    cam.open()
    img = cam.grab()
    assert img.shape == (24, 32, 3) and img[..., 0].mean() > 180 and img[..., 2].mean() < 40  # RGB now
    for _ in range(4):
        cam.grab()
    with pytest.raises(CameraError, match="stopped delivering"):
        cam.grab()
    cam.close()
    with pytest.raises(CameraError, match="cannot open"):
        OpenCVCamera("x", str(tmp_path / "nope.avi")).open()
    with pytest.raises(CameraError, match="not plugged in"):
        OpenCVCamera("x", "/dev/v4l/by-id/usb-gone-video-index0").open()


def test_detect_rig_uses_the_active_profile_when_its_ports_exist(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_LEROBOT_CALIBRATION", str(tmp_path / "cal"))
    from app.rig import calibration

    buses = {r: SimServoBus(r) for r in ("leader", "follower")}
    try:
        for role, bus in buses.items():
            calibration.save_calibration(calibration.calibration_path(role, f"sim_{role}"), bus.factory_calibration())
        profiles.save_profile(RigProfile("sim hw", buses["leader"].port, "sim_leader", buses["follower"].port,
                                         "sim_follower", [CameraConfig("front", "synthetic:0", 64, 48)]))
        rig = detect_rig()
        assert not rig.simulated and isinstance(rig.follower, FeetechArm) and list(rig.cameras) == ["front"]
        ticks = []
        rig.teleop.add_listener(ticks.append)
        rig.start()
        try:
            t0 = time.monotonic()
            while len(ticks) < 5 and time.monotonic() - t0 < 3:
                time.sleep(0.05)
            assert len(ticks) >= 5
        finally:
            rig.stop()
        buses["leader"].unplug()
        sim_rig = detect_rig()  # a port is missing: the simulation takes over
        assert sim_rig.simulated
        sim_rig.stop()
    finally:
        for b in buses.values():
            b.close()
