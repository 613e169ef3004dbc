"""The encode queue: recorded takes wait here until their videos are encoded, verified and committed.

Plain threads and a condition variable, no Qt: `app.encoding.workers` runs `claim()` + `run()` on
QThreads, and tests or scripts can call `process_all()` on their own thread.

Batch size follows lerobot's `video_encoding_batch_size`: with N, nothing is encoded until N takes are
pending; then that whole batch becomes runnable. `flush()` (session end, app exit) makes everything
pending runnable. After a restart every pending entry in the journal is runnable: the takes were
recorded in an earlier session, which has ended.

Observers are called with an entry id (or None for queue-wide changes) from whichever thread made the
change; they must only take note and return (the Qt side turns them into one queued signal).
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections import deque
from pathlib import Path
from typing import Callable

from app.dataset.layout import STUDIO_DIR
from app.encoding import child, job
from app.encoding.journal import ACTIVE, DONE, ENCODING, FAILED, PENDING, VERIFYING, Entry, Journal
from app.encoding.status import Backlog, Live, Row, backlog_of, make_row

log = logging.getLogger(__name__)
JOURNAL_NAME = "queue.json"
CANCELLED_MSG = "Cancelled by the operator; the take is kept, Retry encodes it."
PROGRESS_NOTIFY_S = 0.1  # at most ten progress notifications per second per entry
RETRY_FIRST_S, RETRY_MAX_S = 10.0, 300.0  # back-off of automatic retries after a disk or I/O error
RETRY_NOTE = " (the take is kept and tried again by itself)"


class EncodeQueue:
    def __init__(self, root: Path | str, writer, batch_size: int = 1, settings=None, *, adopt_spools: bool = False):
        from app.dataset.video import VideoSettings

        self.root = Path(root)
        self.writer = writer
        self.settings = settings if settings is not None else VideoSettings()
        self.batch_size = max(1, int(batch_size))
        self.pause_while_recording = False
        self.priority_hook: Callable[[bool], None] | None = None  # called on the worker thread per segment
        self._cond = threading.Condition()
        # the journal is snapshotted under _cond but written (JSON, fsync) outside it, one writer at a
        # time and never an older state after a newer one: readers (the window, every 100 ms) never
        # wait for a disk sync
        self._save_lock = threading.Lock()
        self._generation = self._saved_generation = 0
        self._observers: list[Callable[[str | None], None]] = []
        self._released: set[str] = set()
        self._live: dict[str, Live] = {}
        self._cancel: dict[str, str] = {}  # id -> "cancel" | "shutdown"
        self._commits: deque = deque()  # (id, job.Encoded) waiting for the commit stage
        self.retried: list[str] = []  # failed takes still on disk, queued again at opening
        self._paused = False
        self._throttled = False
        self._gave_way_at: float | None = None  # monotonic time the encoders were held for capture
        self._closed = False
        self._speed: float | None = None  # frames/s of the last encodes (moving average)
        self.retry_first_s = RETRY_FIRST_S
        self.free_bytes: Callable[[], int] = lambda: shutil.disk_usage(self.root).free  # replaceable in tests
        self._journal = Journal.load(Path(STUDIO_DIR) / JOURNAL_NAME, root=self.root)
        self._recover(adopt_spools)

    # ----- start-up -------------------------------------------------------------------------------
    def _recover(self, adopt: bool) -> None:
        from app.recording.spool import scan_spools

        committed = set(self.writer.committed_sources())
        spools = {s.id: s for s in scan_spools(self.root)}
        for e in self._journal.entries.values():
            if e.state in (PENDING, FAILED) and e.id not in spools:
                if e.id in committed:
                    self._journal.set_state(e.id, DONE, error="")
                elif e.state == PENDING:
                    self._journal.set_state(e.id, FAILED,
                                            error="The take's spool folder is missing; nothing to encode.")
            elif e.state == PENDING:
                self._released.add(e.id)
            elif e.state == FAILED:  # reopening (e.g. --resume) tries again every take still on disk
                self._journal.set_state(e.id, PENDING, error="", retry_at=0.0)
                self._released.add(e.id)
                self.retried.append(e.id)
        # Stopped takes missing from the journal are normally resubmitted by app.recording.recovery,
        # which also decides about interrupted ones; adopt_spools does it here for scripts without it.
        if adopt:
            for s in spools.values():
                if s.complete and s.id not in self._journal.entries:
                    self._journal.add(Entry.for_spool(s))
                    self._released.add(s.id)
        if self._journal.recovered:
            log.info("encode queue: resuming %d interrupted entries", len(self._journal.recovered))
        self._journal.save()

    # ----- observers ------------------------------------------------------------------------------
    def add_observer(self, cb: Callable[[str | None], None]) -> None:
        with self._cond:
            self._observers.append(cb)

    def remove_observer(self, cb) -> None:
        with self._cond:
            if cb in self._observers:
                self._observers.remove(cb)

    def _notify(self, entry_id: str | None) -> None:
        for cb in list(self._observers):
            try:
                cb(entry_id)
            except Exception:  # an observer must never break the queue
                log.exception("encode queue observer failed")

    def _changed(self, entry_id: str | None, save: bool = True) -> None:
        """Caller holds the lock; with save, it calls _persist() once it has released it."""
        if save:
            self._generation += 1
        self._cond.notify_all()

    def _persist(self) -> None:
        """Write the journal if it changed; returns once the state at call time is on disk."""
        with self._save_lock:
            with self._cond:
                if self._saved_generation == self._generation:
                    return
                generation, snapshot = self._generation, self._journal.snapshot()
            try:
                self._journal.write(snapshot)
            except OSError as exc:  # a full disk must not stop the queue: the next change writes it again
                log.warning("encode queue journal not saved (%s); kept in memory, saved at the next change", exc)
                return
            self._saved_generation = generation

    # ----- the sink the recording session feeds -----------------------------------------------------
    def submit(self, spool) -> None:
        """Queue a stopped take. Returns at once; a take already queued is ignored."""
        with self._cond:
            if spool.id in self._journal.entries:
                return
            self._journal.add(Entry.for_spool(spool))
            waiting = [e.id for e in self._journal.entries.values()
                       if e.state == PENDING and e.id not in self._released]
            if len(waiting) >= self.batch_size:
                self._released.update(waiting)
            self._changed(spool.id)
        self._persist()
        self._notify(spool.id)

    def flush(self) -> None:
        """Make every pending take runnable regardless of the batch size."""
        with self._cond:
            self._released.update(e.id for e in self._journal.entries.values() if e.state == PENDING)
            self._changed(None, save=False)
        self._notify(None)

    def set_throttled(self, on: bool) -> None:
        """On while a take is recorded: fewer encoder threads, lower priority (from the next segment).

        Called on the teleop thread when a take starts or stops, so it never waits for the queue's
        lock (a worker may hold it while the journal is synced): a flag, read by the workers at their
        next segment; a worker waiting in claim() sees it within its wait timeout."""
        self._throttled = bool(on)
        if not on:
            self.give_way(False)
        self._notify(None)

    @property
    def throttled(self) -> bool:
        return self._throttled

    def give_way(self, on: bool = True) -> None:
        """Capture is late (on): every encoder child waits between two frames until the take ends,
        and the backlog grows. Released when the throttle ends (Stop, reset) and when the queue
        closes. A flag and an Event: safe on the spool-writer or teleop thread."""
        now = time.monotonic()
        if on and self._gave_way_at is None:
            self._gave_way_at = now
            child.hold(True)
            log.info("capture is late: encoding waits until the take ends")
        elif not on and self._gave_way_at is not None:
            held_s, self._gave_way_at = now - self._gave_way_at, None
            child.hold(False)
            for live in list(self._live.values()):  # the speed measured excludes the wait
                live.held_s += held_s
        else:
            return
        self._notify(None)

    @property
    def giving_way(self) -> bool:
        return self._gave_way_at is not None

    # ----- operator commands ------------------------------------------------------------------------
    def pause(self) -> None:
        """Start no new entry; the one being encoded finishes."""
        with self._cond:
            self._paused = True
        self._notify(None)

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._changed(None, save=False)
        self._notify(None)

    @property
    def paused(self) -> bool:
        return self._paused

    def cancel(self, entry_id: str) -> None:
        """Stop encoding this take (it becomes failed with a note; its spool is kept for Retry)."""
        with self._cond:
            e = self._journal.entries.get(entry_id)
            if e is None:
                return
            if e.state == PENDING:
                self._journal.set_state(entry_id, FAILED, error=CANCELLED_MSG)
                self._released.discard(entry_id)
                self._changed(entry_id)
            elif e.state in ACTIVE:
                self._cancel[entry_id] = "cancel"
        self._persist()
        self._notify(entry_id)

    def retry_failed(self, ids: list[str] | None = None) -> int:
        with self._cond:
            failed = [e.id for e in self._journal.entries.values()
                      if e.state == FAILED and (ids is None or e.id in ids)]
            for i in failed:
                self._journal.set_state(i, PENDING, error="", retry_at=0.0)
                self._released.add(i)
            if failed:
                self._changed(None)
        self._persist()
        self._notify(None)
        return len(failed)

    def raise_priority(self, entry_id: str) -> None:
        with self._cond:
            if entry_id not in self._journal.entries:
                return
            lowest = min(e.order for e in self._journal.entries.values())
            self._journal.entries[entry_id].order = lowest - 1.0
            self._released.add(entry_id)  # the operator wants it now, batch or not
            self._changed(entry_id)
        self._persist()
        self._notify(entry_id)

    # ----- what observers read ------------------------------------------------------------------------
    def rows(self) -> list[Row]:
        with self._cond:
            return [self._row(e) for e in self._journal.ordered()]

    def row(self, entry_id: str) -> Row | None:
        with self._cond:
            e = self._journal.entries.get(entry_id)
            return self._row(e) if e else None

    def _row(self, e: Entry) -> Row:
        return make_row(e, self._live.get(e.id), e.id in self._released, self._speed)

    def backlog(self) -> Backlog:
        with self._cond:
            todo = [e for e in self._journal.entries.values() if e.state in (PENDING, *ACTIVE)]
            return backlog_of(todo, self._live, self._speed, self._gave_way_at)

    def has_work(self) -> bool:
        """True while any take is pending or being encoded (the exit prompt asks about these)."""
        with self._cond:
            return any(e.state in (PENDING, *ACTIVE) for e in self._journal.entries.values())

    def counts(self) -> dict[str, int]:
        with self._cond:
            out = {s: 0 for s in (PENDING, ENCODING, VERIFYING, DONE, FAILED)}
            for e in self._journal.entries.values():
                out[e.state] += 1
            return out

    @property
    def measured_speed(self) -> float | None:
        """Frames per second (one camera stream) of recent encodes on this machine."""
        return self._speed

    # ----- worker side --------------------------------------------------------------------------------
    def _runnable(self) -> list[Entry]:
        if self._paused or self._closed or (self._throttled and self.pause_while_recording):
            return []
        return [e for e in self._journal.ordered() if e.state == PENDING and e.id in self._released]

    def claim(self, timeout: float | None = None) -> Entry | None:
        """Block until an entry is runnable (or timeout / close); mark it encoding and return it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                if self._closed:
                    return None
                wake = self._revive_transient()
                ready = self._runnable()
                if ready:
                    e = ready[0]
                    self._journal.set_state(e.id, ENCODING, attempts=e.attempts + 1, started=time.time(),
                                            error="", codec=self.settings.codec)
                    self._live[e.id] = Live(e.length * max(1, len(e.cameras)))
                    self._changed(e.id)
                    break
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self._cond.wait(left if wake is None else min(wake, left if left is not None else wake))
        self._persist()
        self._notify(e.id)
        return e

    def _revive_transient(self) -> float | None:
        """Lock held. Takes that failed on a full disk or an I/O error go back to pending once their
        back-off is over and the disk has room again; returns the seconds until the next is due."""
        now, wake, revived = time.time(), None, False
        for e in self._journal.entries.values():
            if e.state != FAILED or not e.retry_at:
                continue
            if e.retry_at <= now and self._free() < _room_for(e):  # still full: wait again
                e.retry_at = now + self._backoff(e)
            if e.retry_at > now:
                wake = min(wake if wake is not None else 1e9, e.retry_at - now)
                continue
            self._journal.set_state(e.id, PENDING, error="", retry_at=0.0)
            self._released.add(e.id)
            revived = True
        if revived:
            self._changed(None)
        return wake

    def _free(self) -> int:
        try:
            return self.free_bytes()
        except OSError:
            return 0

    def _backoff(self, e: Entry) -> float:
        return min(RETRY_MAX_S, self.retry_first_s * 2 ** max(0, e.attempts - 1))

    def run(self, entry: Entry) -> None:
        """Encode a claimed entry (stage 1), then hand it to the commit stage (`claim_commit`)."""
        live = self._live[entry.id]

        def progress(done: int, output_bytes: int) -> None:
            with self._cond:
                if entry.id in self._cancel:
                    raise job.Stopped(self._cancel[entry.id])
                live.done, live.output_bytes = done, output_bytes
                now = time.monotonic()
                if now - live.last_notify < PROGRESS_NOTIFY_S:
                    return
                live.last_notify = now
            self._notify(entry.id)

        def throttled() -> bool:
            if self.priority_hook is not None:
                self.priority_hook(self._throttled)
            return self._throttled

        try:
            encoded = job.encode(job.confined_spool(self.writer.root, entry.spool), entry.id, self.writer,
                                 self.settings,
                                 throttled=throttled, progress=progress)
        except BaseException as exc:  # noqa: BLE001 - any failure fails this entry only
            self._finish(entry.id, exc)
            if not isinstance(exc, Exception):
                raise
            return
        with self._cond:
            if entry.id in self._cancel:  # cancelled between the last frame and here
                job.discard(encoded)
                reason = self._cancel[entry.id]
            else:
                reason = None
                if live.done:
                    speed = live.done / max(1e-6, time.monotonic() - live.t0 - live.held_s)
                    self._speed = speed if self._speed is None else 0.5 * self._speed + 0.5 * speed
                self._journal.set_state(entry.id, VERIFYING, output_bytes=encoded.output_bytes)
                self._commits.append((entry.id, encoded))
                self._changed(entry.id)
        if reason is not None:
            self._finish(entry.id, job.Stopped(reason))
        else:
            self._persist()
            self._notify(entry.id)

    def claim_commit(self, timeout: float | None = None):
        """Block until an encoded take waits for its commit; None on timeout or when closed and empty."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._commits:
                left = None if deadline is None else deadline - time.monotonic()
                if self._closed or (left is not None and left <= 0):
                    return None
                self._cond.wait(left)
            return self._commits.popleft()

    def run_commit(self, item) -> None:
        entry_id, encoded = item
        with self._cond:
            reason = self._cancel.get(entry_id)
        if reason is not None:
            job.discard(encoded)
            self._finish(entry_id, job.Stopped(reason))
            return
        try:
            spool_path = job.confined_spool(self.writer.root, self._journal.entries[entry_id].spool)
            result = job.commit(encoded, spool_path, self.writer, throttled=lambda: self._throttled)
        except Exception as exc:  # noqa: BLE001
            self._finish(entry_id, exc)
            return
        self._finish(entry_id, None, result)

    def _finish(self, entry_id: str, exc: BaseException | None, result=None) -> None:
        if exc is None:
            outcome = dict(state=DONE, error="", episode_index=result.episode_index, finished=time.time())
            if not result.already_committed:
                outcome["output_bytes"] = result.output_bytes
        elif isinstance(exc, job.Stopped) and exc.reason == "shutdown":
            outcome = dict(state=PENDING, error="")
        elif isinstance(exc, job.Stopped):
            outcome = dict(state=FAILED, error=CANCELLED_MSG, finished=time.time())
        else:
            msg = job.describe_error(exc)
            log.warning("encoding %s failed: %s", entry_id, msg, exc_info=not isinstance(exc, job.JobError))
            outcome = dict(state=FAILED, error=msg, finished=time.time())
            if job.is_transient(exc):
                with self._cond:
                    e = self._journal.entries.get(entry_id)
                    outcome["retry_at"] = time.time() + (self._backoff(e) if e else self.retry_first_s)
                outcome["error"] = msg if "by itself" in msg else msg + RETRY_NOTE
        with self._cond:
            self._cancel.pop(entry_id, None)
            self._live.pop(entry_id, None)
            state = outcome.pop("state")
            if state != PENDING:
                self._released.discard(entry_id)
            self._journal.set_state(entry_id, state, **outcome)
            self._changed(entry_id)
        self._persist()
        self._notify(entry_id)

    def process_all(self) -> None:
        """Run every runnable entry, both stages, on the calling thread (scripts and tests)."""
        while True:
            e = self.claim(timeout=0)
            if e is not None:
                self.run(e)
            item = self.claim_commit(timeout=0)
            if item is not None:
                self.run_commit(item)
            if e is None and item is None:
                return

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no released take is left and nothing is being encoded. False on timeout.

        A paused queue with released takes is not idle: this waits for the resume.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                busy = any(e.state in ACTIVE or (e.state == PENDING and e.id in self._released
                                                   and not self._closed)
                           for e in self._journal.entries.values())
                if not busy:
                    return True
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left if left is not None else 1.0)

    def close(self) -> None:
        """Stop handing out work. An entry being encoded is abandoned (pending for the next launch);
        takes already encoded are still committed by the commit stage, which then stops."""
        with self._cond:
            self._closed = True
            for e in self._journal.entries.values():
                if e.state == ENCODING:
                    self._cancel[e.id] = "shutdown"
            self._cond.notify_all()
        self.give_way(False)  # a held child finishes its verify or is killed; none waits forever
        self._notify(None)

    @property
    def closed(self) -> bool:
        return self._closed


def _room_for(e: Entry) -> int:
    """Free bytes an encode of this take needs, generously (encoded frames of a 640x480 camera are a
    few kB; the rows and the commit's metadata fit in the fixed part)."""
    return 4 * 1024 * 1024 + e.length * max(1, len(e.cameras)) * 16 * 1024
