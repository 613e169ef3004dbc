"""A video file played as a camera: for demos, teaching and benchmarks with real footage.

Decoded with PyAV (OpenCV's wheels decode no AV1, and lerobot's own datasets are AV1), scaled to the
configured size, delivered at the configured fps on the capture thread's clock whatever the file's own
rate, and looped at the end so the camera is never "lost" because the clip ran out.
"""

from __future__ import annotations

import os
import time

import av
import numpy as np

from app.rig.camera import CameraError, CameraSource

VIDEO_SUFFIXES = (".mp4", ".mkv", ".avi", ".mov", ".webm", ".m4v", ".ts")


def is_video_file(device) -> bool:
    """index_or_path names a file (not a /dev node or a camera index)."""
    if not isinstance(device, str) or device.isdigit() or device.startswith("/dev/"):
        return False
    return os.path.isfile(device) or device.lower().endswith(VIDEO_SUFFIXES)


class FileCamera(CameraSource):
    def __init__(self, name: str, path: str, width: int = 640, height: int = 480, fps: int = 30):
        super().__init__(name, width, height, fps)
        self.path = path
        self.loops = 0  # times the clip has started over
        self._container = None
        self._frames = None
        self._next_t: float | None = None

    def open(self) -> None:
        try:
            container = av.open(self.path)
        except (av.error.FFmpegError, OSError) as exc:
            raise CameraError(f"{self.name}: cannot open {self.path}: {exc}") from exc
        if not container.streams.video:
            container.close()
            raise CameraError(f"{self.name}: {self.path} has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        self._container, self._frames = container, container.decode(stream)
        self.actual_size = (stream.codec_context.width, stream.codec_context.height)
        self._next_t = None

    def _decode_next(self):
        for attempt in range(2):
            try:
                return next(self._frames)
            except StopIteration:
                if attempt:
                    break
                self._container.seek(0)  # the end of the clip: start over
                self._frames = self._container.decode(self._container.streams.video[0])
                self.loops += 1
            except av.error.FFmpegError as exc:
                raise CameraError(f"{self.name}: {self.path} cannot be decoded: {exc}") from exc
        raise CameraError(f"{self.name}: {self.path} holds no frame")

    def grab(self) -> np.ndarray:
        if self._container is None:
            raise CameraError(f"{self.name}: not open")
        frame = self._decode_next()
        image = frame.to_ndarray(format="rgb24", width=self.width, height=self.height)
        now = time.monotonic()
        if self._next_t is None or now - self._next_t > 1.0:  # first frame, or fell far behind: resync
            self._next_t = now
        elif self._next_t > now:
            time.sleep(self._next_t - now)
        self._next_t += 1.0 / self.fps
        return image

    def close(self) -> None:
        container, self._container, self._frames = self._container, None, None
        if container is not None:
            container.close()
