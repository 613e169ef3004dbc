"""A minimal EpisodeSink: commits each take with DatasetWriter.add_episode on one background thread.

The studio uses app.encoding.queue.EncodeQueue; this one serves tests and scripts that want the
simplest path from spool to dataset (no journal: a crash leaves the spool for the recovery scan).
"""

from __future__ import annotations

import logging
import queue
import threading

from app.recording.spool import Spool

log = logging.getLogger(__name__)


class SyncSink:
    def __init__(self, writer):
        self.writer = writer
        self.committed: list[int] = []
        self.errors: list[str] = []
        self._q: queue.Queue[Spool | None] = queue.Queue()
        self._seen: set[str] = set()
        self._idle = threading.Condition()
        self._busy = 0
        self._thread = threading.Thread(target=self._run, name="sync-sink", daemon=True)
        self._thread.start()

    def submit(self, spool: Spool) -> None:
        with self._idle:
            if spool.id in self._seen:
                return
            self._seen.add(spool.id)
            self._busy += 1
        self._q.put(spool)

    def flush(self) -> None:
        pass

    def wait_idle(self, timeout: float | None = None) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def close(self) -> None:
        self._q.put(None)
        self._thread.join(10)

    def _run(self) -> None:
        from app.dataset.writer import Episode

        while (spool := self._q.get()) is not None:
            try:
                if spool.id not in self.writer.committed_sources():
                    ep = Episode(task=spool.task, data=spool.rows(),
                                 videos={k: spool.frames(k) for k in spool.cameras})
                    self.committed.append(self.writer.add_episode(ep, source_id=spool.id))
                spool.delete()
            except Exception as exc:  # the spool stays on disk for the next launch
                log.exception("committing %s failed", spool.id)
                self.errors.append(f"{spool.id}: {exc}")
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()
