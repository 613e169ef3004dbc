"""A recording session on the simulated rig for the fault tests: tiny frames, real spool, real
encodes on QThread workers, real files. The test drives the studio model like an operator (start,
next, end) and moves its clock (`poll`) as the window's timer does; nothing is flushed by hand."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path

from app.known_datasets import KnownDatasets
from app.recording.config import SessionConfig
from app.rig.rig import build_sim_rig
from app.studio import Studio
from tests.encoding_helpers import X264


class Operator:
    def __init__(self, rig, studio: Studio):
        self.rig, self.studio = rig, studio
        self.session, self.queue, self.writer = studio.session, studio.current.queue, studio.current.writer
        self.events: list[tuple[str, object]] = []
        studio.subscribe(lambda e, d: self.events.append((e, d)))

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
        """End the session and let the studio flush and commit, as the window's clock would."""
        self.studio.command("end")
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.studio.poll()
            if any(e == "session_committed" for e, _ in self.events):
                return True
            time.sleep(0.05)
        return False

    def wait_committed(self, n: int, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while self.writer.total_episodes < n and time.monotonic() < end:
            self.studio.poll()
            time.sleep(0.02)
        assert self.writer.total_episodes >= n, f"{self.writer.total_episodes} episode(s) committed, waited for {n}"

    def messages(self, kind: str) -> list[str]:
        return [d if isinstance(d, str) else d.message() for e, d in self.events if e == kind]


@contextmanager
def sim_session(root: Path, episodes: int = 10, cameras: int = 2, guard=None):
    rig = build_sim_rig(n_cameras=cameras, width=64, height=48, fps=30)
    cfg = SessionConfig(root=root, repo_id="test/faults", task="pick the cube", fps=30, episodes=episodes,
                        episode_time_s=30, reset_time_s=60)
    studio = Studio(rig, known=KnownDatasets(Path(root).parent / "known.json"))
    studio.open_session(cfg, video=X264)
    if guard is not None:
        studio.session.guard = guard
    rig.start()
    time.sleep(0.5)  # cameras and arms up
    try:
        yield Operator(rig, studio)
    finally:
        studio.shutdown(5)
        rig.stop()
