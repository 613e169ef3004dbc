"""A rig: the cameras and arms of one station, and the teleop loop that ties them together."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from app.rig.arm import Arm
from app.rig.camera import CameraSource
from app.rig.samples import FEATURE_NAMES
from app.rig.teleop import TeleopLoop

log = logging.getLogger(__name__)


@dataclass
class DeviceStatus:
    name: str
    kind: str  # "camera" | "leader" | "follower"
    connected: bool
    detail: str  # measured fps, error text...


class Rig:
    feature_names = FEATURE_NAMES  # joint features recorded as action / observation.state (bimanual: 12)
    robot_type = "so_follower"  # info.json's robot_type

    def __init__(self, cameras: list[CameraSource], leader: Arm | None, follower: Arm | None,
                 fps: int = 30, simulated: bool = False, name: str = "rig"):
        self.name = name
        self.simulated = simulated
        self.fps = fps
        self.cameras: dict[str, CameraSource] = {c.name: c for c in cameras}
        self.leader, self.follower = leader, follower
        self.teleop = TeleopLoop(leader, follower, self.cameras, fps=fps)
        self.running = False
        self._resources: list = []  # things to close with the rig (e.g. simulated buses)

    def own(self, resource) -> None:
        """Close this resource (anything with close()) when the rig stops."""
        self._resources.append(resource)

    def start(self) -> None:
        # The teleop thread and the servo I/O wake up several times per cycle and each wake-up waits
        # for the GIL; Python's default 5 ms switch interval would add up to 5 ms of jitter each time.
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        for res in self._resources:  # e.g. simulated servos still starting in their own process
            wait_ready = getattr(res, "wait_ready", None)
            if wait_ready:
                wait_ready()
        for cam in self.cameras.values():
            cam.start()
        self.teleop.start()
        self.running = True
        log.info("rig %s started (%s)", self.name, "simulated" if self.simulated else "hardware")

    def stop(self) -> None:
        self.teleop.stop()
        for cam in self.cameras.values():
            cam.stop()
        for res in reversed(self._resources):
            try:
                res.close()
            except Exception:
                log.exception("closing %r failed", res)
        self._resources.clear()
        self.running = False

    def status(self) -> list[DeviceStatus]:
        out = []
        for cam in self.cameras.values():
            detail = f"{cam.measured_fps:.1f} fps" if cam.connected else (cam.error or "not connected")
            out.append(DeviceStatus(cam.name, "camera", cam.connected, detail))
        for arm in (self.leader, self.follower):
            if arm is not None:
                out.append(DeviceStatus(arm.name, arm.role, arm.connected,
                                        "ok" if arm.connected else (arm.error or "not connected")))
        return out


def build_sim_rig(n_cameras: int = 2, width: int = 640, height: int = 480, fps: int = 30, *,
                  servos: str | None = None) -> Rig:
    """The simulated station: leader and follower SO-101 arms driven through the real Feetech driver
    over two simulated servo buses (pseudo-terminals served by child processes, as real servos are
    outside the studio; servos="thread" keeps them on threads of this process), and synthetic cameras
    that film the follower."""
    from app.rig.sim_servo_bus import SimServoBus
    from app.rig.sim_servo_process import SimServoProcess
    from app.rig.so101_arm import FeetechArm
    from app.rig.synthetic_camera import SyntheticCamera

    if servos is None:  # a frozen (PyInstaller) studio cannot start `python -m ...` children
        servos = "thread" if getattr(sys, "frozen", False) else "process"
    if servos not in ("process", "thread"):
        raise ValueError(f"servos must be 'process' or 'thread', not {servos!r}")
    sim_class = SimServoProcess if servos == "process" else SimServoBus
    buses = {role: sim_class(role) for role in ("leader", "follower")}
    leader, follower = (FeetechArm(role, role, bus.port, calibration=bus.factory_calibration(),
                                   timeout=0.04, retries=1) for role, bus in buses.items())
    names = ["front", "wrist", "top", "side"]
    last_state = {"pose": None}

    cameras = [SyntheticCamera(names[i] if i < len(names) else f"cam{i}", width, height, fps,
                               pose=lambda: last_state["pose"], hue=60 * i) for i in range(n_cameras)]
    rig = Rig(cameras, leader, follower, fps=fps, simulated=True, name="simulated SO-101")
    for cam in cameras:
        cam.clock.loop = rig.teleop
    rig.sim_buses = buses  # for jogging the leader and injecting faults
    rig.show_pose = lambda pose: last_state.__setitem__("pose", pose)  # what the cameras film (replay)
    notice_replug_quickly(rig)
    for bus in buses.values():
        rig.own(bus)
    rig.teleop.add_listener(lambda tick: last_state.__setitem__("pose", tick.state))
    return rig


def build_hardware_rig(profile) -> Rig:
    """A rig from a saved profile (app.rig.profiles.RigProfile): real arms and OpenCV cameras."""
    from app.rig.so101_arm import FeetechArm

    leader = FeetechArm("leader", "leader", profile.leader_port, arm_id=profile.leader_id) \
        if profile.leader_port else None
    follower = FeetechArm("follower", "follower", profile.follower_port, arm_id=profile.follower_id) \
        if profile.follower_port else None
    cameras = [camera_from_config(c) for c in profile.cameras]
    rig = Rig(cameras, leader, follower, fps=profile.fps, simulated=False, name=profile.name)
    notice_replug_quickly(rig)
    return rig


def camera_from_config(c) -> CameraSource:
    """A profile's camera (app.rig.profiles.CameraConfig): "synthetic" devices need no hardware; a video
    file plays as a camera (paced at the configured fps, looped)."""
    from app.rig.file_camera import FileCamera, is_video_file

    if is_video_file(c.device):
        return FileCamera(c.name, c.device, c.width, c.height, c.fps)
    if c.device.startswith("synthetic"):
        from app.rig.synthetic_camera import SyntheticCamera

        index = c.device.partition(":")[2]
        return SyntheticCamera(c.name, c.width, c.height, c.fps, hue=60 * int(index) if index.isdigit() else 0)
    from app.rig.opencv_camera import OpenCVCamera

    return OpenCVCamera(c.name, c.device, c.width, c.height, c.fps, c.fourcc)


def notice_replug_quickly(rig: Rig) -> None:
    """Retry vanished devices twice a second, so a replug shows up in the UI within a second."""
    rig.teleop.reconnect_interval = 0.5
    for cam in rig.cameras.values():
        cam.reopen_interval = 0.5


def detect_rig(force_sim: bool = False, bimanual: bool = False, **kwargs) -> Rig:
    """The rig of the active profile when its serial ports are plugged in, otherwise the simulated one
    (bimanual=True, or a profile with two pairs: the simulated bimanual one)."""
    if not force_sim:
        import os

        from app.rig.profiles import active_profile

        profile = active_profile()
        ports = [p for p in (profile.leader_port, profile.follower_port) if p] if profile else []
        if profile and profile.bimanual:
            from app.rig.bimanual import profile_ports

            bimanual, ports = True, profile_ports(profile)
        if profile and ports and all(os.path.exists(p) for p in ports):
            log.info("using rig profile %r", profile.name)
            if bimanual:
                from app.rig.bimanual import build_bimanual_hardware_rig

                return build_bimanual_hardware_rig(profile)
            return build_hardware_rig(profile)
        if profile:
            log.warning("rig profile %r: serial ports %s not found; using the simulated rig", profile.name, ports)
    if bimanual:
        from app.rig.sim_bimanual import build_sim_bimanual_rig

        kwargs.pop("n_cameras", None)  # the bimanual station's cameras are fixed: left_wrist, top, right_wrist
        return build_sim_bimanual_rig(**kwargs)
    return build_sim_rig(**kwargs)
