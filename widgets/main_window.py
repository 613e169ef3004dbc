"""The studio window: camera and joint docks, the panels of later features, menus and status bar.

Panels come from optional modules (widgets/recording_panel.py, encode_panel.py, browser_panel.py),
each exposing create_panel(ctx) -> QWidget. A module not written yet shows "coming soon"; one that
fails to build shows its error in place of the panel, so the rest of the window still works.
"""

from __future__ import annotations

import importlib
import logging
import math
import os
import signal
import sys
import time
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QWidget,
)

from app.qtbridge import RigBridge
from app.rig.rig import Rig
from widgets.camera_view import CameraGrid, best_columns
from widgets.context import StudioContext, StudioEvents
from widgets.joint_plot import FEATURE_NAMES, JointPlot
from widgets.settings import open_settings, read_bool
from widgets.status_bar import RigStatusBar

log = logging.getLogger(__name__)
STATE_VERSION = 1  # bump when dock object names change, so an old saved layout is ignored

# dock key, title, module, default area
PANELS = (
    ("recording", "Recording", "widgets.recording_panel", Qt.DockWidgetArea.RightDockWidgetArea),
    ("encoding", "Encoding queue", "widgets.encode_panel", Qt.DockWidgetArea.RightDockWidgetArea),
    ("datasets", "Datasets", "widgets.browser_panel", Qt.DockWidgetArea.RightDockWidgetArea),
)


def placeholder(title: str, text: str, state: str) -> QLabel:
    label = QLabel(f"<h3>{title}</h3><p>{text}</p>")
    label.setObjectName("Placeholder")
    label.setProperty("state", state)  # "coming-soon" | "error": the style sheet colours them
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def load_panel(module_name: str, title: str, ctx: StudioContext) -> tuple[QWidget, str]:
    """The panel a module builds, or a placeholder; also returns "ok", "coming soon" or "error"."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return placeholder(title, "Coming soon.", "coming-soon"), "coming soon"
        log.exception("panel %s could not be imported", module_name)
        return placeholder(title, f"This panel could not load: {exc}", "error"), "error"
    except Exception as exc:
        log.exception("panel %s could not be imported", module_name)
        return placeholder(title, f"This panel could not load: {type(exc).__name__}: {exc}", "error"), "error"
    try:
        widget = module.create_panel(ctx)
        if not isinstance(widget, QWidget):
            raise TypeError(f"create_panel returned {type(widget).__name__}, not a QWidget")
        return widget, "ok"
    except Exception as exc:
        log.exception("panel %s failed to build", module_name)
        return placeholder(title, f"This panel failed to start: {type(exc).__name__}: {exc}<br>"
                                  "Details are in the log.", "error"), "error"


def scrolling(panel: QWidget) -> QScrollArea:
    """A panel scrolls when its dock is smaller than the panel's minimum size, instead of making
    the whole window that wide (the studio must fit a 1366x768 laptop screen)."""
    area = QScrollArea()
    area.setObjectName("PanelScroll")
    area.setWidget(panel)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    return area


class MainWindow(QMainWindow):
    panels_loaded = Signal()
    def __init__(self, rig: Rig, settings: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("MainWindow")
        self.rig = rig
        self.settings = settings if settings is not None else open_settings()
        self.camera_grid = CameraGrid(list(rig.cameras))
        self.joint_plot = JointPlot(feature_names=getattr(rig, "feature_names", FEATURE_NAMES))
        self.bridge = RigBridge(rig, self)
        self.bridge.frames_ready.connect(self._on_frames)
        self.bridge.ticks_ready.connect(self._on_ticks)
        # A running rig may have signalled before the connections above existed; the bridge then
        # waits for a take that would never come. Take once to start the flow.
        QTimer.singleShot(0, self._on_frames)
        QTimer.singleShot(0, self._on_ticks)
        from app.known_datasets import FILE_NAME, KnownDatasets
        from app.studio import Studio
        from widgets.tasks import TaskRunner

        # the model: datasets, session, batches, close policy; known datasets beside the settings file
        self.studio = Studio(rig, known=KnownDatasets(Path(self.settings.fileName()).with_name(FILE_NAME)))
        self.events = StudioEvents(self.studio, self)
        self.tasks = TaskRunner(parent=self)  # every background job of the window goes through it
        self.launch_config = None  # the lab launcher's session, opened once the panels are built
        self.quit_confirmed = False
        self.ctx = StudioContext(rig=rig, bridge=self.bridge, settings=self.settings, window=self,
                                 studio=self.studio, events=self.events, tasks=self.tasks)
        self.setWindowTitle(f"Teleop Studio — {rig.name}")
        self.setDockNestingEnabled(True)
        central = QWidget()  # the docks fill the window; Qt wants a central widget all the same
        central.setMaximumSize(0, 0)
        self.setCentralWidget(central)

        # menus and status bar exist before the panels, so panels can add actions and messages
        bar = self.menuBar()
        self.file_menu, self.view_menu, self.help_menu = (bar.addMenu(t) for t in ("&File", "&View", "&Help"))
        self.status = RigStatusBar(rig, self, events=self.events)
        self.setStatusBar(self.status)
        self._closed = False
        self.docks: dict[str, QDockWidget] = {}
        self.panels: dict[str, QWidget] = {}
        self.panel_states: dict[str, str] = {}
        self._add_dock("cameras", "Cameras", self.camera_grid, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._add_dock("joints", "Joints", self.joint_plot, Qt.DockWidgetArea.LeftDockWidgetArea)
        for key, title, module, area in PANELS:
            self.panel_states[key] = "loading"
            self._add_dock(key, title, placeholder(title, "Loading…", "loading"), area)
        self._arrange_default()
        # Panels import the recording, encoding and dataset stacks (~0.7 s): build them once the
        # window has painted for the first time (see event()), so the cameras appear without
        # waiting for them; the timer covers a window that is never shown.
        QTimer.singleShot(1500, self.load_panels)
        self._fill_menus()

        self.bridge.status_changed.connect(self.status.refresh)
        self._status_timer = QTimer(self)
        self._status_timer.timeout.connect(self._every_second)
        self._status_timer.start(1000)
        self._default_state = self.saveState(STATE_VERSION)
        self._restore_settings()

    def load_panels(self) -> None:
        if self.panels or self._closed:
            return
        started = time.monotonic()
        for key, title, module, _area in PANELS:
            widget, state = load_panel(module, title, self.ctx)
            self.panels[key], self.panel_states[key] = widget, state
            self.docks[key].setWidget(scrolling(widget))
        try:  # File > Push to Hub… and the end-of-session push prompt (widgets/push_panel.py)
            from widgets.push_panel import install as install_push

            install_push(self, self.file_menu, before=self.quit_separator)
        except Exception:
            log.exception("the Push to Hub action could not be added")
        try:  # Rig > setup, calibration wizard, jogging the simulated leader (widgets/rig_setup.py)
            from widgets.rig_setup import install_rig_menu

            install_rig_menu(self)
        except Exception:
            log.exception("the Rig menu could not be added")
        if self._default_layout and self.isVisible():  # resize the docks for the panels' widths
            self._size_docks()
        self._after_panels()
        log.info("panels ready in %.2f s: %s", time.monotonic() - started,
                 ", ".join(f"{k} {v}" for k, v in self.panel_states.items()))
        self.panels_loaded.emit()

    def _after_panels(self) -> None:
        """The lab launcher's session (ready to Start), else the offer of takes an earlier run left."""
        from widgets import studio_dialogs

        panel = self.panels.get("recording")
        if self.launch_config is not None and hasattr(panel, "open_session"):
            self.docks["recording"].raise_()
            panel.open_session(self.launch_config)
        QTimer.singleShot(0, lambda: None if self._closed else studio_dialogs.offer_leftovers(self))

    # -- layout -----------------------------------------------------------------------------------
    def _add_dock(self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")  # saveState/restoreState find docks by object name
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        self.docks[key] = dock
        return dock

    def _arrange_default(self) -> None:
        d = self.docks
        self.splitDockWidget(d["cameras"], d["joints"], Qt.Orientation.Vertical)
        self.splitDockWidget(d["recording"], d["encoding"], Qt.Orientation.Vertical)
        self.tabifyDockWidget(d["encoding"], d["datasets"])
        d["encoding"].raise_()

    def _size_docks(self) -> None:
        """Default sizes: the panels on the right get the width they need (within reason), the
        cameras the rest and the height their tiles need; the joint plot what is left below."""
        d = self.docks
        width, height = max(800, self.width()), max(600, self.height())
        needed = max([p.minimumSizeHint().width() for p in self.panels.values()] + [0])
        right = int(min(max(width * 0.28, needed + 16), width * 0.42))
        cam_w = width - right
        n = max(1, len(self.camera_grid.views))
        cols = best_columns(n, cam_w, height * 0.6)
        cam_h = min(int(height * 0.62), int(math.ceil(n / cols) * cam_w / cols * 3 / 4) + 40)
        self.resizeDocks([d["cameras"], d["recording"]], [cam_w, right], Qt.Orientation.Horizontal)
        self.resizeDocks([d["cameras"], d["joints"]], [cam_h, height - cam_h], Qt.Orientation.Vertical)
        # the session controls, with a take's health and warning lines, fit without scrolling
        rec = self.panels.get("recording")
        rec_h = min(max(int(height * 0.56), rec.sizeHint().height() + 40 if rec is not None else 0), int(height * 0.7))
        self.resizeDocks([d["recording"], d["encoding"]], [rec_h, height - rec_h], Qt.Orientation.Vertical)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.Paint and not self.panels:
            QTimer.singleShot(0, self.load_panels)
        return super().event(event)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._default_layout and not self._shown_once:  # no remembered layout: size the docks
            QTimer.singleShot(0, self._size_docks)
        self._shown_once = True

    def reset_layout(self) -> None:
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        self.restoreState(self._default_state, STATE_VERSION)
        self._size_docks()

    def _fill_menus(self) -> None:
        file_menu = self.file_menu
        # panels put their File entries above Quit: file_menu.insertAction(window.quit_action, ...)
        self.quit_separator = file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action = quit_action
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        view = self.view_menu
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        self.overlay_action = QAction("Camera &overlays", self, checkable=True, checked=True)
        self.overlay_action.setToolTip("Show camera name, fps and frame age on the pictures")
        self.overlay_action.toggled.connect(self.set_camera_overlays)
        view.addAction(self.overlay_action)
        pause = QAction("&Pause joint plot", self, checkable=True)
        pause.setShortcut(QKeySequence("Ctrl+P"))
        pause.toggled.connect(self.joint_plot.set_paused)
        self.joint_plot.pause_button.toggled.connect(pause.setChecked)
        view.addAction(pause)
        view.addSeparator()
        reset = QAction("&Reset layout", self)
        reset.triggered.connect(self.reset_layout)
        view.addAction(reset)

        help_menu = self.help_menu
        about = QAction("&About Teleop Studio", self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)
        keys = QAction("&Keyboard shortcuts", self)
        keys.setShortcut(QKeySequence("F1"))
        keys.triggered.connect(self.show_shortcuts)
        help_menu.addAction(keys)
        logs = QAction("Open &log folder", self)
        logs.triggered.connect(self._open_log_folder)
        help_menu.addAction(logs)

    # -- data from the rig ------------------------------------------------------------------------
    def _on_frames(self) -> None:
        self.camera_grid.set_frames(self.bridge.take_frames())

    def _on_ticks(self) -> None:
        self.joint_plot.add_ticks(self.bridge.take_ticks())

    def _every_second(self) -> None:
        self.status.refresh()
        self.camera_grid.refresh_stale()

    # -- actions ----------------------------------------------------------------------------------
    def set_camera_overlays(self, visible: bool) -> None:
        self.camera_grid.set_overlay_visible(visible)
        if self.overlay_action.isChecked() != visible:
            self.overlay_action.setChecked(visible)
        self.settings.setValue("cameras/overlay", visible)

    def show_about(self):
        from widgets.about_dialog import AboutDialog

        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def show_shortcuts(self):
        from widgets.studio_dialogs import show_shortcuts

        return show_shortcuts(self)

    def _open_log_folder(self) -> None:
        from app.paths import log_dir

        QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_dir())))

    # -- persistence ------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            screen = QApplication.primaryScreen()
            avail = screen.availableGeometry() if screen else None
            w = min(1500, int(avail.width() * 0.92)) if avail else 1400
            h = min(940, int(avail.height() * 0.92)) if avail else 880
            self.resize(w, h)
        state = s.value("window/state")
        self._default_layout, self._shown_once = True, False
        if isinstance(state, QByteArray) and not state.isEmpty():
            if self.restoreState(state, STATE_VERSION):
                self._default_layout = False
            else:
                log.info("saved dock layout is from another version: using the default")
        self.set_camera_overlays(read_bool(s, "cameras/overlay", True))

    def save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(STATE_VERSION))
        self.settings.sync()

    def closeEvent(self, event) -> None:
        """Asks first when a take is being recorded or takes wait to be encoded (three answers,
        app/close_policy.py); then every dialog, background task, worker and dataset is closed."""
        from app.close_policy import CANCEL, FINISH
        from widgets import studio_dialogs

        if not self.quit_confirmed and not self._closed:
            answer = studio_dialogs.ask_quit(self)
            if answer in (CANCEL, FINISH):
                event.ignore()
                if answer == FINISH:
                    studio_dialogs.finish_then_quit(self)
                return
        self.quit_confirmed = True
        self.save_settings()
        for dialog in self.findChildren(QDialog):  # no dialog outlives the main window
            dialog.close()
        for panel in self.panels.values():
            shutdown = getattr(panel, "shutdown", None)
            if callable(shutdown):
                try:
                    shutdown()
                except Exception:
                    log.exception("panel shutdown failed")
        self._closed = True
        self._status_timer.stop()
        self.tasks.shutdown(5.0)
        self.events.detach()
        self.studio.shutdown()  # a take is stopped and kept; what is not encoded waits for the next launch
        self.bridge.detach()
        super().closeEvent(event)


# -- application ----------------------------------------------------------------------------------
def app_icon() -> QIcon:
    return QIcon(str(resources.files("resources") / "icons" / "teleop-studio.svg"))


def apply_style(app: QApplication) -> None:
    app.setStyle("Fusion")
    try:
        app.setStyleSheet((resources.files("resources") / "styles" / "studio.qss").read_text("utf-8"))
    except OSError as exc:
        log.warning("style sheet not found (%s): using the plain style", exc)


def _log_file() -> str | None:
    for handler in logging.getLogger().handlers:
        if hasattr(handler, "baseFilename"):
            return handler.baseFilename
    return None


def run_app(sim: bool, session=None, bimanual: bool = False) -> int:
    """The window; `session` (a SessionConfig from the lab launcher flags) opens ready to Start."""
    from app.rig.rig import detect_rig
    from widgets.error_dialog import ExceptionReporter

    started = time.monotonic()
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Teleop Studio")
    app.setOrganizationName("TeleopStudio")
    app.setDesktopFileName("teleop-studio")
    app.setWindowIcon(app_icon())
    apply_style(app)
    reporter = ExceptionReporter(log_path=_log_file()).install()
    # Ctrl+C in the terminal or a polite kill: close the window normally (rig stopped, layout saved)
    def close_politely(*_):
        windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        for w in windows:  # no prompt: the take is stopped and kept, the rest waits for the next launch
            w.quit_confirmed = True
            w.close()
        if not windows:
            app.quit()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, close_politely)
    wake = QTimer()
    wake.timeout.connect(lambda: None)  # lets Python run its signal handlers during the Qt loop
    wake.start(250)

    rig = None
    try:
        rig = detect_rig(force_sim=sim, bimanual=bimanual)
        window = MainWindow(rig)
        window.launch_config = session
        reporter.parent_window = window
        window.show()
        rig.start()
    except Exception as exc:
        log.exception("the studio could not start")
        QMessageBox.critical(None, "Teleop Studio", f"The studio could not start:\n{type(exc).__name__}: {exc}\n\n"
                             f"Details are in the log: {_log_file()}\n"
                             "Without hardware, try:  teleop-studio --sim")
        if rig is not None:
            rig.stop()
        reporter.uninstall()
        return 1
    log.info("window shown %.2f s after start (%s rig)", time.monotonic() - started,
             "simulated" if rig.simulated else "hardware")
    if os.environ.get("TELEOP_STUDIO_EXIT_AFTER_SHOWN"):  # start-up probe for packaging/package_test.sh
        QTimer.singleShot(0, lambda: (print(f"startup-probe: window shown {time.monotonic() - started:.3f} s after "
                                            f"run_app, epoch {time.time():.3f}", flush=True), app.quit()))
    try:
        return app.exec()
    finally:
        rig.stop()
        reporter.uninstall()
        log.info("studio closed")
