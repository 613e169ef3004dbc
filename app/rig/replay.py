"""Replaying a recorded episode's actions on the follower, as lerobot-replay does (Qt-free).

    from app.rig.replay import load_episode_actions, replay_on_rig
    ep = load_episode_actions("~/datasets/cube", 3)            # or a Hub repo id, read remotely
    replay = replay_on_rig(rig, ep, on_done=lambda r: ...)     # returns at once; plays on its own thread
    replay.stop()                                              # Esc: stops where it is, torque stays on
    replay.wait(timeout) -> bool;  replay.index / replay.total;  replay.error;  replay.stopped

The follower gets one action per period at the dataset's fps, with the per-step limit of teleoperation
(TeleopLoop.max_step_deg: no joint's goal moves more than that in one step, so a first action far from
where the arm stands is reached over several steps rather than in one jump). At the end, or when
stopped, the follower keeps its torque on and holds the last goal; the caller decides what comes
next (rig.teleop.start() resumes teleoperation). On the simulated rig the cameras film the replayed
motion.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from app.cpu_priority import favour_calling_thread
from app.rig.arm import Arm

log = logging.getLogger(__name__)
DEFAULT_MAX_STEP_DEG = 20.0  # TeleopLoop's default


@dataclass
class EpisodeActions:
    actions: np.ndarray  # (L, 6) float64, the dataset's "action" column
    fps: int
    episode: int
    source: str
    task: str = ""


def load_episode_actions(source, episode: int) -> EpisodeActions:
    """An episode's actions from a local dataset folder or a Hub repo id (DatasetError / hub errors out)."""
    from app.dataset.errors import DatasetError
    from app.streaming.iterator import open_source

    reader = open_source(source)
    try:
        if not 0 <= episode < len(reader.episodes):
            raise DatasetError(f"{source} has episodes 0 to {len(reader.episodes) - 1}, not {episode}")
        table = reader.read_episode(episode, columns=["action"])
        actions = np.asarray(table.column("action").to_pylist(), np.float64)
        task = reader.episodes[episode].tasks[0] if getattr(reader.episodes[episode], "tasks", None) else ""
        return EpisodeActions(actions, int(reader.fps), episode, str(source), task)
    finally:
        reader.close()


class Replay:
    def __init__(self, follower: Arm, actions: np.ndarray, fps: int, max_step_deg: float = DEFAULT_MAX_STEP_DEG,
                 on_step: Callable[[int, np.ndarray], None] | None = None,
                 on_done: Callable[["Replay"], None] | None = None):
        self.follower, self.fps, self.max_step_deg = follower, fps, max_step_deg
        self.actions = np.asarray(actions, np.float64)
        self.on_step, self.on_done = on_step, on_done  # called on the replay thread
        self.index = 0  # actions sent so far
        self.total = len(self.actions)
        self.late_steps = 0
        self.error: str | None = None
        self.stopped = False  # stopped before the end
        self.finished = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Replay":
        self._thread = threading.Thread(target=self._run, name="replay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop where it is; the follower holds that pose with its torque on."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self.finished.wait(timeout)

    def _run(self) -> None:
        favour_calling_thread()
        try:
            if not self.follower.connected:
                self.follower.connect()
            period = 1.0 / self.fps
            last = np.asarray(self.follower.read_positions(), np.float64)
            next_t = time.monotonic()
            for i, action in enumerate(self.actions):
                if self._stop.is_set():
                    self.stopped = True
                    break
                goal = last + np.clip(action - last, -self.max_step_deg, self.max_step_deg)
                self.follower.write_goal(goal)
                last = goal
                self.index = i + 1
                if self.on_step is not None:
                    self.on_step(i, np.asarray(self.follower.read_positions(), np.float32))
                next_t += period
                delay = next_t - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
                elif delay < -period:
                    self.late_steps += 1
                    next_t = time.monotonic()
        except Exception as exc:
            self.error = str(exc) or type(exc).__name__
            log.warning("replay stopped: %s", self.error)
        finally:
            self.finished.set()
            if self.on_done is not None:
                try:
                    self.on_done(self)
                except Exception:
                    log.exception("replay on_done failed")


def replay_on_rig(rig, episode: EpisodeActions, on_done: Callable[[Replay], None] | None = None) -> Replay:
    """Pause teleoperation (the follower stays connected) and play the episode on the rig's follower.
    On the simulated rig the synthetic cameras show the follower's replayed pose."""
    if rig.follower is None:
        raise ValueError("this rig has no follower arm to replay on")
    joints = len(getattr(rig, "feature_names", None) or range(6))  # a bimanual rig has twelve
    if episode.actions.ndim != 2 or episode.actions.shape[1] != joints:
        raise ValueError(f"the episode's actions have {episode.actions.shape[-1]} joints; "
                         f"this rig's follower has {joints}")
    rig.teleop.stop(disconnect=False)
    show = getattr(rig, "show_pose", None)
    on_step = (lambda i, state: show(state)) if show else None
    return Replay(rig.follower, episode.actions, episode.fps, rig.teleop.max_step_deg, on_step, on_done).start()
