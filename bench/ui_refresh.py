"""UI refresh benchmark: the real main window on a simulated rig, offscreen.

3 cameras 640x480 @ 30 fps + 6 joints @ 30 Hz for --seconds (default 20). Prints the camera-view
repaint rate, the GUI thread's CPU time (time.thread_time() read on the GUI thread), the whole
process's CPU, and the time from process start / from main() to the window being shown.
Targets: >= 30 repaints/s per camera view, GUI thread <= 50 % of one core, startup <= 2 s.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui_refresh.py [--seconds 20] [--cameras 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def seconds_since_process_start(proc) -> float:
    """From /proc on Linux (10 ms resolution); psutil's create_time() rounds boot time to 1 s."""
    try:
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.time() - proc.create_time()


def main() -> int:
    t_main = time.monotonic()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--cameras", type=int, default=3)
    parser.add_argument("--fps", type=int, default=30)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("TELEOP_STUDIO_SETTINGS", str(Path(tempfile.mkdtemp()) / "settings.ini"))

    import psutil
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from app.logs import setup_logging
    from app.rig.rig import build_sim_rig
    from widgets.main_window import MainWindow, apply_style

    t_imported = time.monotonic()
    setup_logging("WARNING", Path(tempfile.mkdtemp()))
    proc = psutil.Process()
    app = QApplication.instance() or QApplication(sys.argv)
    apply_style(app)
    from PySide6.QtCore import QEvent, QObject

    class FirstPaint(QObject):  # when the window's pixels first exist: a camera view paints
        at: float | None = None
        process_s: float | None = None

        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and self.at is None:
                self.at, self.process_s = time.monotonic(), seconds_since_process_start(proc)
            return False

    rig = build_sim_rig(n_cameras=args.cameras, width=640, height=480, fps=args.fps)
    t_rig = time.monotonic()
    window = MainWindow(rig)
    t_window = time.monotonic()
    first_paint = FirstPaint()
    next(iter(window.camera_grid.views.values())).installEventFilter(first_paint)
    window.show()
    rig.start()
    ready = {}
    window.panels_loaded.connect(lambda: ready.setdefault("at", time.monotonic()))
    while first_paint.at is None or "at" not in ready:
        app.processEvents()
        time.sleep(0.005)

    def run_for(seconds: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()

    try:
        run_for(2.0)  # warm-up: first paints, plot fills, caches
        views = list(window.camera_grid.views.values())
        paints0 = [v.paint_count for v in views]
        frames0 = [v.frames_received for v in views]
        captured0 = [c.frames_captured for c in rig.cameras.values()]
        redraws0 = window.joint_plot.redraw_count
        ages: list[float] = []
        gui_cpu = {"t0": time.thread_time()}  # read on the GUI thread: this is its own CPU time
        sampler = QTimer()
        sampler.timeout.connect(lambda: ages.extend(v.last_age_ms for v in views))
        sampler.start(100)
        wall0, proc0 = time.monotonic(), time.process_time()
        run_for(args.seconds)
        wall = time.monotonic() - wall0
        gui_cpu_s = time.thread_time() - gui_cpu["t0"]
        proc_cpu_s = time.process_time() - proc0
        sampler.stop()
    finally:
        window.close()
        rig.stop()

    import numpy as np

    paints = [(v.paint_count - p0) / wall for v, p0 in zip(views, paints0)]
    shown_fps = [(v.frames_received - f0) / wall for v, f0 in zip(views, frames0)]
    captured = [(c.frames_captured - c0) / wall for c, c0 in zip(rig.cameras.values(), captured0)]
    redraw_hz = (window.joint_plot.redraw_count - redraws0) / wall
    ages_arr = np.array([a for a in ages if a == a])
    gui_pct = 100 * gui_cpu_s / wall
    print(f"ui_refresh: {args.cameras} cameras 640x480@{args.fps} + 6 joints @{args.fps} Hz, {wall:.1f} s, "
          f"platform {app.platformName()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"  camera captured      : {', '.join(f'{x:.1f}' for x in captured)} frames/s")
    print(f"  camera views repaint : {', '.join(f'{x:.1f}' for x in paints)} /s  (min {min(paints):.1f}, target >= 30)")
    print(f"  frames reaching views: {', '.join(f'{x:.1f}' for x in shown_fps)} /s  "
          f"(ratio to captured {min(s / c for s, c in zip(shown_fps, captured)):.2f})")
    if len(ages_arr):
        print(f"  frame age at paint   : p50 {np.percentile(ages_arr, 50):.1f} ms, "
              f"p95 {np.percentile(ages_arr, 95):.1f} ms")
    print(f"  joint plot redraws   : {redraw_hz:.1f} /s")
    print(f"  GUI thread CPU       : {gui_pct:.1f} % of one core  (target <= 50 %); "
          f"{1000 * gui_cpu_s / max(1, sum(paints) * wall):.2f} ms per camera repaint, all GUI work included")
    print(f"  process CPU (all threads, incl. synthetic cameras): {100 * proc_cpu_s / wall:.1f} % of one core")
    print(f"  startup: window painted {first_paint.at - t_main:.2f} s after main(), "
          f"{first_paint.process_s:.2f} s after process start (target <= 2 s); "
          f"panels ready {ready['at'] - t_main:.2f} s after main()")
    print(f"           imports {t_imported - t_main:.2f} s, rig {t_rig - t_imported:.2f} s, window built "
          f"{t_window - t_rig:.2f} s, shown and painted {first_paint.at - t_window:.2f} s")
    ok = min(paints) >= 30 * 0.97 and gui_pct <= 50 and first_paint.process_s <= 2.0
    print(f"  verdict: {'meets targets' if ok else 'MISSES a target'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
