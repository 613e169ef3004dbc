"""The teleop loop: at the dataset fps, read the leader, command the follower, read the follower.

Runs on its own thread against a monotonic clock. Each cycle publishes a Tick (action = leader,
state = follower, plus the latest frame of every camera) to listeners on this thread; they must be
quick (append to a queue). A missing arm stops ticks, leaves the follower safe, and is retried.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Callable, Mapping

import numpy as np

from app.cpu_priority import favour_calling_thread
from app.rig.arm import Arm
from app.rig.camera import CameraSource
from app.rig.samples import Tick

log = logging.getLogger(__name__)
TickListener = Callable[[Tick], None]


class TeleopLoop:
    reconnect_interval = 1.0
    lost_after = 3  # failed cycles in a row before an arm counts as unplugged

    def __init__(self, leader: Arm | None, follower: Arm | None, cameras: Mapping[str, CameraSource],
                 fps: int = 30, max_step_deg: float = 20.0):
        self.leader, self.follower, self.cameras = leader, follower, cameras
        self.fps = fps
        self.max_step_deg = max_step_deg  # safety: largest goal change per cycle
        self._listeners: list[TickListener] = []
        self._status_listeners: list[Callable[[], None]] = []
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.periods: deque[float] = deque(maxlen=30 * 60)
        self.missed_cycles = 0
        self.cycles = 0
        self.origin: float | None = None  # monotonic time of the first slot: ticks fall on origin + k/fps
        self._last_goal: np.ndarray | None = None
        self._failures: dict[str, int] = {}

    def add_listener(self, listener: TickListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: TickListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def add_status_listener(self, listener: Callable[[], None]) -> None:
        self._status_listeners.append(listener)

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="teleop", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0, disconnect: bool = True) -> None:
        """Stop the loop; unless disconnect=False (a replay takes over the follower), let go of the arms."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
        self._thread = None
        if not disconnect:
            return
        for arm in (self.follower, self.leader):
            if arm is not None and arm.connected:
                try:
                    arm.disconnect()
                except Exception:
                    log.exception("could not disconnect %s", arm.name)

    def jitter_ms(self) -> tuple[float, float]:
        """p50 and p99 of |period - 1/fps| in milliseconds over the recent window."""
        if not self.periods:
            return 0.0, 0.0
        err = np.abs(np.asarray(self.periods) - 1.0 / self.fps) * 1000
        return float(np.percentile(err, 50)), float(np.percentile(err, 99))

    def _notify_status(self) -> None:
        for listener in list(self._status_listeners):
            try:
                listener()
            except Exception:
                log.exception("status listener failed")

    def _ensure_connected(self, arm: Arm | None, now: float, last_try: dict) -> bool:
        if arm is None:
            return False
        if arm.connected:
            return True
        if now - last_try.get(arm.name, -1e9) < self.reconnect_interval:
            return False
        last_try[arm.name] = now
        try:
            arm.connect()
            log.info("arm %s connected", arm.name)
            self._last_goal = None
            self._notify_status()
            return True
        except Exception as exc:
            arm.error = str(exc)
            return False

    def _run(self) -> None:
        favour_calling_thread()
        period = 1.0 / self.fps
        next_t = self.origin = time.monotonic()
        prev_start: float | None = None
        last_try: dict = {}
        seq = 0
        while not self._stop.is_set():
            delay = next_t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            start = time.monotonic()
            late = start - next_t > period
            if late:  # fell whole cycles behind: count them and skip to the current slot of the same
                # grid (restarting it from now would move the ticks against the cameras' frame clock)
                missed = int((start - next_t) / period)
                self.missed_cycles += missed
                next_t += missed * period
            next_t += period
            if prev_start is not None:
                self.periods.append(start - prev_start)
            prev_start = start
            self.cycles += 1
            tick = self._cycle(seq, start, late, last_try)
            if tick is None:
                continue
            seq += 1
            for listener in list(self._listeners):
                try:
                    listener(tick)
                except Exception:
                    log.exception("tick listener failed")

    def _cycle(self, seq: int, start: float, late: bool, last_try: dict) -> Tick | None:
        # the cameras' frames as of the tick's start: read after the servo I/O, a slow cycle took the
        # frame of the next slot, and the next tick found no fresh one (a dropped frame)
        frames = {name: cam.latest for name, cam in self.cameras.items()}
        leader_ok = self._ensure_connected(self.leader, start, last_try)
        follower_ok = self._ensure_connected(self.follower, start, last_try)
        if not (leader_ok and follower_ok):
            return None
        try:
            leader = np.asarray(self.leader.read_positions(), np.float64)  # the follower gets lerobot's float64
            action = leader.astype(np.float32)
        except Exception as exc:
            if self._failed(self.leader, exc):
                self._lost(self.leader, exc)
                self._lost(self.follower, None)  # leave the follower safe while the leader is gone
            return None
        try:
            goal = leader
            if self._last_goal is not None:
                step = np.clip(goal - self._last_goal, -self.max_step_deg, self.max_step_deg)
                goal = self._last_goal + step
            self.follower.write_goal(goal)
            self._last_goal = goal
            state = np.asarray(self.follower.read_positions(), np.float32)
        except Exception as exc:
            if self._failed(self.follower, exc):
                self._lost(self.follower, exc)
            return None
        self._failures.clear()
        period = self.periods[-1] if self.periods else 1.0 / self.fps
        return Tick(seq, start, action, state, frames, period, late)

    def _failed(self, arm: Arm, exc: Exception) -> bool:
        """Count a failed cycle; True once the arm has failed `lost_after` cycles in a row. One missed
        answer (a busy USB hub, a loaded machine) costs a cycle, not the arm's connection."""
        if not arm.connected:
            return True
        n = self._failures.get(arm.name, 0) + 1
        self._failures[arm.name] = n
        log.debug("arm %s missed a cycle (%d in a row): %s", arm.name, n, exc)
        return n >= self.lost_after

    def _lost(self, arm: Arm | None, exc: Exception | None) -> None:
        if arm is None:
            return
        self._failures.pop(arm.name, None)
        if exc is not None:
            log.warning("arm %s lost: %s", arm.name, exc)
            arm.error = str(exc)
        try:
            arm.disconnect()
        except Exception:
            pass
        arm.connected = False
        self._notify_status()
