"""Hands rig data from device threads to the GUI thread through Qt signals (QtCore only).

Latest-frame-wins: a camera frame replaces any frame the GUI has not taken yet, and at most one
"frames ready" signal is in flight, so a slow GUI never builds a backlog. Ticks are all kept
(plots need every sample) and handed over in batches. A signal that found no receiver yet (the rig
started before the GUI connected) is sent again after RESEND seconds, so nobody waits for ever.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, Signal

from app.rig.rig import Rig
from app.rig.samples import Frame, Tick

RESEND = 0.5


class RigBridge(QObject):
    frames_ready = Signal()
    ticks_ready = Signal()
    status_changed = Signal()

    def __init__(self, rig: Rig, parent: QObject | None = None):
        super().__init__(parent)
        self.rig = rig
        self._lock = threading.Lock()
        self._frames: dict[str, Frame] = {}
        self._ticks: list[Tick] = []
        self._frames_pending = 0.0  # time.monotonic() of the unanswered signal, 0 when none
        self._ticks_pending = 0.0
        for cam in rig.cameras.values():
            cam.add_listener(self._on_frame)
        rig.teleop.add_listener(self._on_tick)
        rig.teleop.add_status_listener(self.status_changed.emit)

    def detach(self) -> None:
        for cam in self.rig.cameras.values():
            cam.remove_listener(self._on_frame)
        self.rig.teleop.remove_listener(self._on_tick)

    def _on_frame(self, frame: Frame) -> None:
        with self._lock:
            self._frames[frame.camera] = frame
            now = time.monotonic()
            if self._frames_pending and now - self._frames_pending < RESEND:
                return
            self._frames_pending = now
        self.frames_ready.emit()

    def _on_tick(self, tick: Tick) -> None:
        with self._lock:
            self._ticks.append(tick)
            if len(self._ticks) > 3000:  # GUI stalled: keep the last 100 s
                del self._ticks[:1000]
            now = time.monotonic()
            if self._ticks_pending and now - self._ticks_pending < RESEND:
                return
            self._ticks_pending = now
        self.ticks_ready.emit()

    def take_frames(self) -> dict[str, Frame]:
        with self._lock:
            frames, self._frames = self._frames, {}
            self._frames_pending = 0.0
        return frames

    def take_ticks(self) -> list[Tick]:
        with self._lock:
            ticks, self._ticks = self._ticks, []
            self._ticks_pending = 0.0
        return ticks
