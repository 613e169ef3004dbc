"""The recording session: idle -> recording -> reset -> recording ... -> done. No Qt.

Controls (what the buttons and hotkeys call): start, next (end the take / skip the reset), rerecord
(throw away the current or just-finished take and record it again), exit_early, skip_reset, end.
Every control returns at once: a take's files are closed by its spool-writer thread.

A finished take is held during the reset that follows it, so re-record can still throw it away; it
goes to the sink (the encode queue) when the next take starts or the session ends. The hand-over
(health record, `sink.submit`, which rewrites and syncs the queue journal) runs on the session's own
hand-off thread, never on the teleop thread that ends a reset (a 500-entry journal takes ~20 ms). Observers get
(event, data) callbacks from whichever thread made the change; widgets must hop to the GUI thread.
Events: "state", "take_kept", "take_closed" (files closed, health known), "take_discarded",
"take_submitted", "disk_low", "disk_full", "capture_late" (a frame was lost: the encoders give way), "error".
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from enum import Enum
from typing import Callable, Protocol

from app.recording import trash
from app.recording.config import SessionConfig, video_key
from app.recording.disk import DiskGuard
from app.recording.health import append_health
from app.recording.recorder import TakeRecorder
from app.recording.spool import Spool
from app.rig.rig import Rig
from app.rig.samples import Tick, rig_feature_names

log = logging.getLogger(__name__)
Observer = Callable[[str, object], None]


class EpisodeSink(Protocol):
    def submit(self, spool: Spool) -> None: ...


class State(str, Enum):
    IDLE = "idle"
    RECORDING = "recording"
    RESET = "reset"
    DONE = "done"


class Session:
    def __init__(self, rig: Rig, config: SessionConfig, sink: EpisodeSink, guard: DiskGuard | None = None,
                 clock: Callable[[], float] = time.monotonic):
        problems = config.problems()
        if problems:
            raise ValueError("; ".join(problems))
        self.rig, self.config, self.sink, self.clock = rig, config, sink, clock
        names = config.cameras if config.cameras is not None else list(rig.cameras)
        missing = [n for n in names if n not in rig.cameras]
        if missing:
            raise ValueError(f"camera(s) {', '.join(missing)} are not on this rig ({', '.join(rig.cameras)})")
        self.cameras = {video_key(n): (n, rig.cameras[n].height, rig.cameras[n].width) for n in names}
        self.guard = guard if guard is not None else DiskGuard(
            config.root, {k: (h, w) for k, (_, h, w) in self.cameras.items()}, config.fps)
        self.state = State.IDLE
        self.task = config.task
        self.kept = 0  # takes kept in this session
        self.discarded = 0
        self.last_health = None
        self.last_error: str | None = None
        self.finished = threading.Event()
        self._current: TakeRecorder | None = None
        self._held: TakeRecorder | None = None
        self._all: list[TakeRecorder] = []
        self._phase_start = clock()
        self._lock = threading.RLock()
        self._observers: list[Observer] = []
        self._events: list[tuple[str, object]] = []
        self._disk_low_told = False
        self._handoff: queue.Queue[TakeRecorder | None] = queue.Queue()
        self._handing = 0  # takes queued for the hand-off thread or being handed over
        self._closed = False
        self._handoff_thread = threading.Thread(target=self._handoff_loop, name="session-handoff", daemon=True)
        self._handoff_thread.start()
        rig.teleop.add_listener(self._on_tick)

    # -- observing ----------------------------------------------------------------------------
    def add_observer(self, cb: Observer) -> None:
        self._observers.append(cb)

    def remove_observer(self, cb: Observer) -> None:
        if cb in self._observers:
            self._observers.remove(cb)

    def _emit(self, event: str, data: object = None) -> None:
        self._events.append((event, data))

    def _flush(self) -> None:
        with self._lock:
            events, self._events = self._events, []
        for event, data in events:
            for cb in list(self._observers):
                try:
                    cb(event, data)
                except Exception:
                    log.exception("session observer failed on %s", event)

    # -- what the window shows ----------------------------------------------------------------
    @property
    def episode_number(self) -> int:
        """1-based number of the take being recorded, or of the next one."""
        n = self.kept if self.state == State.DONE else self.kept + 1
        return max(1, min(n, self.config.episodes))

    def elapsed(self) -> float:
        if self.state == State.RECORDING and self._current is not None:
            return self._current.accepted / self.config.fps
        if self.state == State.RESET:
            return max(0.0, self.clock() - self._phase_start)
        return 0.0

    def remaining(self) -> float:
        if self.state == State.RECORDING:
            return max(0.0, self.config.episode_time_s - self.elapsed())
        if self.state == State.RESET:
            return max(0.0, self.config.reset_time_s - self.elapsed())
        return 0.0

    def set_task(self, task: str) -> None:
        """The task of the next take (the one being recorded keeps its own)."""
        if not task.strip():
            raise ValueError("the task text is empty")
        with self._lock:
            self.task = task.strip()
            self._emit("state", self.state)
        self._flush()

    # -- controls -----------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self.state == State.IDLE:
                self._begin_take()
            elif self.state == State.RESET:
                self._release_held()
                self._begin_take()
        self._flush()

    def next(self) -> None:
        """Right arrow: end the take (kept) and go to the reset, or end the reset now."""
        with self._lock:
            if self.state == State.RECORDING:
                self._end_take(keep=True, reason="next")
            elif self.state == State.RESET:
                self._release_held()
                self._begin_take()
            elif self.state == State.IDLE:
                self._begin_take()
        self._flush()

    def exit_early(self) -> None:
        with self._lock:
            if self.state == State.RECORDING:
                self._end_take(keep=True, reason="exit early")
        self._flush()

    def skip_reset(self) -> None:
        with self._lock:
            if self.state == State.RESET:
                self._release_held()
                self._begin_take()
        self._flush()

    def rerecord(self) -> None:
        """Left arrow: throw away the take being recorded, or the one just finished, and record it again."""
        with self._lock:
            if self.state == State.RECORDING:
                self._end_take(keep=False, reason="re-record")
            elif self.state == State.RESET and self._held is not None:
                take, self._held = self._held, None
                take.discard()
                self.kept -= 1
                self.discarded += 1
                self._emit("take_discarded", take)
                self._emit("state", self.state)
        self._flush()

    def end(self) -> None:
        """Esc: keep the take being recorded and end the session."""
        with self._lock:
            if self.state == State.RECORDING:
                self._end_take(keep=True, reason="end session", last=True)
            elif self.state in (State.RESET, State.IDLE):
                self._finish_session()
        self._flush()

    def poll(self) -> None:
        """Let time move when no ticks arrive (an arm unplugged during the reset)."""
        with self._lock:
            self._check_reset(self.clock())
        self._flush()

    def held_take(self) -> TakeRecorder | None:
        return self._held

    def trim_held(self, head_s: float, tail_s: float) -> None:
        """Cut the head/tail of the take just finished (during its reset, before it is submitted)."""
        take = self._held
        if take is None or not take.wait(2.0) or take.spool is None:
            raise ValueError("there is no finished take to trim")
        trash.trim(take.spool, head_s, tail_s)
        with self._lock:
            self._emit("state", self.state)
        self._flush()

    def trash_held(self) -> str | None:
        """Move the take just finished to the trash (undo with restore_from_trash); it must be re-recorded."""
        with self._lock:
            take = self._held
            if take is None or self.state != State.RESET:
                return None
            self._held = None
            self.kept -= 1
        take.wait(2.0)
        spool_id = None
        if take.spool is not None:
            spool_id = take.spool.id
            trash.move_to_trash(self.config.root, take.spool)
            take.spool = None
        with self._lock:
            self._emit("take_discarded", take)
            self._emit("state", self.state)
        self._flush()
        return spool_id

    def restore_from_trash(self, spool_id: str) -> None:
        """Undo a trash: the take counts again and goes to the sink."""
        spool = trash.restore(self.config.root, spool_id)
        stopped = spool.stopped or {}
        try:  # its health record, as any take handed over (kept in the spool's stopped.json)
            append_health(self.config.root, {"spool_id": spool.id, "session_episode": spool.extra.get("episode"),
                                             "task": spool.task, "reason": stopped.get("reason", ""),
                                             "time": time.time(), "health": stopped.get("health", {})})
        except OSError:
            log.exception("could not write the health sidecar")
        self.sink.submit(spool)  # outside the lock: the teleop thread must not wait for a journal sync
        with self._lock:
            self.kept += 1
            self._emit("state", self.state)
        self._flush()

    def wait_takes(self, timeout: float = 10.0) -> bool:
        """Wait until every take's files are closed and every kept take is handed to the sink."""
        deadline = time.monotonic() + timeout
        for take in list(self._all):
            if not take.wait(max(0.0, deadline - time.monotonic())):
                return False
        while self._handing and time.monotonic() < deadline:
            time.sleep(0.005)
        return not self._handing

    def settled(self) -> bool:
        """The session has ended and every take it kept is in the sink (nothing more will arrive)."""
        with self._lock:
            return (self.finished.is_set() and not self._handing
                    and all(t.closed and (t.submitted or not t.keep or t.spool is None) for t in self._all))

    def close(self) -> None:
        self.rig.teleop.remove_listener(self._on_tick)
        self._closed = True  # the hand-off thread ends once every take has been handed over

    # -- inside (lock held) -------------------------------------------------------------------
    def _begin_take(self) -> None:
        status = self.guard.status()
        if status.full:
            self.last_error = f"not enough disk space to record: {status.message()}"
            if self.state == State.RESET:  # wait for Start once there is room, not retry every tick
                self.state = State.IDLE
                self._emit("state", self.state)
            self._emit("error", self.last_error)
            return
        take = TakeRecorder(self.config.root, self.task, self.config.fps, self.cameras,
                            self.config.frames_per_episode, self._take_done, self._take_event, self.guard,
                            extra={"episode": self.kept + 1, "repo_id": self.config.repo_id},
                            joints=len(rig_feature_names(self.rig)))
        take.number = self.kept + 1
        self._current = take
        # only takes whose files may still be open: a long session must not keep every take (and
        # its per-tick health samples) alive
        self._all = [t for t in self._all if not t.wait(0.0)] + [take]
        self._phase_start = self.clock()
        self.state = State.RECORDING
        self._emit("state", self.state)

    def _end_take(self, keep: bool, reason: str, last: bool = False) -> None:
        take, self._current = self._current, None
        take.finish(keep=keep, reason=reason)
        if keep:
            self.kept += 1
            self._held = take
            self._emit("take_kept", take)
        else:
            self.discarded += 1
            self._emit("take_discarded", take)
        if last or self.kept >= self.config.episodes:
            self._finish_session()
            return
        self.state = State.RESET
        self._phase_start = self.clock()
        self._emit("state", self.state)
        if self.config.reset_time_s <= 0:
            self._release_held()
            self._begin_take()

    def _finish_session(self) -> None:
        if self._current is not None:
            self._current.finish(keep=False, reason="session ended")
            self._current = None
        self._release_held()
        self.state = State.DONE
        self.finished.set()
        self._emit("state", self.state)

    def _release_held(self) -> None:
        take, self._held = self._held, None
        if take is not None:
            take.released = True
            if take.closed:
                self._submit(take)

    def _submit(self, take: TakeRecorder) -> None:
        """Any thread, often the teleop thread: queue the take for the hand-off thread, nothing more."""
        with self._lock:
            if take.submitted or take.spool is None:
                return
            take.submitted = True
            self._handing += 1
        self._handoff.put(take)

    def _handoff_loop(self) -> None:
        while True:
            try:
                take = self._handoff.get(timeout=0.5)
            except queue.Empty:
                if self._closed and self.settled():
                    return
                continue
            try:
                spool = take.spool
                if spool is None:  # trashed or discarded meanwhile
                    continue
                record = {"spool_id": spool.id, "session_episode": take.number, "task": take.task,
                          "reason": take.reason, "time": time.time(), "health": take.health.to_dict()}
                try:
                    append_health(self.config.root, record)
                except OSError:
                    log.exception("could not write the health sidecar")
                try:
                    self.sink.submit(spool)
                except Exception as exc:  # the spool stays on disk: the next start-up queues it again
                    log.exception("handing a take to the encode queue failed")
                    with self._lock:
                        self._emit("error", f"the take could not be queued for encoding: {exc}")
                with self._lock:
                    self._emit("take_submitted", take)
            finally:
                with self._lock:
                    self._handing -= 1
            self._flush()

    def _check_reset(self, now: float) -> None:
        if self.state == State.RESET and now - self._phase_start >= self.config.reset_time_s:
            self._release_held()
            self._begin_take()

    def _on_tick(self, tick: Tick) -> None:
        """Teleop thread: queue the tick and let the dataset clock end takes and resets."""
        with self._lock:
            if self.state == State.RECORDING and self._current is not None:
                take = self._current
                take.feed(tick)
                if take._finishing.is_set():  # the writer stopped it (disk full)
                    self._end_take(keep=take.keep, reason=take.reason, last=take.reason == "disk full")
                elif take.full:
                    self._end_take(keep=True, reason="time limit")
            elif self.state == State.RESET:
                self._check_reset(tick.t)
        if self._events:
            self._flush()

    # -- spool-writer threads -----------------------------------------------------------------
    def _take_done(self, take: TakeRecorder) -> None:
        if take.error:
            self.last_error = take.error
            with self._lock:
                self._emit("error", take.error)
                if take is self._current:  # the writer gave up (disk full): the take is kept
                    self._end_take(keep=take.keep, reason=take.reason, last=take.reason == "disk full")
        with self._lock:
            if take.keep:
                self.last_health = take.health
                self._emit("take_closed", take)
            if take.released and take.keep:
                self._submit(take)
        self._flush()

    def _take_event(self, event: str, data: object) -> None:
        with self._lock:
            if event == "disk_low":
                if self._disk_low_told:
                    return
                self._disk_low_told = True
            self._emit(event, data)
        self._flush()
