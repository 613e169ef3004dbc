"""A camera on its own capture thread: latest frame wins, listeners are called from that thread.

Subclasses implement open(), grab() and close(); everything else (threading, timestamps, measured
fps, unplug detection and re-open) is shared by real and simulated cameras.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Callable

import numpy as np

from app.cpu_priority import favour_calling_thread
from app.rig.samples import Frame

log = logging.getLogger(__name__)
Listener = Callable[[Frame], None]


class CameraError(RuntimeError):
    pass


class CameraSource:
    reopen_interval = 1.0  # seconds between attempts after an unplug

    def __init__(self, name: str, width: int = 640, height: int = 480, fps: int = 30):
        self.name, self.width, self.height, self.fps = name, width, height, fps
        self._listeners: list[Listener] = []
        self._latest: Frame | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._stamps: deque[float] = deque(maxlen=60)
        self.connected = False
        self.error: str | None = None
        self.frames_captured = 0

    # -- to implement -------------------------------------------------------------------------
    def open(self) -> None:
        raise NotImplementedError

    def grab(self) -> np.ndarray:
        """Block until the next frame; return H x W x 3 uint8 RGB. Raise CameraError when gone."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    # -- shared ----------------------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    @property
    def latest(self) -> Frame | None:
        return self._latest

    @property
    def measured_fps(self) -> float:
        s = self._stamps
        if len(s) < 2 or time.monotonic() - s[-1] > 1.0:
            return 0.0
        return (len(s) - 1) / (s[-1] - s[0])

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"camera-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        favour_calling_thread()
        index = 0
        while not self._stop.is_set():
            if not self.connected:
                try:
                    self.open()
                    self.connected, self.error = True, None
                    log.info("camera %s opened", self.name)
                except Exception as exc:  # unplugged or busy: try again shortly
                    self.error = str(exc) or type(exc).__name__
                    self._stop.wait(self.reopen_interval)
                    continue
            try:
                image = self.grab()
            except Exception as exc:
                log.warning("camera %s lost: %s", self.name, exc)
                self.connected, self.error = False, str(exc) or type(exc).__name__
                self._latest = None
                self._safe_close()
                continue
            t = time.monotonic()
            image.setflags(write=False)
            frame = Frame(self.name, image, index, t)
            index += 1
            self.frames_captured += 1
            self._stamps.append(t)
            self._latest = frame
            for listener in list(self._listeners):
                try:
                    listener(frame)
                except Exception:
                    log.exception("frame listener failed")
        self._safe_close()
        self.connected = False

    def _safe_close(self) -> None:
        try:
            self.close()
        except Exception:
            log.debug("close failed", exc_info=True)
