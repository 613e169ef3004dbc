"""Live camera views: the rig's numpy frames, scaled by OpenCV off the interpreter lock and blitted.

Each view keeps the frame's aspect ratio and overlays the camera name, the frame rate that reaches
the screen, and the frame's age when painted (capture-to-display latency). CameraGrid tiles any
number of views, choosing the column count that makes the pictures largest.
"""

from __future__ import annotations

import math
import sys
import time
from collections import deque

import cv2
import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QGridLayout, QSizePolicy, QWidget

from app.rig.samples import Frame

STALE_AFTER = 1.0  # seconds without a frame before the view says so


class CameraView(QWidget):
    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.name = name
        self.show_overlay = True
        self.setObjectName("CameraView")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # we paint every pixel
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(96, 72)
        self._frame: Frame | None = None
        self._scaled_key: tuple | None = None
        self._scaled_buf: np.ndarray | None = None  # the memory self._scaled_img points at
        self._scaled_img: QImage | None = None
        self._arrivals: deque[float] = deque(maxlen=31)
        self._received_at = 0.0
        # observable counters (tests, bench, status bar)
        self.frames_received = 0
        self.paint_count = 0
        self.last_index = -1
        self.last_age_ms = float("nan")

    # -- data -------------------------------------------------------------------------------------
    def set_frame(self, frame: Frame) -> None:
        self._frame = frame
        self._received_at = time.monotonic()
        self._arrivals.append(frame.t_capture)
        self.frames_received += 1
        self.last_index = frame.index
        self.update()

    @property
    def shown_fps(self) -> float:
        a = self._arrivals
        if len(a) < 2 or a[-1] <= a[0] or self.is_stale():
            return 0.0
        return (len(a) - 1) / (a[-1] - a[0])

    def is_stale(self) -> bool:
        return self._frame is None or time.monotonic() - self._received_at > STALE_AFTER

    def sizeHint(self) -> QSize:
        return QSize(480, 360)

    # -- painting ---------------------------------------------------------------------------------
    def image_rect(self) -> QRectF:
        """Where the picture goes: as large as fits, centred, aspect ratio kept."""
        if self._frame is None:
            return QRectF(self.rect())
        h, w = self._frame.image.shape[:2]
        scale = min(self.width() / w, self.height() / h)
        dw, dh = w * scale, h * scale
        return QRectF((self.width() - dw) / 2, (self.height() - dh) / 2, dw, dh)

    def paintEvent(self, event) -> None:
        self.paint_count += 1
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(17, 19, 23))
        if self._frame is None:
            self._draw_centered(p, f"{self.name}\nwaiting for frames…")
            p.end()
            return
        target = self.image_rect()
        p.drawImage(target.topLeft(), self._scaled(target.size().toSize()))
        self.last_age_ms = (time.monotonic() - self._frame.t_capture) * 1000
        if self.is_stale():
            p.fillRect(target, QColor(0, 0, 0, 150))
            self._draw_centered(p, f"{self.name}\nno signal for {time.monotonic() - self._received_at:.0f} s")
        if self.show_overlay:
            self._draw_overlay(p, target)
        p.end()

    def _scaled(self, size: QSize) -> QImage:
        """The frame at the size it is shown. OpenCV scales it with the interpreter lock released;
        QPainter's smooth scaling held the lock for 3-5 ms per camera, and the teleop loop waited
        that long (bench/teleop_loop.py). What is left under the lock is a plain 32-bit blit."""
        key = (id(self._frame), size.width(), size.height())
        if self._scaled_key != key:
            img = self._frame.image
            w, h = max(1, size.width()), max(1, size.height())
            if (w, h) != (img.shape[1], img.shape[0]):
                shrink = w < img.shape[1]
                img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
            if sys.byteorder == "little":  # Format_RGB32 is 0xffRRGGBB: bytes B, G, R, X
                self._scaled_buf = cv2.cvtColor(img, cv2.COLOR_RGB2BGRA)
                fmt = QImage.Format.Format_RGB32
            else:
                self._scaled_buf, fmt = np.ascontiguousarray(img), QImage.Format.Format_RGB888
            buf = self._scaled_buf
            self._scaled_img = QImage(buf.data, buf.shape[1], buf.shape[0], buf.strides[0], fmt)
            self._scaled_key = key
        return self._scaled_img

    def _draw_overlay(self, p: QPainter, target: QRectF) -> None:
        font = QFont(self.font())
        font.setPointSizeF(max(8.0, min(11.0, target.height() / 32)))
        p.setFont(font)
        fm = p.fontMetrics()
        pad = 6
        self._chip(p, target.left() + pad, target.top() + pad, self.name, fm, QColor(255, 255, 255))
        info = f"{self.shown_fps:4.1f} fps   {self.last_age_ms:3.0f} ms"
        width = fm.horizontalAdvance(info) + 2 * pad
        colour = QColor(120, 220, 140) if self.last_age_ms < 100 else QColor(250, 190, 80)
        self._chip(p, target.right() - pad - width, target.top() + pad, info, fm, colour)

    @staticmethod
    def _chip(p: QPainter, x: float, y: float, text: str, fm, colour: QColor) -> None:
        pad = 6
        rect = QRectF(x, y, fm.horizontalAdvance(text) + 2 * pad, fm.height() + pad)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 150))
        p.drawRoundedRect(rect, 4, 4)
        p.setPen(colour)
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _draw_centered(self, p: QPainter, text: str) -> None:
        p.setPen(QColor(170, 176, 186))
        p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, text)


def best_columns(n: int, width: float, height: float, aspect: float = 4 / 3) -> int:
    """The column count that makes n tiles of the given aspect ratio largest in width x height."""
    best, best_scale = 1, -1.0
    for cols in range(1, max(1, n) + 1):
        rows = math.ceil(n / cols)
        scale = min(width / cols / aspect, height / rows)
        if scale > best_scale + 1e-9:
            best, best_scale = cols, scale
    return best


class CameraGrid(QWidget):
    """All cameras of the rig, tiled; new camera names get a view on their first frame."""

    def __init__(self, names: list[str] | tuple[str, ...] = (), parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("CameraGrid")
        self.views: dict[str, CameraView] = {}
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self._layout.setSpacing(4)
        self._cols = 0
        self._show_overlay = True
        for name in names:
            self._add_view(name)
        self._relayout(force=True)

    def _add_view(self, name: str) -> CameraView:
        view = CameraView(name, self)
        view.show_overlay = self._show_overlay
        self.views[name] = view
        return view

    def set_frames(self, frames: dict[str, Frame]) -> None:
        added = False
        for name, frame in frames.items():
            view = self.views.get(name)
            if view is None:
                view, added = self._add_view(name), True
            view.set_frame(frame)
        if added:
            self._relayout(force=True)

    def set_overlay_visible(self, visible: bool) -> None:
        self._show_overlay = visible
        for view in self.views.values():
            view.show_overlay = visible
            view.update()

    def refresh_stale(self) -> None:
        """Repaint views whose camera went quiet, so 'no signal' appears without new frames."""
        for view in self.views.values():
            if view.is_stale():
                view.update()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._relayout()

    def _relayout(self, force: bool = False) -> None:
        n = len(self.views)
        if n == 0:
            return
        cols = best_columns(n, max(1, self.width()), max(1, self.height()))
        if cols == self._cols and not force:
            return
        self._cols = cols
        for view in self.views.values():
            self._layout.removeWidget(view)
        for i, view in enumerate(self.views.values()):
            self._layout.addWidget(view, i // cols, i % cols)
        rows = math.ceil(n / cols)
        for r in range(self._layout.rowCount()):
            self._layout.setRowStretch(r, 1 if r < rows else 0)
        for c in range(self._layout.columnCount()):
            self._layout.setColumnStretch(c, 1 if c < cols else 0)
