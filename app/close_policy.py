"""What quitting would leave, and the three answers the quit prompt offers. No Qt.

Every answer keeps what was recorded: a take being recorded is stopped and kept before anything else
runs; takes not encoded yet either encode before the studio quits, or stay on disk in their dataset
(journal and spools) and are offered back by the start-up scan of the next launch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FINISH, LATER, CANCEL = "finish", "later", "cancel"
ANSWERS = {
    FINISH: "Stop && keep the take, encode, then quit",
    LATER: "Quit now, finish on next launch",
    CANCEL: "Cancel",
}


@dataclass
class Pending:
    recording: str = ""  # the take being recorded, e.g. "episode 3 of 10 (12 s recorded)"
    held: str = ""  # a finished take still in its reset (re-record could throw it away)
    waiting: dict[str, int] = field(default_factory=dict)  # dataset -> takes not committed yet
    video_seconds: float = 0.0
    eta_s: float | None = None

    @property
    def takes_waiting(self) -> int:
        return sum(self.waiting.values())

    @property
    def empty(self) -> bool:
        return not (self.recording or self.held or self.takes_waiting)

    def lines(self) -> list[str]:
        out = []
        if self.recording:
            out.append(f"Recording now: {self.recording}. Quitting stops and keeps it first.")
        if self.held:
            out.append(f"Just recorded: {self.held}. It is kept.")
        for name, n in self.waiting.items():
            out.append(f"{name}: {n} take(s) not encoded into the dataset yet.")
        return out

    def finish_text(self) -> str:
        eta = f" (about {self.eta_s:.0f} s at the measured speed)" if self.eta_s else ""
        return f"{self.video_seconds:.0f} s of video to encode{eta}."


def pending_work(studio) -> Pending:
    from app.recording.session import State

    p = Pending()
    s = studio.session
    if s is not None:
        n, total = s.episode_number, s.config.episodes
        if s.state == State.RECORDING:
            p.recording = f"episode {n} of {total} ({s.elapsed():.0f} s recorded)"
        elif s.state == State.RESET and s.held_take() is not None:
            p.held = f"episode {s.held_take().number} of {total}"
    eta_known = True
    for ds in studio.datasets.values():
        b = ds.queue.backlog()
        if b.episodes:
            p.waiting[ds.repo_id] = b.episodes
            p.video_seconds += b.video_seconds
            if b.eta_s is None:
                eta_known = False
            else:
                p.eta_s = (p.eta_s or 0.0) + b.eta_s
    if not eta_known:
        p.eta_s = None
    return p
