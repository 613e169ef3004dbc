"""Joint plot: ring buffer, rolling 10 s window, leader dashed vs follower solid, units, pause."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from app.rig.samples import JOINT_NAMES, Tick
from widgets.joint_plot import JointHistory, JointPlot


def ticks(n: int, fps: float = 30.0, t0: float = 100.0, start_seq: int = 0) -> list[Tick]:
    out = []
    for i in range(start_seq, start_seq + n):
        action = np.arange(6, dtype=np.float32) * 10 + i
        out.append(Tick(i, t0 + i / fps, action, action - 1, {}))
    return out


def test_history_keeps_the_latest_samples_in_order():
    h = JointHistory(capacity=100)
    for chunk in range(7):  # 7 x 40 = 280 samples through a 100-sample buffer
        t = np.arange(chunk * 40, chunk * 40 + 40, dtype=float)
        h.extend(t, np.repeat(t[:, None], 6, 1), np.zeros((40, 6)))
    assert len(h) == 100
    t, action, _ = h.window(1e9)
    assert np.array_equal(t, np.arange(180, 280))
    assert np.array_equal(action[:, 3], np.arange(180, 280))
    t, _, _ = h.window(9.5)
    assert np.array_equal(t, np.arange(270, 280))
    h.extend(np.arange(1000, 1300, dtype=float), np.zeros((300, 6)), np.zeros((300, 6)))  # more than fits
    assert np.array_equal(h.window(1e9)[0], np.arange(1200, 1300))


def test_plot_shows_the_last_ten_seconds_per_joint(qtbot):
    plot = JointPlot()
    qtbot.addWidget(plot)
    plot.show()
    plot.add_ticks(ticks(450))  # 15 s at 30 Hz
    plot.redraw()
    assert plot.samples_received == 450 and plot.redraw_count == 1
    for j in range(len(JOINT_NAMES)):
        x, y = plot.follower_curves[j].getData()
        xl, yl = plot.leader_curves[j].getData()
        assert x[-1] == 0 and x[0] >= -10.0 and len(x) == 301  # 10 s inclusive at 30 Hz
        assert y[-1] == j * 10 + 449 - 1 and yl[-1] == j * 10 + 449  # state vs action
        assert np.array_equal(x, xl)


def test_leader_dashed_follower_solid_and_units(qtbot):
    plot = JointPlot()
    qtbot.addWidget(plot)
    for leader, follower in zip(plot.leader_curves, plot.follower_curves):
        assert leader.opts["pen"].style() == Qt.PenStyle.DashLine
        assert follower.opts["pen"].style() == Qt.PenStyle.SolidLine
    gripper = JOINT_NAMES.index("gripper")
    assert plot.follower_curves[gripper] in plot.gripper_plot.items
    assert plot.follower_curves[0] in plot.arm_plot.items
    assert "°" in plot.arm_plot.getAxis("left").labelText
    assert "%" in plot.gripper_plot.getAxis("left").labelText
    assert plot.gripper_plot.viewRange()[1][0] <= 0 and plot.gripper_plot.viewRange()[1][1] >= 100
    assert [b.text() for b in plot.joint_boxes] == list(JOINT_NAMES)  # the legend
    plot.joint_boxes[2].setChecked(False)
    assert not plot.follower_curves[2].isVisible() and not plot.leader_curves[2].isVisible()


def test_pause_freezes_the_plot_and_resume_catches_up(qtbot):
    plot = JointPlot()
    qtbot.addWidget(plot)
    plot.show()
    plot.add_ticks(ticks(30))
    plot.redraw()
    plot.set_paused(True)
    assert plot.pause_button.text() == "Resume"
    plot.add_ticks(ticks(30, start_seq=30))
    plot.redraw()
    assert plot.redraw_count == 1 and len(plot.follower_curves[0].getData()[0]) == 30
    assert plot.samples_received == 60  # still collected while paused
    plot.set_paused(False)
    plot.redraw()
    assert plot.redraw_count == 2 and len(plot.follower_curves[0].getData()[0]) == 60
