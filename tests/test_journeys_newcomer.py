"""What a newcomer meets first: state text that says what to do, New session always visible (also
after a refused open), distinct default ports in Rig setup, an encoding queue that fits its dock,
Help > Keyboard shortcuts and the keys on the buttons, spoken cues offered (and said when missing)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget

from app.encoding.queue import EncodeQueue
from app.rig.sim_servo_bus import SimServoBus
from tests.encoding_helpers import X264, make_dataset, record_take
from tests.journey_helpers import new_session, open_window, rig, sim_rig, when_modal  # noqa: F401 (rig is a fixture)
from widgets.encode_panel import EncodePanel
from widgets.rig_setup import RigSetupDialog


def test_first_look_says_what_to_do_and_refusals_keep_new_session_usable(qtbot, rig, tmp_path):
    window = open_window(qtbot, rig)
    panel = window.panels["recording"]
    assert panel.state_label.text() == "No session" and "New session" in panel.hint_label.text()
    assert "[Space]" in panel.buttons["start"].text() and "[Esc]" in panel.buttons["end"].text()
    assert panel.new_button.isEnabled() and "Ctrl+N" in panel.new_button.text()
    # a folder that holds something else: the dialog refuses it in place, nothing is created
    junk = tmp_path / "photos"
    junk.mkdir()
    (junk / "cat.jpg").write_text("x")
    seen = {}

    def refuse(dlg):
        dlg.root.setText(str(junk))
        dlg.repo_id.setText("lab/x")
        dlg.task.setText("pick")
        dlg._accept()
        seen["error"] = dlg.error.text()
        dlg.reject()

    when_modal(qtbot, refuse)
    qtbot.mouseClick(panel.new_button, Qt.MouseButton.LeftButton)
    assert "holds no dataset" in seen["error"]
    # a dataset another process writes to: refused with the reason; the panel stays usable
    from app.dataset.commit import WriterLock

    locked = tmp_path / "busy"
    new_session(qtbot, window, locked, episodes=1)
    qtbot.waitUntil(lambda: window.studio.session is not None, timeout=10000)
    window.studio.leave_session()
    qtbot.waitUntil(lambda: not window.studio.datasets, timeout=10000)
    other = WriterLock(locked)
    assert other.acquire()
    try:
        when_modal(qtbot, lambda box: box.accept())  # the warning box
        assert not panel.open_session(window.studio.config or _cfg(locked))
    finally:
        other.release()
    assert panel.state_label.text() == "No session" and panel.new_button.isEnabled()
    assert "already open for writing" in panel.warning_label.text()
    dialog = window.show_shortcuts()
    table = dialog.findChild(QTableWidget)
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows["Space"] == "Start" and rows["Ctrl+N"] == "New session…" and "Ctrl+Q" in rows
    dialog.close()


def _cfg(root):
    from app.recording.config import SessionConfig

    return SessionConfig(root=root, repo_id="lab/busy", task="pick", episodes=1)


def test_session_dialog_offers_codec_and_cues(qtbot, rig, tmp_path):
    from widgets.session_dialog import SessionDialog
    from widgets.settings import open_settings

    dlg = SessionDialog(rig, open_settings())
    qtbot.addWidget(dlg)
    assert [dlg.codec.itemData(i) for i in range(dlg.codec.count())] == ["libsvtav1", "h264", "hevc"]
    assert not dlg.sound.isChecked()  # off by default
    from app.cues import Speaker

    assert ("install espeak-ng" in dlg.sound.text()) == (not Speaker().available)
    dlg.root.setText(str(tmp_path / "new"))
    dlg.repo_id.setText("lab/c")
    dlg.task.setText("pick")
    dlg.codec.setCurrentIndex(1)
    dlg._accept()
    assert dlg.result_config.vcodec == "h264"


def test_rig_setup_starts_the_arms_on_different_ports(qtbot):
    buses = {r: SimServoBus(r) for r in ("leader", "follower")}
    try:
        dlg = RigSetupDialog(extra_ports=[(f"sim {r}", b.port) for r, b in buses.items()])
        qtbot.addWidget(dlg)
        assert dlg.leader.path() and dlg.follower.path() and dlg.leader.path() != dlg.follower.path()
    finally:
        for b in buses.values():
            b.close()


def test_queue_table_fits_its_dock_with_long_take_labels(qtbot, tmp_path):
    root = tmp_path / "ds"
    w = make_dataset(root)
    q = EncodeQueue(root, w, batch_size=5, settings=X264)
    q.submit(record_take(root, 4, task="pick the red cube from the far left corner and place it " * 3))
    panel = EncodePanel(q)
    qtbot.addWidget(panel)
    panel.resize(420, 300)
    panel.show()
    qtbot.waitExposed(panel)
    header = panel.table.horizontalHeader()
    assert header.length() <= panel.table.viewport().width() + 1  # no sideways scrolling
    assert header.sectionSize(1) >= panel.table.fontMetrics().horizontalAdvance("waiting for batch")
    w.close()
