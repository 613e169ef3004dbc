"""Episode viewer: every camera in sync, state/action plot with a cursor, timeline, playback.

Frames come from app.hub.episode_frames.EpisodeFrames through QtTasks: the frame under the cursor
is requested on a per-camera channel (a newer request cancels an older one, so fast scrubbing never
queues stale work), then a run of frames around the cursor is prefetched in the background.
Keys: Left/Right step one frame, Home/End jump, Space plays or pauses. The title names the episode
and its task; review markers show as lines on the plot.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.hub.episode_frames import EpisodeFrames
from app.hub.errors import explain
from app.hub.qt_tasks import QtTasks

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0)
AHEAD, BEHIND = 45, 10           # frames prefetched around the cursor
COLOURS = ("#4e9bf5", "#f5a623", "#50c878", "#e05d75", "#b58cf0", "#e8d44d")


class FrameView(QWidget):
    """One camera: the image scaled to fit, its name, and which frame it shows."""

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.name, self.image, self.index = name, None, None
        self.setMinimumSize(160, 120)

    def set_frame(self, index: int, frame: np.ndarray) -> None:
        h, w, _ = frame.shape
        self.image = QImage(frame.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self.index = index
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), Qt.GlobalColor.black)
        if self.image is not None:
            size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            x, y = (self.width() - size.width()) // 2, (self.height() - size.height()) // 2
            p.drawImage(self.rect().adjusted(x, y, -x, -y), self.image)
        p.setPen(Qt.GlobalColor.white)
        label = self.name.removeprefix("observation.images.")
        p.drawText(8, 18, label if self.index is None else f"{label}  #{self.index}")
        if self.image is None:
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "loading…")


class EpisodeViewer(QWidget):
    frame_shown = Signal(str, int)      # camera, frame index (tests and status)
    message = Signal(str)

    def __init__(self, tasks: QtTasks, parent: QWidget | None = None):
        super().__init__(parent)
        self.tasks, self.episode = tasks, None
        self._prefetching: dict = {}
        self.cursor = 0
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.views: dict[str, FrameView] = {}
        self.title = QLabel("no episode")
        self.title.setStyleSheet("font-weight: bold; padding: 2px")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._marker_lines: list = []
        self.cameras = QWidget()
        self.grid = QGridLayout(self.cameras)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.plot = pg.PlotWidget(background="#14161a")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setLabel("bottom", "time", "s")
        self.plot.setTitle("state (solid) and action (dashed)", size="9pt")
        # three columns on a dark ground: the six joint names stay readable over the curves
        self.plot.addLegend(offset=(5, 5), labelTextSize="8pt", colCount=3, brush=(24, 26, 30, 210))
        self.plot_cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen("#ffffff", width=1))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.valueChanged.connect(self.seek)
        self.play_button = QPushButton("Play")
        self.play_button.clicked.connect(self.toggle_play)
        self.speed = QComboBox()
        self.speed.addItems([f"{s:g}x" for s in SPEEDS])
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.currentIndexChanged.connect(self._retime)
        self.readout = QLabel("no episode")
        self.readout.setMinimumWidth(230)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)

        controls = QHBoxLayout()
        for w in (self.play_button, self.speed, self.slider, self.readout):
            controls.addWidget(w)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.cameras)
        split.addWidget(self.plot)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([600, 300])
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(split, 1)
        layout.addLayout(controls)
        self._keys = {Qt.Key.Key_Left: lambda: self.step(-1), Qt.Key.Key_Right: lambda: self.step(1),
                      Qt.Key.Key_Home: lambda: self.seek(0), Qt.Key.Key_End: lambda: self.seek(self.length - 1),
                      Qt.Key.Key_Space: self.toggle_play}
        for w in (self.slider, self.play_button, self.speed):
            w.installEventFilter(self)     # the keys work wherever the focus is inside the viewer

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.KeyPress and event.key() in self._keys:
            self.keyPressEvent(event)
            return True
        return super().eventFilter(obj, event)

    def keyPressEvent(self, event) -> None:
        action = self._keys.get(event.key())
        if action:
            action()
        else:
            super().keyPressEvent(event)

    @property
    def length(self) -> int:
        return self.episode.length if self.episode else 0

    def set_episode(self, episode: EpisodeFrames, rows: dict[str, np.ndarray]) -> None:
        self.stop()
        self.tasks.pool.cancel_channel("frame:")
        self.tasks.pool.cancel_channel("prefetch:")
        self.episode, self.cursor = episode, 0
        self._prefetching = {}
        for v in self.views.values():
            v.deleteLater()
        self.views = {k: FrameView(k) for k in episode.cameras}
        cols = 2 if len(self.views) > 1 else 1
        for n, v in enumerate(self.views.values()):
            self.grid.addWidget(v, n // cols, n % cols)
        self.cameras.setVisible(bool(self.views))
        self._plot_rows(rows)
        self.slider.blockSignals(True)
        self.slider.setRange(0, episode.length - 1)
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        tasks = ", ".join(episode.info.tasks) or "no task"
        self.title.setText(f"Episode {episode.episode}  ·  {tasks}  ·  {episode.length} frames")
        self._marker_lines = []
        self.seek(0)
        self.setFocus()

    def clear(self, text: str = "no episode") -> None:
        """Show nothing (e.g. the table filter hides every episode)."""
        self.stop()
        self.tasks.pool.cancel_channel("frame:")
        self.tasks.pool.cancel_channel("prefetch:")
        self.episode, self.cursor = None, 0
        for v in self.views.values():
            v.deleteLater()
        self.views = {}
        self.plot.clear()
        self._marker_lines = []
        self.title.setText(text)
        self.readout.setText("no episode")

    def set_markers(self, frames) -> None:
        """Review markers (frame numbers) as dotted lines on the plot."""
        for line in self._marker_lines:
            self.plot.removeItem(line)
        self._marker_lines = []
        if not self.episode:
            return
        for f in sorted(frames):
            line = pg.InfiniteLine(f / self.episode.fps, angle=90, pen=pg.mkPen("#f5a623", width=1,
                                                                               style=Qt.PenStyle.DotLine))
            self.plot.addItem(line)
            self._marker_lines.append(line)

    def _plot_rows(self, rows: dict[str, np.ndarray]) -> None:
        self.plot.clear()
        t = rows["time"]
        for name, style in (("observation.state", Qt.PenStyle.SolidLine), ("action", Qt.PenStyle.DashLine)):
            if name not in rows:
                continue
            names = (self.episode.reader.features[name].get("names") or [])
            for j in range(rows[name].shape[1]):
                pen = pg.mkPen(COLOURS[j % len(COLOURS)], width=1.2, style=style)
                label = (names[j] if j < len(names) else f"{j}") if style == Qt.PenStyle.SolidLine else None
                self.plot.plot(t, rows[name][:, j], pen=pen, name=label)
        self.plot.addItem(self.plot_cursor)

    # -- moving the cursor -------------------------------------------------------------------------
    def seek(self, index: int) -> None:
        if not self.episode:
            return
        index = int(np.clip(index, 0, self.length - 1))
        self.cursor = index
        if self.slider.value() != index:
            self.slider.blockSignals(True)
            self.slider.setValue(index)
            self.slider.blockSignals(False)
        self.plot_cursor.setValue(index / self.episode.fps)
        self.readout.setText(f"frame {index + 1} / {self.length}    "
                             f"{index / self.episode.fps:.3f} s / {self.length / self.episode.fps:.3f} s")
        for key in self.views:
            frame = self.episode.cached(key, index)
            if frame is not None:
                self._show(key, (index, frame))
            else:
                self.tasks.run(self.episode.load, key, index, channel=f"frame:{key}",
                               on_done=lambda r, k=key: self._show(k, r), on_error=self._failed)
            self._prefetch(key, index)

    def _prefetch(self, key: str, index: int) -> None:
        running = self._prefetching.get(key)
        if running and not running[0].wait(0) and running[1] <= index < running[2] - AHEAD // 3:
            return                    # the run in progress still covers the cursor: let it go on
        ahead = AHEAD if not self.timer.isActive() else int(AHEAD * max(1.0, self._speed()))
        span = self.episode.missing(key, index - BEHIND, index + ahead)
        if span is not None:
            task = self.tasks.run(self.episode.prefetch, key, *span, channel=f"prefetch:{key}",
                                  on_error=self._failed)
            self._prefetching[key] = (task, *span)

    def _show(self, key: str, result: tuple[int, np.ndarray]) -> None:
        index, frame = result
        view = self.views.get(key)
        if view is None:
            return
        view.set_frame(index, frame)
        self.frame_shown.emit(key, index)

    def _failed(self, exc: BaseException) -> None:
        self.stop()
        self.message.emit(explain(exc, "this episode"))

    def step(self, delta: int) -> None:
        self.stop()
        self.seek(self.cursor + delta)

    # -- playback ----------------------------------------------------------------------------------
    def _speed(self) -> float:
        return SPEEDS[self.speed.currentIndex()]

    def _retime(self) -> None:
        if self.episode:
            self.timer.setInterval(max(1, round(1000 / (self.episode.fps * self._speed()))))

    def toggle_play(self) -> None:
        if self.timer.isActive():
            self.stop()
        elif self.episode:
            if self.cursor >= self.length - 1:
                self.seek(0)
            self._retime()
            self.timer.start()
            self.play_button.setText("Pause")

    def stop(self) -> None:
        self.timer.stop()
        self.play_button.setText("Play")

    def _tick(self) -> None:
        if self.cursor >= self.length - 1:
            self.stop()
        else:
            self.seek(self.cursor + 1)
