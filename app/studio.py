"""The studio model: one owner of the recording lifecycle, with no Qt. Read top to bottom.

It holds the rig, the datasets open for writing (each with its writer, encode queue and workers),
and the session recording into one of them. The window and `teleop-studio record` drive the same
object, so they cannot diverge:

    studio = Studio(rig)
    studio.subscribe(lambda event, data: ...)     # called on whichever thread made the change
    studio.open_session(SessionConfig(...))       # create or append; recovers what a crash left
    studio.command("start") ... studio.command("end")
    studio.poll()                                 # the host calls this ~10x a second (its clock)

Batch semantics are lerobot-record's `video_encoding_batch_size`: takes wait until a batch is full,
and whatever waits is flushed when the session ends, when another dataset is opened (the old one
keeps encoding in the background and is closed once its queue is empty), and at exit.

Events (data in brackets): "state" (State), the session's own events ("take_kept", "take_closed",
"take_submitted", "take_discarded", "disk_low", "disk_full", "error"), "session_opened"
(SessionConfig), "session_closed", "datasets" (open roots changed), "session_committed"
(SessionResult: the session ended and every take it kept is committed or failed), "backlog"
(app.encoding.status.Behind: takes not encoded yet and the encoding time left, when it changes),
"capture_late" (a take lost a frame: every encoder waits until the take ends), "quit_ready".
Observers must only take note and return; the Qt side re-emits them on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from app.close_policy import Pending, pending_work
from app.known_datasets import KnownDatasets, Leftover
from app.open_dataset import OpenDataset, StudioError, check_fits, open_dataset, video_for
from app.recording.config import SessionConfig
from app.recording.recovery import RecoveryReport
from app.recording.session import Session, State
from app.recording.spool import Spool

log = logging.getLogger(__name__)
Observer = Callable[[str, object], None]
ACTIONS = ("start", "next", "rerecord", "exit_early", "skip_reset", "end")


@dataclass(frozen=True)
class SessionResult:
    root: Path
    repo_id: str
    kept: int  # takes this session kept
    committed: int  # episodes in the dataset now
    failed: int  # takes of the dataset that failed to encode (kept on disk, Retry in the queue)


def qt_workers(queue):
    """The default encode workers: QThreads (app.encoding.workers), started here."""
    from app.encoding.workers import EncodeWorkers

    return EncodeWorkers(queue)


class Studio:
    def __init__(self, rig, known: KnownDatasets | None = None, make_workers: Callable = qt_workers):
        self.rig = rig
        self.known = known if known is not None else KnownDatasets()
        self._make_workers = make_workers
        self.session: Session | None = None
        self.config: SessionConfig | None = None
        self.current: OpenDataset | None = None  # the dataset the session records into
        self.datasets: dict[Path, OpenDataset] = {}
        self._leaving: list[tuple[Session, OpenDataset]] = []  # ended sessions whose takes still arrive
        self._flushed = self._reported = False  # for the current session
        self._behind = None  # the last "backlog" event's figure
        self._recording = self._late_take = False  # a take records; the last one lost frames
        self._observers: list[Observer] = []
        self._lock = threading.RLock()

    # -- events -----------------------------------------------------------------------------------
    def subscribe(self, cb: Observer) -> None:
        self._observers.append(cb)

    def unsubscribe(self, cb: Observer) -> None:
        if cb in self._observers:
            self._observers.remove(cb)

    def _emit(self, event: str, data: object = None) -> None:
        for cb in list(self._observers):
            try:
                cb(event, data)
            except Exception:
                log.exception("studio observer failed on %s", event)

    def _on_session_event(self, event: str, data: object) -> None:
        if event == "state":  # encoding yields the CPU while any take is recorded, in every dataset
            recording = data == State.RECORDING
            for ds in list(self.datasets.values()):
                ds.queue.set_throttled(recording)
            if recording and not self._recording:
                # the take before lost frames: the machine is short of CPU, so this one starts with
                # the encoders waiting rather than losing a frame first (a clean take ends it)
                late, self._late_take = self._late_take, False
                if late:
                    self._give_way()
            self._recording = recording
        elif event == "capture_late":  # and stops until the take ends once capture falls behind
            self._late_take = True
            self._give_way()
        self._emit(event, data)

    def _give_way(self) -> None:
        for ds in list(self.datasets.values()):
            ds.queue.give_way(True)

    # -- what the window shows --------------------------------------------------------------------
    @property
    def state(self) -> State | None:
        return self.session.state if self.session is not None else None

    def can(self, action: str) -> bool:
        """Whether a control can run now (the buttons' enabled state)."""
        s, state = self.session, self.state
        held = s is not None and state == State.RESET and s.held_take() is not None
        return {
            "new_session": state not in (State.RECORDING, State.RESET),
            "start": s is not None and state == State.IDLE,
            "next": state in (State.RECORDING, State.RESET, State.IDLE),
            "rerecord": state == State.RECORDING or held,
            "exit_early": state == State.RECORDING,
            "skip_reset": state == State.RESET,
            "end": s is not None and state != State.DONE,
            "trim": held, "trash": held,
            "replay": state not in (State.RECORDING, State.RESET),  # the leader drives the follower then
        }.get(action, False)

    def pending(self) -> Pending:
        """What quitting now would leave: the take being recorded, takes not in their dataset yet."""
        return pending_work(self)

    def queues(self) -> list:
        """Encode queues of every open dataset, the current one first."""
        order = sorted(self.datasets.values(), key=lambda d: d is not self.current)
        return [d.queue for d in order]

    # -- sessions ---------------------------------------------------------------------------------
    def open_session(self, cfg: SessionConfig, decide: Callable[[Spool], bool] = lambda s: True,
                     video=None) -> RecoveryReport:
        """Open (or create) cfg.root and get a session ready to Start. Raises StudioError."""
        if not self.can("new_session"):
            raise StudioError("a take is being recorded: end the session first (Esc)")
        problems = cfg.problems()
        if problems:
            raise StudioError("; ".join(problems))
        root = cfg.root.expanduser().resolve()
        self.leave_session()
        ds = self.datasets.get(root)
        if ds is None:
            ds = self._open_dataset(root, cfg.repo_id, decide, video or video_for(cfg, root), cfg)
        else:
            check_fits(ds.writer, cfg, self.rig)
        try:
            session = Session(self.rig, cfg, ds.queue)
        except ValueError as exc:
            raise StudioError(str(exc)) from exc
        ds.finishing = False
        ds.queue.batch_size = max(1, cfg.video_encoding_batch_size)
        session.add_observer(self._on_session_event)
        with self._lock:
            self.session, self.config, self.current = session, cfg, ds
            self._flushed = self._reported = False
        self.known.add(root, cfg.repo_id)
        self._emit("session_opened", cfg)
        self._emit("state", session.state)
        return ds.recovery

    def command(self, action: str) -> None:
        """start / next / rerecord / exit_early / skip_reset / end; ignored when it cannot run now."""
        if action not in ACTIONS or not self.can(action):
            return
        getattr(self.session, action)()

    def set_task(self, task: str) -> None:
        if self.session is not None:
            self.session.set_task(task)

    def trim_held(self, head_s: float, tail_s: float) -> None:
        if self.session is None:
            raise StudioError("there is no finished take to trim")
        try:
            self.session.trim_held(head_s, tail_s)
        except Exception as exc:
            raise StudioError(str(exc)) from exc

    def trash_held(self) -> str | None:
        return self.session.trash_held() if self.session is not None else None

    def restore_from_trash(self, spool_id: str) -> None:
        if self.session is not None and self.session.state != State.DONE:
            self.session.restore_from_trash(spool_id)

    def leave_session(self) -> None:
        """End the session (a take being recorded is kept); its dataset finishes encoding in the
        background: what waits for a batch is flushed once every take has reached the queue."""
        with self._lock:
            s, ds = self.session, self.current
            self.session = self.config = self.current = None
        if s is None:
            return
        s.end()
        s.remove_observer(self._on_session_event)
        s.close()
        ds.finishing = True
        self._leaving.append((s, ds))
        self._emit("session_closed", ds.root)

    # -- the host's clock -------------------------------------------------------------------------
    def poll(self) -> None:
        """Move time on: the session's reset clock, batch flushes at session end, closing datasets
        that have finished encoding, and the "session committed" report (for the push offer)."""
        s, ds = self.session, self.current
        if s is not None:
            s.poll()
            if not self._flushed and s.settled():
                self._flushed = True
                ds.queue.flush()
            if self._flushed and not self._reported and ds.queue.wait_idle(0):
                self._reported = True
                counts = ds.queue.counts()
                self._emit("session_committed", SessionResult(ds.root, ds.repo_id, s.kept,
                                                              ds.writer.total_episodes, counts.get("failed", 0)))
        self._report_backlog()
        for left in list(self._leaving):
            if left[0].settled():
                self._leaving.remove(left)
                left[1].queue.flush()
        busy = {d.root for _, d in self._leaving}
        for d in list(self.datasets.values()):
            if d.finishing and d.root not in busy and d is not self.current and not d.queue.has_work():
                self._close_dataset(d)

    def backlog(self):
        """How far encoding is behind, over every open dataset (app.encoding.status.Behind)."""
        from app.encoding.status import behind

        queues = self.queues()
        return behind([q.backlog() for q in queues], any(q.giving_way for q in queues))

    def _report_backlog(self) -> None:
        b = self.backlog()
        if b != self._behind:
            self._behind = b
            self._emit("backlog", b)

    # -- datasets ---------------------------------------------------------------------------------
    def _open_dataset(self, root: Path, repo_id: str, decide, video, cfg: SessionConfig | None) -> OpenDataset:
        ds = open_dataset(root, repo_id, self.rig, decide, video, cfg, self._make_workers,
                          throttled=self.state == State.RECORDING)
        self.datasets[root] = ds
        self._emit("datasets", list(self.datasets))
        return ds

    def _close_dataset(self, ds: OpenDataset) -> None:
        """Stop the workers (an entry mid-encode goes back to pending) and release the writer."""
        self.datasets.pop(ds.root, None)
        try:
            ds.workers.stop()
        finally:
            ds.writer.close()
        self._emit("datasets", list(self.datasets))

    def leftovers(self) -> list[Leftover]:
        """Start-up scan: known datasets (not open now) holding interrupted or unencoded takes."""
        return self.known.scan(skip=set(self.datasets))

    def finish_leftovers(self, leftovers: list[Leftover]) -> list[str]:
        """One click: open each dataset, keep its interrupted takes, encode everything in the
        background; each dataset is closed again when done. Returns one problem line per failure."""
        problems = []
        for left in leftovers:
            root = left.root.resolve()
            if root in self.datasets:
                self.datasets[root].queue.flush()
                continue
            try:
                ds = self._open_dataset(root, left.repo_id, lambda s: True, None, None)
            except StudioError as exc:
                problems.append(f"{left.root}: {exc}")
                continue
            ds.finishing = True
        return problems

    # -- quitting ---------------------------------------------------------------------------------
    def stop_take(self) -> None:
        """Stop and keep a take being recorded (and end the session) before anything else runs."""
        if self.session is not None and self.session.state in (State.RECORDING, State.RESET, State.IDLE):
            self.session.end()

    def finish_everything(self) -> None:
        """Quit answer "keep encoding, then quit": stop the take, then every dataset finishes."""
        self.stop_take()
        self.leave_session()

    def all_done(self) -> bool:
        """Nothing left to encode anywhere (the finish-then-quit wait is over)."""
        self.poll()
        return not self._leaving and all(not d.queue.has_work() for d in self.datasets.values())

    def shutdown(self, timeout: float = 10.0) -> None:
        """Quit now: the take is stopped and kept, every spool closed; takes not encoded stay on
        disk in their dataset's journal and are offered back on the next launch."""
        self.stop_take()
        sessions = [s for s, _ in self._leaving] + ([self.session] if self.session is not None else [])
        self.leave_session()
        for s in sessions:
            if not s.wait_takes(timeout):
                log.warning("a take's files were still open at exit; the start-up scan recovers it")
        self._leaving.clear()
        for ds in list(self.datasets.values()):
            self._close_dataset(ds)
        self._emit("quit_ready")


@dataclass
class RecordingSetup:
    writer: object
    queue: object
    session: Session
    recovery: RecoveryReport
    studio: Studio


class _NoWorkers:
    def start(self) -> None: ...

    def stop(self) -> bool:
        return True


def open_recording(rig, cfg: SessionConfig, decide: Callable[[Spool], bool] = lambda s: True,
                   video=None) -> RecordingSetup:
    """For benches and scripts that run the parts themselves (they start their own workers and
    flush their own queue): the same opening, recovery and checks as the studio's."""
    studio = Studio(rig, make_workers=lambda queue: _NoWorkers())
    report = studio.open_session(cfg, decide, video)
    ds = studio.current
    return RecordingSetup(ds.writer, ds.queue, studio.session, report, studio)
