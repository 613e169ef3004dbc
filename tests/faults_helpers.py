"""A recording session on the simulated rig for the fault tests: tiny frames, real spool, real
encodes on QThread workers, real files. The test drives it like an operator (start, next, end)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path

from app.encoding.workers import EncodeWorkers
from app.recording.config import SessionConfig
from app.recording.session import State
from app.recording.setup import open_recording
from app.rig.rig import build_sim_rig
from tests.encoding_helpers import X264


class Operator:
    def __init__(self, rig, setup):
        self.rig, self.setup = rig, setup
        self.session, self.queue, self.writer = setup.session, setup.queue, setup.writer
        self.events: list[tuple[str, object]] = []
        self.session.add_observer(lambda e, d: self.events.append((e, d)))
        self.session.add_observer(lambda e, d: self.queue.set_throttled(d == State.RECORDING) if e == "state"
                                  else None)

    def record(self, seconds: float, first: bool = False):
        """Record one take for `seconds` (or until the session stops it) and leave it in the reset."""
        s = self.session
        s.start() if first else s.skip_reset()
        take = s._current
        end = time.monotonic() + seconds
        while time.monotonic() < end and not take.closed:
            time.sleep(0.02)
        if not take.closed:
            s.next()
        assert take.wait(10), "the take's files were not closed"
        return take

    def finish(self, timeout: float = 60) -> bool:
        self.session.end()
        assert self.session.wait_takes(10)
        self.queue.flush()
        return self.queue.wait_idle(timeout)

    def wait_committed(self, n: int, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while self.writer.total_episodes < n and time.monotonic() < end:
            time.sleep(0.02)
        assert self.writer.total_episodes >= n, f"{self.writer.total_episodes} episode(s) committed, waited for {n}"

    def messages(self, kind: str) -> list[str]:
        return [d if isinstance(d, str) else d.message() for e, d in self.events if e == kind]


@contextmanager
def sim_session(root: Path, episodes: int = 10, cameras: int = 2, guard=None):
    rig = build_sim_rig(n_cameras=cameras, width=64, height=48, fps=30)
    cfg = SessionConfig(root=root, repo_id="test/faults", task="pick the cube", fps=30, episodes=episodes,
                        episode_time_s=30, reset_time_s=60)
    setup = open_recording(rig, cfg, video=X264)
    if guard is not None:
        setup.session.guard = guard
    workers = EncodeWorkers(setup.queue)
    workers.start()
    rig.start()
    time.sleep(0.5)  # cameras and arms up
    try:
        yield Operator(rig, setup)
    finally:
        setup.session.close()
        rig.stop()
        setup.session.wait_takes(5)
        workers.stop()
        setup.writer.close()
