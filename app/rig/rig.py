"""A rig: the cameras and arms of one station, and the teleop loop that ties them together."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.rig.arm import Arm
from app.rig.camera import CameraSource
from app.rig.teleop import TeleopLoop

log = logging.getLogger(__name__)


@dataclass
class DeviceStatus:
    name: str
    kind: str  # "camera" | "leader" | "follower"
    connected: bool
    detail: str  # measured fps, error text...


class Rig:
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


def build_sim_rig(n_cameras: int = 2, width: int = 640, height: int = 480, fps: int = 30) -> Rig:
    """The simulated station: leader + follower arms and synthetic cameras that film the follower."""
    from app.rig.sim_arm import SimulatedArm
    from app.rig.synthetic_camera import SyntheticCamera

    leader = SimulatedArm("leader", "leader")
    follower = SimulatedArm("follower", "follower")
    names = ["front", "wrist", "top", "side"]
    last_state = {"pose": None}

    cameras = [SyntheticCamera(names[i] if i < len(names) else f"cam{i}", width, height, fps,
                               pose=lambda: last_state["pose"], hue=60 * i) for i in range(n_cameras)]
    rig = Rig(cameras, leader, follower, fps=fps, simulated=True, name="simulated SO-101")
    rig.teleop.add_listener(lambda tick: last_state.__setitem__("pose", tick.state))
    return rig


def detect_rig(force_sim: bool = False, **kwargs) -> Rig:
    """The configured hardware rig when it is plugged in, otherwise the simulated one."""
    if not force_sim:
        pass  # hardware discovery arrives with the rig issue: until then there is only the simulation
    return build_sim_rig(**kwargs)
