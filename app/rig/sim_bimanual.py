"""The simulated bimanual station: two SO-101 pairs on four simulated servo buses (left/right x
leader/follower), a top camera and one wrist camera per arm, named and ordered as lerobot's
bi_so_follower names them (left_wrist, top, right_wrist)."""

from __future__ import annotations

import sys

from app.rig.bimanual import SIDES, BimanualRig

CAMERAS = ("left_wrist", "top", "right_wrist")
ROLES = ("leader", "follower")


def bus_names() -> list[str]:
    """"left leader", "left follower", "right leader", "right follower"."""
    return [f"{side} {role}" for side in SIDES for role in ROLES]


def seed_of(side: str, role: str) -> int:
    """Each of the four simulated arms has its own horn offsets (single rigs use seeds 1 and 2)."""
    return 11 + 2 * SIDES.index(side) + ROLES.index(role)


def build_sim_bimanual_rig(width: int = 640, height: int = 480, fps: int = 30, *,
                           servos: str | None = None) -> BimanualRig:
    from app.rig.rig import notice_replug_quickly
    from app.rig.sim_servo_bus import SimServoBus
    from app.rig.sim_servo_process import SimServoProcess
    from app.rig.so101_arm import FeetechArm
    from app.rig.synthetic_camera import SyntheticCamera

    if servos is None:
        servos = "thread" if getattr(sys, "frozen", False) else "process"
    if servos not in ("process", "thread"):
        raise ValueError(f"servos must be 'process' or 'thread', not {servos!r}")
    sim_class = SimServoProcess if servos == "process" else SimServoBus
    buses, arms = {}, {}
    for side in SIDES:
        for role in ROLES:
            name = f"{side} {role}"
            bus = buses[name] = sim_class(role, seed=seed_of(side, role))
            arms[name] = FeetechArm(name, role, bus.port, calibration=bus.factory_calibration(),
                                    arm_id=f"bimanual_{side}", timeout=0.04, retries=1)
    poses = {side: None for side in SIDES}
    filmed = {"left_wrist": "left", "top": "left", "right_wrist": "right"}
    cameras = [SyntheticCamera(c, width, height, fps, pose=lambda side=filmed[c]: poses[side], hue=60 * i)
               for i, c in enumerate(CAMERAS)]
    pairs = {side: (arms[f"{side} leader"], arms[f"{side} follower"]) for side in SIDES}
    rig = BimanualRig(cameras, pairs, fps=fps, simulated=True, name="simulated bimanual SO-101")
    for cam in cameras:
        cam.clock.loop = rig.teleop
    rig.sim_buses = buses
    rig.own(_Stagger(buses["right leader"]))  # once its servos are up (Rig.start), before the first cycle
    notice_replug_quickly(rig)
    for bus in buses.values():
        rig.own(bus)

    def show(state) -> None:
        poses["left"], poses["right"] = state[:6], state[6:]

    rig.show_pose = show
    rig.teleop.add_listener(lambda tick: show(tick.state))
    return rig


class _Stagger:
    """The two simulated leaders follow the same scripted hand; the right one is held elsewhere (a
    few jogged joints), so the two arms do visibly different things."""

    OFFSETS = {0: -35.0, 1: 10.0, 3: -15.0, 4: 40.0}  # joint index -> degrees

    def __init__(self, bus):
        self.bus, self.done = bus, False

    def wait_ready(self) -> None:
        ready = getattr(self.bus, "wait_ready", None)
        if ready:
            ready()
        if self.done:
            return
        self.done = True
        for joint, delta in self.OFFSETS.items():
            self.bus.jog(joint, delta)

    def close(self) -> None:
        pass


def sim_bimanual_buses(roles=ROLES, link_dir=None, factory: bool = False) -> dict:
    """For `sim-bus --bimanual`: "left_leader", "left_follower", "right_leader", "right_follower" buses
    on threads of this process (links named after them in link_dir when given)."""
    from app.rig.sim_servo_bus import SimServoBus

    buses = {}
    for side in SIDES:
        for role in roles:
            name = f"{side}_{role}"
            buses[name] = SimServoBus(role, link=(link_dir / name) if link_dir else None,
                                      seed=seed_of(side, role), factory=factory)
    return buses
