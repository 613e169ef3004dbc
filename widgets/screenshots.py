"""`python -m widgets.screenshots OUTDIR`: the real window on the simulated rig, saved as PNGs.

Run it under Xvfb for real window decorations and fonts:
    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python -m widgets.screenshots resources/screenshots
Other features add a shot by appending (file name, function(window) -> QWidget to grab) to SHOTS;
the scenes beyond the main window are in widgets/screenshot_scenes.py. `make screenshots` runs it twice,
the second time with --bimanual (bimanual.png).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from widgets import screenshot_scenes as scenes


def _main_window(window) -> QWidget:
    return window


def _about(window) -> QWidget:
    dialog = window.show_about()
    dialog.resize(640, 720)
    return dialog


def _recording(window) -> QWidget:
    """Mid-session: the take just recorded is held during the reset, its health shown."""
    import tempfile

    from PySide6.QtWidgets import QDialog

    from app.recording.config import SessionConfig

    for dialog in window.findChildren(QDialog):  # the About box of the shot before
        dialog.close()
    root = Path(tempfile.mkdtemp()) / "so101_pick_cube"
    window.panels["recording"].open_session(SessionConfig(
        root=root, repo_id="lab/so101_pick_cube", task="pick the red cube and put it in the box", episodes=10,
        episode_time_s=4, reset_time_s=8, vcodec="h264"))
    window.studio.command("start")
    deadline = time.monotonic() + 30  # a loaded machine records slower than the wall clock
    while time.monotonic() < deadline and not (window.studio.state == "reset" and "Episode 1:" in
                                                window.panels["recording"].health_label.text()):
        settle(0.2)
    settle(1.0)
    return window


def _bimanual(window) -> QWidget:
    """The bimanual rig (two SO-101 pairs, bi_so_follower) recording its first take."""
    import tempfile

    from app.recording.config import SessionConfig

    root = Path(tempfile.mkdtemp()) / "bimanual_handover"
    window.panels["recording"].open_session(SessionConfig(
        root=root, repo_id="lab/bimanual_handover", task="hand the cube from the left arm to the right",
        episodes=10, episode_time_s=20, reset_time_s=8, vcodec="h264"))
    window.studio.command("start")
    settle(4.0)
    return window


SHOTS: list[tuple[str, Callable]] = [("main_window.png", _main_window), ("about.png", _about),
                                     ("recording.png", _recording), ("encode_panel.png", scenes.encode_panel),
                                     ("rig_setup.png", scenes.rig_setup),
                                     ("calibration_wizard.png", scenes.calibration_wizard),
                                     ("push_panel.png", scenes.push_panel),
                                     ("browser.png", scenes.browser)]  # last: it fills the window with Datasets


def settle(seconds: float) -> None:
    """Run the event loop for a while (frames arrive, plots fill)."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--wait", type=float, default=3.0, help="seconds of live data before the shots")
    parser.add_argument("--only", help="take only the shot with this file name")
    parser.add_argument("--bimanual", action="store_true", help="the simulated bimanual rig: bimanual.png only")
    args = parser.parse_args(argv)

    import os
    import tempfile

    # a fresh settings file: the shot shows the default layout, not whatever this machine remembers
    os.environ.setdefault("TELEOP_STUDIO_SETTINGS", str(Path(tempfile.mkdtemp()) / "settings.ini"))
    from app.logs import setup_logging
    from app.rig.rig import detect_rig
    from widgets.main_window import MainWindow, app_icon, apply_style

    setup_logging("WARNING")
    app = QApplication.instance() or QApplication(sys.argv)
    app.setWindowIcon(app_icon())
    apply_style(app)
    rig = detect_rig(force_sim=True, bimanual=args.bimanual)
    rig.start()
    try:
        window = MainWindow(rig)
        window.show()
        settle(args.wait)
        deadline = time.monotonic() + 10  # a loaded machine: wait until the picture is representative
        while time.monotonic() < deadline and not (
                window.joint_plot.samples_received >= 60
                and all(v.frames_received > 10 for v in window.camera_grid.views.values())):
            settle(0.2)
        args.outdir.mkdir(parents=True, exist_ok=True)
        for name, target in ([("bimanual.png", _bimanual)] if args.bimanual else SHOTS):
            if args.only and name != args.only:
                continue
            widget = target(window)
            settle(0.3)
            path = args.outdir / name
            screen = widget.screen() or app.primaryScreen()
            if widget.isWindow() and screen is not None and app.platformName() == "xcb":
                pixmap = screen.grabWindow(widget.winId())  # includes what the X server shows
            else:
                pixmap = widget.grab()
            if not pixmap.save(str(path)):
                print(f"could not write {path}", file=sys.stderr)
                return 1
            print(f"{path}  {pixmap.width()}x{pixmap.height()}")
            cleanup = getattr(window, "_screenshot_cleanup", None)
            if cleanup is not None:  # a scene's own dialog, queue or simulated bus
                window._screenshot_cleanup = None
                cleanup()
        window.quit_confirmed = True  # a shot may leave a session open: no quit prompt
        window.close()
    finally:
        rig.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
