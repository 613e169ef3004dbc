"""The main window on the simulated bimanual rig: the joint plot shows both arms side by side (one
legend for the six joints of either arm), the status bar one line per arm, and while a take records,
unplugging the left follower marks that arm only: the right pair stays connected and keeps moving."""

from __future__ import annotations

import time

import numpy as np
import pytest

from app.recording.config import SessionConfig
from app.recording.session import State
from app.rig.sim_bimanual import build_sim_bimanual_rig
from tests.encoding_helpers import X264
from widgets.main_window import MainWindow


@pytest.fixture
def rig():
    rig = build_sim_bimanual_rig(width=64, height=48, servos="thread")
    yield rig
    rig.stop()


def test_bimanual_window_plots_both_arms_and_shows_health_per_arm(qtbot, rig, tmp_path):
    window = MainWindow(rig)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    rig.start()
    plot = window.joint_plot
    assert [side for side, _ in plot.groups] == ["left", "right"]
    assert len(plot.follower_curves) == 12 and len(plot.joint_boxes) == 6
    assert plot.arm_plots[0].titleLabel.text == "left arm" and plot.arm_plots[1].titleLabel.text == "right arm"
    assert plot.follower_curves[5] in plot.gripper_plots[0].items
    assert plot.follower_curves[11] in plot.gripper_plots[1].items
    assert plot.follower_curves[6] in plot.arm_plots[1].items
    qtbot.waitUntil(lambda: plot.redraw_count > 3, timeout=5000)
    y_left, y_right = plot.follower_curves[0].getData()[1], plot.follower_curves[6].getData()[1]
    assert len(y_left) > 3 and not np.allclose(y_left[-3:], y_right[-3:])
    plot.joint_boxes[1].setChecked(False)  # one legend entry hides that joint on both arms
    assert not plot.follower_curves[1].isVisible() and not plot.follower_curves[7].isVisible()
    assert [v.name for v in window.camera_grid.views.values()] == ["left_wrist", "top", "right_wrist"]

    studio = window.studio
    studio.open_session(SessionConfig(root=tmp_path / "ds", repo_id="lab/bimanual", task="hand over",
                                      episodes=1, episode_time_s=30, reset_time_s=1), video=X264)
    studio.command("start")
    qtbot.waitUntil(lambda: studio.state == State.RECORDING, timeout=3000)
    rig.sim_buses["left follower"].unplug()
    right = rig.sim_buses["right follower"]
    p0 = right.pose()

    def status_line() -> str:
        window.status.refresh()
        return window.status.devices_label.text()

    qtbot.waitUntil(lambda: "left follower" in status_line() and "#ef5b5b'>●</span> left follower" in status_line(),
                    timeout=5000)
    text = status_line()
    assert "#5ccf7a'>●</span> right follower <span style='color:#9aa3ad'>connected" in text
    assert "#5ccf7a'>●</span> right leader" in text and "#5ccf7a'>●</span> left leader" in text
    time.sleep(0.5)
    assert studio.state == State.RECORDING  # the take goes on; the right pair is still driven
    assert np.abs(right.pose() - p0).max() > 0.5
    rig.sim_buses["left follower"].replug()
    qtbot.waitUntil(lambda: "#ef5b5b" not in status_line(), timeout=5000)
    studio.command("end")
    studio.shutdown()
    window.quit_confirmed = True  # closing at teardown: no quit prompt
