"""A whole session through the Recording panel, offscreen, down to a valid dataset."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.dataset.reader import DatasetReader
from app.dataset.validate import validate
from app.qtbridge import RigBridge
from app.recording.config import SessionConfig
from app.recording.health import read_health
from app.recording.session import State
from app.recording.spool import scan_spools
from app.rig.rig import build_sim_rig
from app.studio import Studio
from widgets.context import StudioContext, StudioEvents
from widgets.recording_panel import RecordingPanel
from widgets.session_dialog import SessionDialog
from widgets.settings import open_settings


@pytest.fixture
def ctx(qtbot):
    rig = build_sim_rig(n_cameras=2, width=64, height=48, fps=30)
    bridge = RigBridge(rig)
    rig.start()
    studio = Studio(rig)
    c = StudioContext(rig=rig, bridge=bridge, settings=open_settings(), studio=studio, events=StudioEvents(studio))
    yield c
    c.events.detach()
    studio.shutdown()
    rig.stop()


def test_full_session_rerecord_and_exit_early(qtbot, ctx, tmp_path):
    panel = RecordingPanel(ctx)
    qtbot.addWidget(panel)
    panel.show()
    panel.activateWindow()
    panel.setFocus()
    root = tmp_path / "ds"
    cfg = SessionConfig(root=root, repo_id="user/panel", task="pick the cube", episodes=3,
                        episode_time_s=1.0, reset_time_s=0.4)
    assert panel.open_session(cfg)
    s = ctx.studio.session
    committed = []
    ctx.events.event.connect(lambda e, d: committed.append(d) if e == "session_committed" else None)
    qtbot.mouseClick(panel.buttons["start"], Qt.MouseButton.LeftButton)
    assert s.state == State.RECORDING and "RECORDING" in panel.state_label.text()
    qtbot.waitUntil(lambda: s.state == State.RESET, timeout=30000)
    assert panel.episode_label.text() == "Episode 2 of 3"
    qtbot.keyClick(panel, Qt.Key.Key_Left)                    # re-record the take just finished
    assert s.kept == 0 and panel.episode_label.text() == "Episode 1 of 3"
    qtbot.waitUntil(lambda: s.state == State.RECORDING, timeout=30000)
    qtbot.waitUntil(lambda: s.state == State.RESET, timeout=30000)
    qtbot.waitUntil(lambda: s.state == State.RECORDING, timeout=30000)
    qtbot.waitUntil(lambda: s.elapsed() >= 0.4, timeout=30000)
    qtbot.mouseClick(panel.buttons["exit_early"], Qt.MouseButton.LeftButton)  # episode 2 ends early
    qtbot.waitUntil(lambda: panel.health_label.text().startswith("Episode 2"), timeout=30000)
    qtbot.waitUntil(lambda: s.state == State.DONE, timeout=30000)
    qtbot.waitUntil(lambda: "done" in panel.state_label.text(), timeout=5000)  # the view follows by event
    qtbot.waitUntil(lambda: bool(committed), timeout=60000)  # the studio commits them by itself
    assert committed[0].committed == 3 and "3 episode(s) in the dataset" in panel.hint_label.text()
    lengths = [e.length for e in DatasetReader(root).episodes]
    assert len(lengths) == 3 and lengths[0] == 30 and 10 <= lengths[1] < 30 and lengths[2] == 30
    rep = validate(root)
    assert rep.ok, rep.lines()
    assert scan_spools(root) == [] and len(read_health(root)) == 3


def test_session_dialog_remembers_and_refuses_bad_input(qtbot, ctx, tmp_path):
    dlg = SessionDialog(ctx.rig, ctx.settings)
    qtbot.addWidget(dlg)
    dlg.root.setText(str(tmp_path / "new"))
    dlg.repo_id.setText("not-a-repo-id")
    dlg.task.setText("")
    dlg._accept()
    assert dlg.result_config is None and "USER/NAME" in dlg.error.text() and "task" in dlg.error.text()
    dlg.repo_id.setText("me/cubes")
    dlg.task.setText("stack the cubes")
    dlg.episodes.setValue(7)
    dlg._accept()
    assert dlg.result_config is not None and dlg.result_config.episodes == 7
    again = SessionDialog(ctx.rig, ctx.settings)
    qtbot.addWidget(again)
    assert again.repo_id.text() == "me/cubes" and again.task.text() == "stack the cubes"
    assert again.episodes.value() == 7 and again.root.text() == str(tmp_path / "new")


def test_existing_folder_that_is_not_a_dataset_is_refused(qtbot, ctx, tmp_path, monkeypatch):
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "file.txt").write_text("x")
    dlg = SessionDialog(ctx.rig, ctx.settings)
    qtbot.addWidget(dlg)
    dlg.root.setText(str(tmp_path / "junk"))
    dlg.repo_id.setText("me/cubes")
    dlg.task.setText("stack")
    dlg._accept()
    assert dlg.result_config is None and "holds no dataset" in dlg.error.text()
