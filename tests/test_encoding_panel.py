"""The Encoding queue panel driven by a real queue on its QThread workers (qtbot, offscreen)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.dataset.video import VideoSettings
from app.encoding.queue import EncodeQueue
from app.encoding.workers import EncodeWorkers
from tests.encoding_helpers import X264, make_dataset, record_take
from widgets.encode_panel import COLUMNS, EncodePanel

SLOW = VideoSettings(codec="libx264", preset="veryslow", crf=23)
BIG = {"observation.images.front": (120, 160), "observation.images.wrist": (120, 160)}


@pytest.fixture
def running(tmp_path, qapp):
    made = []

    def make(settings, cameras=None, batch_size=1):
        root = tmp_path / "ds"
        w = make_dataset(root, settings=settings, **({"cameras": cameras} if cameras else {}))
        q = EncodeQueue(root, w, batch_size=batch_size, settings=settings)
        workers = EncodeWorkers(q)
        workers.start()
        made.append((w, workers))
        return root, w, q

    yield make
    for w, workers in made:
        workers.stop()
        w.close()


def _cell(panel, row, col):
    return panel.model.data(panel.model.index(row, col))


def test_panel_rows_progress_and_failed_error(qtbot, running):
    root, w, q = running(SLOW, BIG)
    panel = EncodePanel(q)
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    panel.show()
    seen_progress = []
    panel.model.dataChanged.connect(lambda *a: seen_progress.extend(r.progress for r in panel.model.rows))
    good = [record_take(root, 30, seed=s, cameras=BIG) for s in range(2)]
    bad = record_take(root, 30, seed=9, cameras=BIG)
    (bad.path / "meta.json").write_text("garbage")
    for t in (good[0], bad, good[1]):
        q.submit(t)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3, timeout=5000)
    qtbot.waitUntil(lambda: all(r.state in ("done", "failed") for r in panel.model.rows), timeout=60000)
    assert any(0 < p < 1 for p in seen_progress), "the progress bar never moved between 0 and 100 %"
    states = {r.id: r.state for r in panel.model.rows}
    assert states == {good[0].id: "done", bad.id: "failed", good[1].id: "done"}
    bad_row = next(i for i, r in enumerate(panel.model.rows) if r.id == bad.id)
    msg = _cell(panel, bad_row, COLUMNS.index("Message"))
    assert "meta.json" in msg
    assert panel.model.data(panel.model.index(bad_row, 1), Qt.ItemDataRole.ForegroundRole).color().name() == "#c62828"
    done_row = next(i for i, r in enumerate(panel.model.rows) if r.id == good[0].id)
    assert _cell(panel, done_row, COLUMNS.index("Codec")) == "libx264"
    assert _cell(panel, done_row, COLUMNS.index("Size")).endswith("kB")
    assert "Backlog: 0 takes" in panel.summary.text() and "1 failed" in panel.summary.text()

    # retry the selected failed row through the button: it fails again, with a second attempt
    panel.table.selectRow(bad_row)
    qtbot.mouseClick(panel.retry_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: q.row(bad.id).attempts == 2 and q.row(bad.id).state == "failed", timeout=10000)
    assert panel.folder_for_selection() == bad.path

    qtbot.mouseClick(panel.pause_btn, Qt.MouseButton.LeftButton)
    assert q.paused
    qtbot.waitUntil(lambda: panel.pause_btn.text() == "Resume" and "PAUSED" in panel.summary.text(), timeout=2000)
    qtbot.mouseClick(panel.pause_btn, Qt.MouseButton.LeftButton)
    assert not q.paused


def test_cancel_button_and_raise_priority(qtbot, running):
    root, w, q = running(X264, batch_size=3)
    panel = EncodePanel(q)
    qtbot.addWidget(panel)
    takes = [record_take(root, 6, seed=s) for s in range(2)]
    for t in takes:
        q.submit(t)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=5000)
    assert [_cell(panel, i, 1) for i in range(2)] == ["waiting for batch"] * 2
    panel.table.selectRow(1)
    qtbot.mouseClick(panel.raise_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.model.rows[0].id == takes[1].id, timeout=5000)
    panel.table.selectRow(1)  # now takes[0]
    qtbot.mouseClick(panel.cancel_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: q.row(takes[0].id).state == "failed", timeout=5000)
    qtbot.waitUntil(lambda: q.row(takes[1].id).state == "done", timeout=10000)  # raised = runnable now
    assert w.total_episodes == 1
