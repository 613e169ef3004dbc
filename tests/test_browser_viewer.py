"""Browser panel and episode viewer on a remote fixture served by the Hub stand-in (offscreen Qt)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt

from app.dataset.reader import DatasetReader
from app.hub.range_cache import RangeCache
from tests.hub_fixtures import hub  # noqa: F401
from widgets.browser_panel import ENDPOINT_KEY, BrowserPanel

FRONT, WRIST = "observation.images.front", "observation.images.wrist"


@pytest.fixture
def panel(qtbot, hub, tmp_path):  # noqa: F811
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    settings.setValue(ENDPOINT_KEY, hub.endpoint)
    p = BrowserPanel(settings)
    p.cache = RangeCache(tmp_path / "cache", block_size=16 * 1024)
    qtbot.addWidget(p)
    p.resize(1200, 800)
    yield p
    p.tasks.shutdown()


def open_remote(qtbot, panel, repo="fixtures/so101_3ep"):
    panel.open_hub(repo, "v3.0")
    qtbot.waitUntil(lambda: not panel.status.text().startswith("Opening"), timeout=10000)


def shown(panel):
    return {k: v.index for k, v in panel.viewer.views.items()}


def test_remote_episode_list_filter_and_fast_scrub(qtbot, panel, hub, fixtures_dir):  # noqa: F811
    hub.latency = 0.02
    open_remote(qtbot, panel)
    assert panel.shown_episodes() == [0, 1, 2]
    assert [panel.table.item(r, 3).text() for r in range(3)] == ["2.0", "1.5", "2.5"]
    panel.task_filter.setCurrentText("place the cube in the bowl")
    assert panel.shown_episodes() == [1]
    panel.task_filter.setCurrentText("All tasks")
    panel.table.selectRow(2)
    viewer = panel.viewer
    qtbot.waitUntil(lambda: viewer.episode is not None and viewer.episode.episode == 2, timeout=10000)
    pool = panel.tasks.pool.stats
    before = dict(pool)
    for i in range(75):                       # a fast drag of the timeline, no event loop in between
        viewer.slider.setValue(i)
    qtbot.waitUntil(lambda: shown(panel) == {FRONT: 74, WRIST: 74}, timeout=10000)
    stale = (pool["skipped"] + pool["dropped"]) - (before["skipped"] + before["dropped"])
    assert stale > 0                          # superseded requests never ran or were dropped
    assert pool["ran"] - before["ran"] < pool["submitted"] - before["submitted"]
    assert viewer.readout.text().startswith("frame 75 / 75")
    local = DatasetReader(fixtures_dir / "lerobot_so101_3ep")
    img = viewer.views[FRONT].image
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())[:, :img.width() * 3]
    assert np.array_equal(arr.reshape(img.height(), img.width(), 3), local.frame(2, FRONT, 74))


def test_keys_and_playback(qtbot, panel):
    open_remote(qtbot, panel)
    viewer = panel.viewer
    qtbot.waitUntil(lambda: shown(panel) == {FRONT: 0, WRIST: 0}, timeout=10000)
    viewer.setFocus()
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert viewer.cursor == 2
    qtbot.keyClick(viewer, Qt.Key.Key_End)
    assert viewer.cursor == 59 and "1.967 s / 2.000 s" in viewer.readout.text()
    qtbot.keyClick(viewer, Qt.Key.Key_Home)
    assert viewer.cursor == 0
    viewer.speed.setCurrentText("4x")
    viewer.toggle_play()
    assert viewer.timer.isActive() and viewer.timer.interval() == 8
    qtbot.waitUntil(lambda: not viewer.timer.isActive(), timeout=10000)
    assert viewer.cursor == 59
    qtbot.waitUntil(lambda: shown(panel) == {FRONT: 59, WRIST: 59}, timeout=10000)


def test_errors_show_in_the_panel(qtbot, panel, fixtures_dir):
    open_remote(qtbot, panel, "nobody/nothing")
    assert "was not found on the Hub" in panel.status.text() and panel.reader is None
    panel.open_local(str(fixtures_dir / "missing-folder"))
    qtbot.waitUntil(lambda: "not a directory" in panel.status.text(), timeout=5000)


def test_local_state_only_dataset_and_recent_list(qtbot, panel, fixtures_dir):
    root = str(fixtures_dir / "lerobot_state_only_2ep")
    panel.open_local(root)
    qtbot.waitUntil(lambda: panel.reader is not None, timeout=5000)
    assert panel.shown_episodes() == [0, 1] and panel.recent()[0] == root
    qtbot.waitUntil(lambda: panel.viewer.episode is not None, timeout=5000)
    assert panel.viewer.views == {} and len(panel.viewer.plot.listDataItems()) == 12
    panel.refresh_local()
    assert any("lerobot_state_only_2ep" in panel.local_list.item(i).text() for i in range(panel.local_list.count()))
