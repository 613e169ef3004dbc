"""Journey 7's body, run in its own process by tests/test_journeys_browser.py so that a crash in a
decoder (a segfault) fails that test instead of ending the whole test run.

    python -m tests.journey_browser_run DATASET_A DATASET_B     (prints "ok ..." and exits 0)
"""

from __future__ import annotations

import os
import sys
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def studio_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("studio-task")]


def wait(app, seconds: float, until=lambda: False) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        if until():
            return True
        time.sleep(0.002)
    return until()


def main(a: str, b: str) -> int:
    from PySide6.QtWidgets import QApplication

    from tests.journey_helpers import sim_rig
    from widgets.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    rig = sim_rig()
    window = MainWindow(rig)
    window.show()
    assert wait(app, 10, lambda: bool(window.panels)), "panels not built"
    panel = window.panels["datasets"]
    try:
        for i in range(200):
            root = a if i % 2 == 0 else b
            if i % 4 < 2:
                panel.open_local(root)  # a reader opens on the runner; the old one is closed
            elif panel.reader is not None:
                panel.open_episode(i % len(panel.reader.episodes))  # rows and first frames load
            wait(app, 0.003 if i % 10 else 0.04)
        assert wait(app, 10, lambda: panel.reader is not None and panel.viewer.episode is not None), \
            "no episode shown after the switches"
        submitted = window.tasks.pool.stats["submitted"]
    finally:
        window.close()
        rig.stop()
    assert not window.isVisible() and window.tasks.in_flight() == [], window.tasks.in_flight()
    assert wait(app, 5, lambda: studio_threads() == []), f"threads left: {studio_threads()}"
    print(f"ok submitted={submitted}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
