"""The main window on a running simulated rig (small frames): docks, live data, settings, dialogs."""

from __future__ import annotations

import logging
import sys
import textwrap
import threading

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QPushButton

from app.rig.rig import build_sim_rig
from widgets.context import StudioContext
from widgets.main_window import MainWindow, load_panel
from widgets.settings import open_settings

DOCKS = ["Cameras", "Joints", "Recording", "Encoding queue", "Datasets"]


@pytest.fixture
def rig():
    rig = build_sim_rig(n_cameras=3, width=64, height=48, fps=30)
    yield rig
    rig.stop()


def open_window(qtbot, rig) -> MainWindow:
    window = MainWindow(rig)
    qtbot.addWidget(window, before_close_func=lambda w: w.save_settings())
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: bool(window.panels), timeout=5000)  # panels are built just after the first show
    return window


def test_window_opens_with_its_five_docks(qtbot, rig):
    window = open_window(qtbot, rig)
    assert [d.windowTitle() for d in window.docks.values()] == DOCKS
    assert all(d.isVisible() and d.widget() is not None for d in window.docks.values())
    for key in ("recording", "encoding", "datasets"):
        assert window.panel_states[key] in ("ok", "coming soon"), window.panel_states
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus == ["File", "View", "Rig", "Help"]
    assert window.status.rig_label.text().startswith("Simulated rig")
    view_actions = [a.text() for a in window.view_menu.actions()]
    assert all(title in view_actions for title in DOCKS)  # each dock can be shown/hidden
    assert window.quit_action.shortcut().toString() == "Ctrl+Q"
    assert window.file_menu.actions()[-1] is window.quit_action  # panel entries go above Quit
    window.quit_action.trigger()
    assert not window.isVisible()


def test_frames_reach_every_camera_view_within_a_second(qtbot, rig):
    window = open_window(qtbot, rig)
    rig.start()  # as run_app does: window first, then the devices
    views = list(window.camera_grid.views.values())
    assert [v.name for v in views] == list(rig.cameras)
    qtbot.waitUntil(lambda: all(v.last_index >= 0 and v.paint_count > 0 for v in views), timeout=1000)
    first = [v.last_index for v in views]
    qtbot.waitUntil(lambda: all(v.last_index > f for v, f in zip(views, first)), timeout=1000)  # and keep coming
    qtbot.waitUntil(lambda: all(n in window.status.devices_label.text() for n in rig.cameras), timeout=1500)
    qtbot.waitUntil(lambda: window.status.cpu_label.text().endswith("%"), timeout=2500)


def test_joint_plot_receives_data(qtbot, rig):
    rig.start()
    window = open_window(qtbot, rig)  # started before the window: the bridge must still deliver
    plot = window.joint_plot
    qtbot.waitUntil(lambda: plot.samples_received >= 10 and plot.redraw_count >= 1, timeout=5000)
    x, y = plot.follower_curves[0].getData()
    assert len(x) >= 1 and x[-1] == 0.0


def default_height(qtbot, rig, tmp_path) -> int:
    probe = MainWindow(rig, settings=QSettings(str(tmp_path / "probe.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(probe)
    return probe.height()


def test_settings_persist_across_two_windows(qtbot, rig, tmp_path):
    first = open_window(qtbot, rig)
    # the offscreen screen is 800x800 and restoreGeometry() fits windows to the screen: stay inside
    assert first.minimumSizeHint().width() <= 760, "the window no longer fits a small screen"
    first.resize(760, 700)
    first.move(21, 33)
    qtbot.wait(10)
    size, pos = first.size(), first.pos()
    assert size.height() != default_height(qtbot, rig, tmp_path)
    first.docks["datasets"].hide()
    first.overlay_action.setChecked(False)
    first.close()  # saves geometry, dock layout and the overlay choice
    qtbot.wait(10)

    second = open_window(qtbot, rig)
    assert (second.size(), second.pos()) == (size, pos)
    assert not second.docks["datasets"].isVisible()
    assert second.docks["cameras"].isVisible()
    assert not second.overlay_action.isChecked()
    assert not any(v.show_overlay for v in second.camera_grid.views.values())
    assert open_settings().value("cameras/overlay") in (False, "false")

    second.reset_layout()
    assert all(d.isVisible() for d in second.docks.values())


def test_about_lists_versions_and_encoders(qtbot, rig):
    window = open_window(qtbot, rig)
    dialog = window.show_about()
    qtbot.waitExposed(dialog)
    text = dialog.text()
    for needle in ("Python", "PySide6", "PyAV", "FFmpeg", "numpy", "pyarrow", "libsvtav1", "libdav1d"):
        assert needle in text, needle
    dialog.close()


@pytest.mark.qt_no_exception_capture
def test_uncaught_exception_shows_a_dialog_instead_of_exiting(qtbot, rig, caplog):
    from widgets.error_dialog import ExceptionReporter

    window = open_window(qtbot, rig)
    reporter = ExceptionReporter(window, log_path="/tmp/teleop-studio.log").install()
    try:
        button = QPushButton("break", window)

        def broken_slot():
            raise RuntimeError("boom from a slot")

        button.clicked.connect(broken_slot)
        with caplog.at_level(logging.ERROR):
            button.click()
            qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible(), timeout=2000)
        dialog = reporter.dialog
        assert "boom from a slot" in dialog.summary.text()
        assert "broken_slot" in dialog.details.toPlainText()  # the traceback is there to copy
        assert any("uncaught exception" in r.getMessage() for r in caplog.records)

        # an error on a device thread lands in the same dialog, not a second one
        worker = threading.Thread(target=lambda: 1 / 0, name="camera-test")
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: dialog.repeats == 1, timeout=2000)
        assert "ZeroDivisionError" in dialog.repeat_label.text()
        dialog.close()
        qtbot.waitUntil(lambda: reporter.dialog is None, timeout=1000)
        assert window.isVisible() and QApplication.instance() is not None
    finally:
        reporter.uninstall()
    assert sys.excepthook is not reporter._hook


def test_missing_or_failing_panel_modules_show_placeholders(qtbot, rig, tmp_path, monkeypatch):
    (tmp_path / "studio_panel_that_fails.py").write_text(textwrap.dedent("""
        def create_panel(ctx):
            raise ValueError("no dataset folder configured")
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    ctx = StudioContext(rig=rig, bridge=None, settings=open_settings())
    widget, state = load_panel("studio_panel_that_does_not_exist", "Datasets", ctx)
    assert state == "coming soon" and "Coming soon" in widget.text()
    widget, state = load_panel("studio_panel_that_fails", "Recording", ctx)
    assert state == "error" and "no dataset folder configured" in widget.text()
