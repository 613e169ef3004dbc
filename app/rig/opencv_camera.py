"""A USB camera (or a video file) read with OpenCV on the capture thread of CameraSource."""

from __future__ import annotations

import os
import re
import sys

import cv2
import numpy as np

from app.rig.camera import CameraError, CameraSource


def one_opencv_thread() -> None:
    """OpenCV runs on the calling thread only. Its thread pool splits a frame's conversion across the
    cores, then its idle workers spin (sched_yield) waiting for more: twice the CPU per frame of one
    thread (bench/cpu_per_frame.py). Each camera has its own thread already; the encoders want the rest."""
    cv2.setNumThreads(1)


one_opencv_thread()


class OpenCVCamera(CameraSource):
    def __init__(self, name: str, device: str | int, width: int = 640, height: int = 480, fps: int = 30,
                 fourcc: str | None = "MJPG"):
        super().__init__(name, width, height, fps)
        self.device = int(device) if isinstance(device, str) and device.isdigit() else device
        self.fourcc = fourcc
        self._cap: cv2.VideoCapture | None = None

    def _source(self) -> int | str:
        """OpenCV's V4L2 backend opens devices by index: /dev/v4l/by-id/... -> /dev/video2 -> 2."""
        if isinstance(self.device, str) and self.device.startswith("/dev/"):
            real = os.path.realpath(self.device)
            m = re.fullmatch(r"/dev/video(\d+)", real)
            if m:
                return int(m.group(1))
            raise CameraError(f"{self.name}: {self.device} is not plugged in")
        return self.device

    def open(self) -> None:
        source = self._source()
        is_v4l = isinstance(source, int)
        backend = cv2.CAP_V4L2 if is_v4l and sys.platform.startswith("linux") else cv2.CAP_ANY
        cap = cv2.VideoCapture(source, backend)
        if not cap.isOpened():
            cap.release()
            raise CameraError(f"{self.name}: cannot open {self.device}")
        if is_v4l:
            if self.fourcc:  # MJPG first: USB 2 cannot carry raw 640x480@30 from two cameras
                cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*self.fourcc))
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            cap.set(cv2.CAP_PROP_FPS, self.fps)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # latest frame wins, not the oldest queued one
        self.actual_size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        self._cap = cap

    def grab(self) -> np.ndarray:
        cap = self._cap
        if cap is None:
            raise CameraError(f"{self.name}: not open")
        ok, bgr = cap.read()
        if not ok or bgr is None:
            raise CameraError(f"{self.name}: {self.device} stopped delivering frames (unplugged?)")
        if bgr.shape[1] != self.width or bgr.shape[0] != self.height:
            bgr = cv2.resize(bgr, (self.width, self.height), interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()
