"""Bimanual rigs: two leader/follower pairs recorded as one robot, as lerobot's bi_so_follower does.

Joint features are prefixed left_/right_ (left arm's six first), the robot type is "bi_so_follower".
The teleop loop drives both pairs in one cycle: per bus one sync read (leaders), or one sync write and
one sync read (followers). An arm that stops answering is handled on its own side: the other pair keeps
moving and its health stays visible; ticks (dataset rows, which need all twelve joints) pause until the
missing arm is back.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Mapping

import numpy as np

from app.cpu_priority import favour_calling_thread
from app.rig.arm import Arm, ArmError
from app.rig.camera import CameraSource
from app.rig.rig import DeviceStatus, Rig
from app.rig.samples import FEATURE_NAMES, JOINT_NAMES, Tick
from app.rig.teleop import TeleopLoop

log = logging.getLogger(__name__)
SIDES = ("left", "right")
ROBOT_TYPE = "bi_so_follower"
TELEOP_TYPE = "bi_so_leader"
BIMANUAL_FEATURE_NAMES = tuple(f"{side}_{n}" for side in SIDES for n in FEATURE_NAMES)


class BimanualArm(Arm):
    """Both arms of one role seen as one 12-joint arm (for replay and anything that commands a whole
    robot); the teleop loop uses the two arms separately."""

    joint_names = tuple(f"{side}_{j}" for side in SIDES for j in JOINT_NAMES)

    def __init__(self, role: str, left: Arm, right: Arm):
        self.arms = {"left": left, "right": right}
        super().__init__(f"{role}s (left + right)", role)
        ports = [getattr(a, "port", "") for a in (left, right)]
        self.port = " + ".join(ports) if all(ports) else ""

    @property
    def connected(self) -> bool:
        return all(a.connected for a in self.arms.values())

    @connected.setter
    def connected(self, value: bool) -> None:  # each arm keeps its own state
        pass

    def connect(self) -> None:
        for arm in self.arms.values():
            if not arm.connected:
                arm.connect()

    def disconnect(self) -> None:
        for arm in self.arms.values():
            if arm.connected:
                arm.disconnect()

    def read_positions(self) -> np.ndarray:
        return np.concatenate([np.asarray(a.read_positions(), np.float64) for a in self.arms.values()])

    def write_goal(self, positions: np.ndarray) -> None:
        positions = np.asarray(positions, np.float64)
        if positions.shape != (12,):
            raise ArmError(f"a bimanual goal has 12 joints, not {positions.shape}")
        self.arms["left"].write_goal(positions[:6])
        self.arms["right"].write_goal(positions[6:])


class BimanualTeleopLoop(TeleopLoop):
    parallel = True  # the right pair's bus round trips overlap the left's (a helper thread), halving the cycle

    def __init__(self, pairs: Mapping[str, tuple[Arm, Arm]], cameras: Mapping[str, CameraSource],
                 fps: int = 30, max_step_deg: float = 20.0):
        super().__init__(None, None, cameras, fps=fps, max_step_deg=max_step_deg)
        self.pairs = dict(pairs)  # side -> (leader, follower)
        self._goals: dict[str, np.ndarray | None] = {side: None for side in self.pairs}
        self._helper: ThreadPoolExecutor | None = None

    def arms(self) -> list[Arm]:
        return [arm for pair in self.pairs.values() for arm in pair]

    def stop(self, timeout: float = 2.0, disconnect: bool = True) -> None:
        super().stop(timeout, disconnect)
        if self._helper is not None:
            self._helper.shutdown(wait=True)
            self._helper = None
        if not disconnect:
            return
        for leader, follower in self.pairs.values():
            for arm in (follower, leader):
                if arm.connected:
                    try:
                        arm.disconnect()
                    except Exception:
                        log.exception("could not disconnect %s", arm.name)

    def _cycle(self, seq: int, start: float, late: bool, last_try: dict) -> Tick | None:
        frames = {name: cam.latest for name, cam in self.cameras.items()}  # as of the tick's start (TeleopLoop)
        sides = list(self.pairs)  # both pairs, every cycle
        if self.parallel and len(sides) > 1:
            if self._helper is None:
                self._helper = ThreadPoolExecutor(1, thread_name_prefix="teleop-pair",
                                                  initializer=favour_calling_thread)
            other = self._helper.submit(self._drive, sides[-1], start, last_try)
            results = [self._drive(side, start, last_try) for side in sides[:-1]] + [other.result()]
        else:
            results = [self._drive(side, start, last_try) for side in sides]
        if any(r is None for r in results):
            return None
        action = np.concatenate([r[0] for r in results])
        state = np.concatenate([r[1] for r in results])
        period = self.periods[-1] if self.periods else 1.0 / self.fps
        return Tick(seq, start, action, state, frames, period, late)

    def _drive(self, side: str, start: float, last_try: dict) -> tuple[np.ndarray, np.ndarray] | None:
        """One pair's cycle: read its leader, command its follower, read its follower."""
        leader, follower = self.pairs[side]
        was_up = leader.connected and follower.connected
        leader_ok = self._ensure_connected(leader, start, last_try)
        follower_ok = self._ensure_connected(follower, start, last_try)
        if not (leader_ok and follower_ok):
            return None
        if not was_up:
            self._goals[side] = None  # a reconnected pair starts from where its leader is
        try:
            lead = np.asarray(leader.read_positions(), np.float64)
        except Exception as exc:
            if self._failed(leader, exc):
                self._lost(leader, exc)
                self._lost(follower, None)  # this side's follower is left safe; the other side goes on
            return None
        try:
            goal, last = lead, self._goals[side]
            if last is not None:
                goal = last + np.clip(goal - last, -self.max_step_deg, self.max_step_deg)
            follower.write_goal(goal)
            self._goals[side] = goal
            state = np.asarray(follower.read_positions(), np.float32)
        except Exception as exc:
            if self._failed(follower, exc):
                self._lost(follower, exc)
            return None
        self._failures.pop(leader.name, None)
        self._failures.pop(follower.name, None)
        return lead.astype(np.float32), state


class BimanualRig(Rig):
    feature_names = BIMANUAL_FEATURE_NAMES
    robot_type = ROBOT_TYPE

    def __init__(self, cameras: list[CameraSource], pairs: Mapping[str, tuple[Arm, Arm]], fps: int = 30,
                 simulated: bool = False, name: str = "bimanual rig"):
        super().__init__(cameras, None, None, fps=fps, simulated=simulated, name=name)
        self.pairs = {side: pairs[side] for side in SIDES}
        self.leader = BimanualArm("leader", *(self.pairs[s][0] for s in SIDES))
        self.follower = BimanualArm("follower", *(self.pairs[s][1] for s in SIDES))
        self.teleop = BimanualTeleopLoop(self.pairs, self.cameras, fps=fps)

    def status(self) -> list[DeviceStatus]:
        out = [s for s in super().status() if s.kind == "camera"]
        for leader, follower in self.pairs.values():
            for arm in (leader, follower):
                out.append(DeviceStatus(arm.name, arm.role, arm.connected,
                                        "ok" if arm.connected else (arm.error or "not connected")))
        return out


def arm_groups(feature_names) -> list[tuple[str, list[int]]]:
    """Joint plot groups: [("left", [0..5]), ("right", [6..11])] for a bimanual rig, [("", [0..5])] else."""
    names = list(feature_names)
    groups = []
    for side in SIDES:
        idx = [i for i, n in enumerate(names) if n.startswith(f"{side}_")]
        if idx:
            groups.append((side, idx))
    return groups if sum(len(i) for _, i in groups) == len(names) else [("", list(range(len(names))))]


def lerobot_camera_order(names) -> list[str]:
    """bi_so_follower's order: the left arm's cameras (its own, left_-prefixed, then the top-level ones),
    then the right arm's."""
    names = list(names)
    left = [n for n in names if n.startswith("left_")]
    right = [n for n in names if n.startswith("right_")]
    return left + [n for n in names if n not in left and n not in right] + right


def check_pairs(pairs: Mapping, cameras=()) -> str | None:
    """A profile's two pairs: both sides, four distinct ports, distinct ids per role."""
    if set(pairs) != set(SIDES):
        return "a bimanual rig needs a left and a right pair"
    ports = [p for pair in pairs.values() for p in (pair.leader_port, pair.follower_port) if p]
    if len(set(ports)) != len(ports):
        return "the four arms of a bimanual rig need four different serial ports"
    for role in ("leader", "follower"):
        ids = [getattr(pairs[s], f"{role}_id") for s in SIDES]
        if all(ids) and ids[0] == ids[1]:
            return f"the two {role}s need different ids (each has its own calibration file)"
    return None


def profile_ports(profile) -> list[str]:
    return [p for s in SIDES for p in (profile.pairs[s].leader_port, profile.pairs[s].follower_port) if p]


def build_bimanual_hardware_rig(profile) -> BimanualRig:
    """Two pairs of real SO-101 arms (each with its own port, id and calibration) and OpenCV cameras."""
    from app.rig.rig import camera_from_config, notice_replug_quickly
    from app.rig.so101_arm import FeetechArm

    pairs = {}
    for side in SIDES:
        p = profile.pairs[side]
        pairs[side] = (FeetechArm(f"{side} leader", "leader", p.leader_port, arm_id=p.leader_id or f"{side}_leader"),
                       FeetechArm(f"{side} follower", "follower", p.follower_port,
                                  arm_id=p.follower_id or f"{side}_follower"))
    by_name = {c.name: c for c in profile.cameras}
    cameras = [camera_from_config(by_name[n]) for n in lerobot_camera_order(by_name)]
    rig = BimanualRig(cameras, pairs, fps=profile.fps, simulated=False, name=profile.name)
    notice_replug_quickly(rig)
    return rig
