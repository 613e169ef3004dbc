"""A camera with no hardware: draws a moving scene, the simulated arm's pose and the frame number."""

from __future__ import annotations

import math
import time
from typing import Callable

import cv2
import numpy as np

from app.rig.camera import CameraError, CameraSource
from app.rig.opencv_camera import one_opencv_thread

one_opencv_thread()

PoseSource = Callable[[], "np.ndarray | None"]


class BetweenTicks:
    """A simulated camera's frame clock: every 1/fps, half a period after the ticks of the teleop loop.

    A camera clock in phase with the sampling clock turns every few ms of scheduling jitter into a
    duplicated frame. Until the loop runs, frames are phased from the camera's opening; once the loop
    has its slot grid (`loop.origin`) they move between its slots, and again whenever the loop starts
    anew (after a replay or the motor wizard) while the camera runs on. Phased from the opening alone,
    the threads' start-up left 4-11 ms of room on one side instead of 16.7 (bench/late_frames.py).
    (A USB camera's phase is whatever it is; the health report shows it.)"""

    def __init__(self, fps: float, loop=None):
        self.period = 1.0 / fps
        self.loop = loop  # the rig's TeleopLoop, set once the rig is built
        self._next = 0.0
        self._origin: float | None = None  # the loop's grid the frames sit between

    def start(self) -> None:
        self._next = time.monotonic() + 0.5 * self.period
        self._origin = None

    def wait(self) -> None:
        """Sleep until the next frame is due."""
        origin = getattr(self.loop, "origin", None)
        if origin is not None and origin != self._origin:
            self._next = origin + (math.floor((self._next - origin) / self.period) + 0.5) * self.period
            self._origin = origin
        self._next += self.period
        delay = self._next - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        elif delay < -0.5:  # fell far behind (paused process): resynchronise instead of bursting
            self._next = time.monotonic()


class SyntheticCamera(CameraSource):
    def __init__(self, name: str, width: int = 640, height: int = 480, fps: int = 30,
                 pose: PoseSource | None = None, hue: int = 0):
        super().__init__(name, width, height, fps)
        self.pose = pose
        self.unplugged = False  # set True to simulate pulling the USB cable
        self._hue = hue
        self.clock = BetweenTicks(fps)
        self._n = 0
        self._background = self._make_background()

    def _make_background(self) -> np.ndarray:
        h, w = self.height, self.width
        y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
        x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
        bg = np.empty((h, w, 3), np.uint8)
        bg[..., 0] = (40 + 30 * y + 20 * x + self._hue) % 256
        bg[..., 1] = 50 + 40 * y
        bg[..., 2] = 70 + 50 * x
        return bg

    def open(self) -> None:
        if self.unplugged:
            raise CameraError(f"{self.name}: no such device")
        self.clock.start()

    def grab(self) -> np.ndarray:
        if self.unplugged:
            raise CameraError(f"{self.name}: device disconnected")
        self.clock.wait()
        img = self._background.copy()
        self._draw(img, self._n)
        self._n += 1
        return img

    def _draw(self, img: np.ndarray, n: int) -> None:
        h, w = img.shape[:2]
        s = min(h, w) / 480
        # a ball moving on a Lissajous path: motion that makes dropped frames visible
        cx = int(w / 2 + w * 0.35 * math.sin(n * 0.05))
        cy = int(h / 2 + h * 0.3 * math.sin(n * 0.07 + 1))
        cv2.circle(img, (cx, cy), int(24 * s), (230, 60, 50), -1, cv2.LINE_AA)
        pose = self.pose() if self.pose else None
        if pose is not None:
            self._draw_arm(img, pose, s)
        stamp = f"{self.name}  #{n}  t={time.monotonic():.3f}"
        cv2.putText(img, stamp, (int(10 * s), h - int(12 * s)), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * s,
                    (255, 255, 255), max(1, int(2 * s)), cv2.LINE_AA)

    @staticmethod
    def _draw_arm(img: np.ndarray, pose: np.ndarray, s: float) -> None:
        """Side view of a 3-link arm: shoulder_lift, elbow_flex, wrist_flex; gripper opening as a V."""
        h, w = img.shape[:2]
        x, y = w * 0.5 + pose[0] * 1.5 * s, h * 0.85
        angle = -math.pi / 2
        links = ((pose[1], 150 * s), (pose[2], 130 * s), (pose[3], 60 * s))
        for deg, length in links:
            angle += math.radians(deg)
            nx, ny = x + length * math.cos(angle), y + length * math.sin(angle)
            cv2.line(img, (int(x), int(y)), (int(nx), int(ny)), (240, 240, 240), max(2, int(10 * s)), cv2.LINE_AA)
            cv2.circle(img, (int(x), int(y)), max(2, int(8 * s)), (250, 200, 40), -1, cv2.LINE_AA)
            x, y = nx, ny
        opening = math.radians(10 + 0.5 * float(pose[5]))
        for sign in (-1, 1):
            a = angle + sign * opening / 2
            cv2.line(img, (int(x), int(y)), (int(x + 30 * s * math.cos(a)), int(y + 30 * s * math.sin(a))),
                     (60, 220, 90), max(2, int(6 * s)), cv2.LINE_AA)
