"""Live joint plot: leader (action, dashed) against follower (state, solid) over the last 10 s.

Ticks are appended to ring buffers as they arrive; the curves are redrawn by a timer at display
rate, so plotting costs the same whether the rig runs at 30 Hz or 200 Hz.
"""

from __future__ import annotations

import time
from typing import Iterable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.rig.bimanual import arm_groups
from app.rig.samples import FEATURE_NAMES, JOINT_NAMES, Tick

WINDOW_S = 10.0
COLOURS = ("#4e9bf5", "#f5a623", "#50c878", "#e05d75", "#b58cf0", "#e8d44d")
BACKGROUND = "#14161a"


class JointHistory:
    """The recent samples in contiguous arrays (appends are amortised O(1), views never copy)."""

    def __init__(self, capacity: int = 4096, joints: int = 6):
        self.capacity = capacity
        self._t = np.zeros(2 * capacity)
        self._action = np.zeros((2 * capacity, joints), np.float32)
        self._state = np.zeros((2 * capacity, joints), np.float32)
        self._start = self._end = 0

    def __len__(self) -> int:
        return self._end - self._start

    def extend(self, t: np.ndarray, action: np.ndarray, state: np.ndarray) -> None:
        n = len(t)
        if n > self.capacity:
            t, action, state, n = t[-self.capacity:], action[-self.capacity:], state[-self.capacity:], self.capacity
        if self._end + n > 2 * self.capacity:  # slide the kept part back to the front
            keep = min(len(self), self.capacity - n)
            src = slice(self._end - keep, self._end)
            for arr in (self._t, self._action, self._state):
                arr[:keep] = arr[src]
            self._start, self._end = 0, keep
        sl = slice(self._end, self._end + n)
        self._t[sl], self._action[sl], self._state[sl] = t, action, state
        self._end += n
        if len(self) > self.capacity:
            self._start = self._end - self.capacity

    def window(self, seconds: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t = self._t[self._start:self._end]
        if len(t) == 0:
            return t, self._action[:0], self._state[:0]
        first = self._start + int(np.searchsorted(t, t[-1] - seconds))
        sl = slice(first, self._end)
        return self._t[sl], self._action[sl], self._state[sl]


class JointPlot(QWidget):
    def __init__(self, parent: QWidget | None = None, window_s: float = WINDOW_S, refresh_hz: float = 30.0,
                 feature_names=FEATURE_NAMES):
        """feature_names: the rig's joints (a bimanual rig's twelve are plotted per arm, side by side)."""
        super().__init__(parent)
        self.setObjectName("JointPlot")
        self.window_s = window_s
        self.feature_names = tuple(feature_names)
        n_joints = len(self.feature_names)
        self.history = JointHistory(joints=n_joints)
        self.samples_received = 0
        self.redraw_count = 0
        self._dirty = False
        self._min_interval = 0.8 / refresh_hz
        self._last_redraw = 0.0

        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Freeze the plot; samples keep being collected")
        self.pause_button.toggled.connect(self._on_pause)
        self.readout = QLabel("no samples yet")
        self.readout.setObjectName("PlotReadout")
        # the legend: one check box per joint in its curve's colour (unchecking hides the joint).
        # The header sits in a frameless scroll area so that, when the dock is narrow, it is clipped
        # on the right (the readout gives way first) instead of forcing the window to be wide.
        header = QWidget()
        header.setObjectName("PlotHeader")
        top = QHBoxLayout(header)
        top.setContentsMargins(6, 2, 6, 0)
        top.setSpacing(10)
        top.addWidget(self.pause_button)
        self.joint_boxes: list[QCheckBox] = []
        for i, name in enumerate(JOINT_NAMES):
            box = QCheckBox(name)
            box.setChecked(True)
            c = COLOURS[i]
            box.setStyleSheet(f"QCheckBox {{ color: {c}; background: transparent; }}"
                              f"QCheckBox::indicator {{ width: 10px; height: 10px; border: 1px solid {c};"
                              f" border-radius: 2px; background: transparent; }}"
                              f"QCheckBox::indicator:checked {{ background: {c}; }}")
            box.setToolTip(f"show or hide {name}" + (" (both arms)" if n_joints > 6 else ""))
            box.toggled.connect(lambda on, j=i: self._set_joint_visible(j, on))
            self.joint_boxes.append(box)
            top.addWidget(box)
        key = QLabel("━━ follower   ╍╍ leader")  # short: whole in the default Joints dock (tooltip says more)
        key.setObjectName("PlotReadout")
        key.setToolTip("Follower: measured positions, saved as observation.state.\n"
                       "Leader: commanded positions, saved as action.")
        self.readout.setMinimumWidth(1)  # gives way first when the dock is narrow
        self.readout.setToolTip("Sample rate, and the largest leader–follower gap over the five arm joints")
        top.addSpacing(8)
        top.addWidget(key)
        top.addStretch(1)
        top.addWidget(self.readout)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(BACKGROUND)
        self.groups = arm_groups(self.feature_names)  # [("", all)] or [("left", ...), ("right", ...)]
        self.arm_plots: list[pg.PlotItem] = []
        self.gripper_plots: list[pg.PlotItem] = []
        group_of = {}
        for col, (side, joints) in enumerate(self.groups):
            arm_plot = self.graphics.addPlot(row=0, col=col)
            gripper_plot = self.graphics.addPlot(row=1, col=col)
            self._style_plot(arm_plot, "joints", "°")
            self._style_plot(gripper_plot, "gripper", "%")
            if side:
                arm_plot.setTitle(f"{side} arm", color="#c8ccd2", size="9pt")
            gripper_plot.setYRange(0, 100, padding=0.05)
            gripper_plot.enableAutoRange(y=False)
            gripper_plot.setXLink(arm_plot)
            gripper_plot.setLabel("bottom", "time", units="s")
            arm_plot.getAxis("bottom").setStyle(showValues=False)
            arm_plot.addItem(pg.InfiniteLine(0, angle=0, pen=pg.mkPen("#3a4049", width=1)))  # 0° reference
            self.arm_plots.append(arm_plot)
            self.gripper_plots.append(gripper_plot)
            group_of.update({j: col for j in joints})
        self.arm_plot, self.gripper_plot = self.arm_plots[0], self.gripper_plots[0]
        self.graphics.ci.layout.setRowStretchFactor(0, 5)
        self.graphics.ci.layout.setRowStretchFactor(1, 2)

        self.follower_curves: list[pg.PlotCurveItem] = []
        self.leader_curves: list[pg.PlotCurveItem] = []
        for i in range(n_joints):
            name = JOINT_NAMES[i % len(JOINT_NAMES)]
            col = group_of[i]
            plot = self.gripper_plots[col] if name == "gripper" else self.arm_plots[col]
            colour = COLOURS[i % len(COLOURS)]
            # PlotCurveItem rather than PlotDataItem: a fifth of the cost per setData; thin dashes
            # for the leader keep the Qt raster stroker cheap
            follower = pg.PlotCurveItem(pen=pg.mkPen(colour, width=2), skipFiniteCheck=True)
            leader = pg.PlotCurveItem(pen=pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine),
                                      skipFiniteCheck=True)
            plot.addItem(leader)
            plot.addItem(follower)
            self.follower_curves.append(follower)
            self.leader_curves.append(leader)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        clip = QScrollArea()
        clip.setWidget(header)
        clip.setWidgetResizable(True)
        clip.setFrameShape(QFrame.Shape.NoFrame)
        clip.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        clip.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        clip.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        clip.setFixedHeight(header.sizeHint().height())
        layout.addWidget(clip)
        layout.addWidget(self.graphics, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(int(1000 / refresh_hz))
        self._timer.timeout.connect(self.redraw)
        self._timer.start()

    def _style_plot(self, plot: pg.PlotItem, label: str, unit: str) -> None:
        # no grid: pyqtgraph draws it as a full-size QPicture on every repaint, which cost more
        # GUI time (~7 ms a frame) than all the curves together
        plot.setLabel("left", f"{label} ({unit})")
        plot.setXRange(-self.window_s, 0, padding=0)
        plot.enableAutoRange(x=False)
        plot.setMouseEnabled(x=False, y=True)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.getAxis("left").setWidth(56)

    # -- data -------------------------------------------------------------------------------------
    @property
    def paused(self) -> bool:
        return self.pause_button.isChecked()

    def set_paused(self, paused: bool) -> None:
        self.pause_button.setChecked(paused)

    def add_ticks(self, ticks: Iterable[Tick]) -> None:
        ticks = list(ticks)
        if not ticks:
            return
        t = np.fromiter((tk.t for tk in ticks), float, len(ticks))
        action = np.stack([tk.action for tk in ticks])
        state = np.stack([tk.state for tk in ticks])
        self.history.extend(t, action, state)
        self.samples_received += len(ticks)
        self._dirty = True
        # Redraw now, right after the teleop cycle that made these samples, rather than on a timer of
        # its own phase: the GUI holds the interpreter lock while it paints, and a paint that lands on
        # the moment the teleop loop wakes delays that cycle (bench/teleop_loop.py).
        if time.monotonic() - self._last_redraw >= self._min_interval:
            self.redraw()

    def _set_joint_visible(self, joint: int, visible: bool) -> None:
        for j in range(joint, len(self.follower_curves), len(JOINT_NAMES)):  # the joint on every arm
            self.follower_curves[j].setVisible(visible)
            self.leader_curves[j].setVisible(visible)

    def _on_pause(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        if not paused:
            self._dirty = True

    def redraw(self) -> None:
        if not self._dirty or self.paused or not self.isVisible():
            return
        self._dirty = False
        self._last_redraw = time.monotonic()
        t, action, state = self.history.window(self.window_s)
        x = t - t[-1]
        for j, (follower, leader) in enumerate(zip(self.follower_curves, self.leader_curves)):
            follower.setData(x, state[:, j])
            leader.setData(x, action[:, j])
        self.redraw_count += 1
        arm_joints = [j for j in range(action.shape[1]) if j % len(JOINT_NAMES) != 5]  # the gripper is in %
        gap = np.abs(action[-1, arm_joints] - state[-1, arm_joints]).max()
        rate = (len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 and t[-1] > t[0] else 0.0
        self.readout.setText(f"{rate:.0f} Hz · gap {gap:.1f}°")
