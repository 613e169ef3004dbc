"""Journey through the Datasets panel: open a dataset, review it from the keyboard (A, R, J, K, N, M),
filter by state and task (the viewer never stays on a hidden episode), run an edit with progress,
cancel another, and check what is on disk."""

from __future__ import annotations

import json
import shutil
import threading

import pytest
from PySide6.QtCore import QSettings, Qt

from app.dataset.reader import DatasetReader
from app.review.state import ACCEPTED, REJECTED, UNREVIEWED, ReviewState
from tests.edit_helpers import check_output, write_studio
from widgets.browser_panel import ALL_STATES, ALL_TASKS, BrowserPanel


@pytest.fixture
def panel(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    p = BrowserPanel(settings)
    qtbot.addWidget(p)
    p.resize(1300, 800)
    p.show()
    yield p
    p.tasks.shutdown()


def viewer_on(panel, episode):
    v = panel.viewer
    return v.episode is not None and v.episode.episode == episode and panel.current == episode


def test_review_filter_and_edit_journey(qtbot, panel, fixtures_dir, tmp_path):
    root = tmp_path / "so101"
    shutil.copytree(fixtures_dir / "lerobot_so101_3ep", root)
    panel.open_local(str(root))
    qtbot.waitUntil(lambda: viewer_on(panel, 0), timeout=10000)
    v = panel.viewer
    assert "Episode 0" in v.title.text() and "pick the red cube" in v.title.text()

    qtbot.keyClick(v, Qt.Key.Key_A)                       # accept episode 0
    qtbot.keyClick(v, Qt.Key.Key_J)                       # next
    qtbot.waitUntil(lambda: viewer_on(panel, 1), timeout=10000)
    assert "place the cube in the bowl" in v.title.text()
    qtbot.keyClick(panel.table, Qt.Key.Key_R)             # keys work from the table as well
    qtbot.keyClick(v, Qt.Key.Key_N)                       # a note
    qtbot.keyClicks(panel.review_bar.text, "gripper slipped")
    qtbot.keyClick(panel.review_bar.text, Qt.Key.Key_Return)
    for _ in range(3):
        qtbot.keyClick(v, Qt.Key.Key_Right)
    qtbot.keyClick(v, Qt.Key.Key_M)                       # a marker at frame 3
    qtbot.keyClicks(panel.review_bar.text, "slip")
    qtbot.keyClick(panel.review_bar.text, Qt.Key.Key_Return)
    qtbot.keyClick(v, Qt.Key.Key_K)                       # back to episode 0
    qtbot.waitUntil(lambda: viewer_on(panel, 0), timeout=10000)

    review = ReviewState.for_reader(DatasetReader(root), root)    # what is on disk, as a restart sees it
    assert [review.state(e) for e in range(3)] == [ACCEPTED, REJECTED, UNREVIEWED]
    assert review.get(1).note == "gripper slipped" and review.get(1).markers == {3: "slip"}
    assert [panel.table.item(r, 4).text() for r in range(3)] == [ACCEPTED, REJECTED, UNREVIEWED]
    assert "1 accepted" in panel.review_bar.counts.text()

    panel.state_filter.setCurrentText(REJECTED)           # the viewer leaves the hidden episode 0
    assert panel.shown_episodes() == [1]
    qtbot.waitUntil(lambda: viewer_on(panel, 1), timeout=10000)
    panel.state_filter.setCurrentText(UNREVIEWED)
    assert panel.shown_episodes() == [2]
    qtbot.waitUntil(lambda: viewer_on(panel, 2), timeout=10000)
    panel.task_filter.setCurrentText("place the cube in the bowl")    # nothing left to show
    assert panel.shown_episodes() == []
    assert panel.viewer.episode is None and "No episode" in panel.viewer.title.text()
    panel.task_filter.setCurrentText(ALL_TASKS)
    panel.state_filter.setCurrentText(ALL_STATES)
    qtbot.waitUntil(lambda: viewer_on(panel, 2), timeout=10000)
    qtbot.keyClick(v, Qt.Key.Key_A)
    panel.state_filter.setCurrentText(ACCEPTED)
    assert panel.shown_episodes() == [0, 2] and panel.current == 2  # still shown: the viewer stays

    # export travels with the dataset (outside .studio), lerobot never reads it
    out = panel.export_review(root / "teleop_studio_review.json")
    assert json.loads(out.read_text())["episodes"]["1"]["state"] == REJECTED

    # delete the rejected episode, with progress, and check the disk
    dialog = panel.open_edit_dialog()
    assert dialog.episodes.text() == "1"
    seen = []
    dialog.runner.progress.connect(lambda d, t, w: seen.append((d, t)))
    dialog.out.setText(str(tmp_path / "curated"))
    dialog.run()
    assert dialog.runner.task.context["label"] == "Dataset edit"    # on a task runner, tracked with the rest
    qtbot.waitUntil(lambda: dialog.results is not None, timeout=20000)
    assert seen[-1] == (2, 2) and dialog.bar.value() == 1
    assert "0 frames re-encoded" in dialog.message.text()
    check_output(tmp_path / "curated", root, {0: 0, 1: 2})
    assert str(tmp_path / "curated") in panel.recent()

    # cancel: the source is untouched and no output is left
    gate = threading.Event()
    opener = dialog.open_sources
    dialog.open_sources = lambda others: (gate.wait(10), opener(others))[1]
    dialog.out.setText(str(tmp_path / "cancelled"))
    dialog.run()
    dialog.cancel()
    gate.set()
    qtbot.waitUntil(lambda: dialog.message.text().startswith("Cancelled"), timeout=20000)
    assert not (tmp_path / "cancelled").exists() and not (tmp_path / "cancelled.partial").exists()
    assert len(DatasetReader(root).episodes) == 3
    dialog.close()


def test_health_column_from_the_sidecar(qtbot, panel, tmp_path):
    root = tmp_path / "studio"
    write_studio(root, lengths=(5, 6), roll=False)
    health = {"frames": 6, "cameras": {"observation.images.front": {"expected": 6, "captured": 4, "late": 0,
                                                                     "dropped": 2}},
              "jitter_p99_ms": 3.25, "warning": "front: 2 of 6 frames dropped"}
    (root / ".studio" / "health.jsonl").write_text(json.dumps({"spool_id": "take-1", "health": health}) + "\n")
    panel.open_local(str(root))
    qtbot.waitUntil(lambda: viewer_on(panel, 0), timeout=10000)
    assert panel.table.item(0, 5).text() == ""
    assert panel.table.item(1, 5).text() == "2 dropped, jitter p99 3.2 ms"
    assert "dropped" in panel.table.item(1, 5).toolTip()


def test_review_layout_gives_the_browser_the_window(qtbot):
    from app.rig.rig import build_sim_rig
    from widgets.main_window import MainWindow

    rig = build_sim_rig(n_cameras=1, width=64, height=48, fps=30)
    try:
        window = MainWindow(rig)
        qtbot.addWidget(window)
        window.resize(1400, 900)
        window.show()
        qtbot.waitUntil(lambda: "datasets" in window.panels, timeout=10000)
        panel = window.panels["datasets"]
        bar = panel.sources.tabBar()                       # both tab titles fit, none elided
        assert panel.sources.elideMode() == Qt.TextElideMode.ElideNone
        assert bar.tabRect(0).width() + bar.tabRect(1).width() <= panel.sources.width()
        panel.review_layout_action.trigger()
        dock = window.docks["datasets"]
        qtbot.waitUntil(lambda: dock.isVisible() and not window.docks["cameras"].isVisible(), timeout=5000)
        assert dock.width() > 0.9 * window.width()
        window.reset_layout()
        assert window.docks["cameras"].isVisible()
    finally:
        rig.stop()
