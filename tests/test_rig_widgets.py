"""Rig setup dialog and calibration wizard, driven with pytest-qt against the simulated servo buses."""

import json

import pytest

from app.rig import profiles
from app.rig.sim_servo_bus import SimServoBus
from widgets.calibration_wizard import CalibrationWizard
from widgets.rig_setup import RigSetupDialog


@pytest.fixture(autouse=True)
def own_config(tmp_path, monkeypatch):
    monkeypatch.setenv("TELEOP_STUDIO_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture
def buses():
    bs = {r: SimServoBus(r) for r in ("leader", "follower")}
    yield bs
    for b in bs.values():
        b.close()


def test_rig_setup_probes_previews_and_saves_a_profile(qtbot, buses):
    dlg = RigSetupDialog(extra_ports=[(f"sim {r}", b.port) for r, b in buses.items()],
                         extra_cameras=[("synthetic:0", "Simulated camera")])
    qtbot.addWidget(dlg)
    dlg.leader.set_path(buses["leader"].port)
    dlg.follower.set_path(buses["follower"].port)
    dlg.leader.test.click()
    assert "all six found" in dlg.leader.result.text()
    row = next(r for r in range(dlg.table.rowCount()) if dlg.table.cellWidget(r, 1).property("device") == "synthetic:0")
    dlg.table.cellWidget(row, 0).setChecked(True)
    dlg.table.cellWidget(row, 2).setText("front")
    dlg.table.cellWidget(row, 3).setCurrentText("320x240")
    dlg.table.selectRow(row)
    qtbot.waitUntil(lambda: dlg.preview.pixmap() is not None and not dlg.preview.pixmap().isNull(), timeout=10000)

    dlg.profile.setCurrentText("bad/name")
    dlg.save()
    assert "profile name" in dlg.message.text() and dlg.saved_path is None
    dlg.profile.setCurrentText("bench A")
    dlg.save()
    assert dlg.saved_path and dlg.result() == RigSetupDialog.DialogCode.Accepted
    p = profiles.load_profile("bench A")
    assert (p.leader_port, p.follower_port) == (buses["leader"].port, buses["follower"].port)
    assert [(c.name, c.device, c.width, c.height) for c in p.cameras] == [("front", "synthetic:0", 320, 240)]
    assert profiles.active_profile().name == "bench A"


def test_calibration_wizard_end_to_end(qtbot, buses, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_LEROBOT_CALIBRATION", str(tmp_path / "cal"))
    sim = buses["follower"]
    sim.move_by_hand("middle")
    wiz = CalibrationWizard("follower", sim.port, "arm_b")
    qtbot.addWidget(wiz)
    assert "Will be saved as" in wiz.where.text()
    wiz.next.click()  # connect
    assert wiz.step == 1, wiz.message.text()
    qtbot.waitUntil(lambda: wiz.table.item(0, 2) is not None and wiz.table.item(0, 2).text() != "", timeout=2000)
    wiz.next.click()  # set middle
    assert wiz.step == 2, wiz.message.text()
    wiz.next.click()  # too early: nothing swept yet
    assert wiz.step == 2 and "has not been moved" in wiz.message.text()
    sim.move_by_hand("sweep")
    qtbot.wait(1400)
    wiz.next.click()
    assert wiz.step == 3, wiz.message.text()
    saved = json.loads((tmp_path / "cal/robots/so_follower/arm_b.json").read_text())
    assert saved["gripper"]["id"] == 6 and saved["wrist_roll"]["range_max"] == 4095
    assert "arm_b.json" in wiz.summary.text()


def test_calibration_wizard_reports_a_missing_port(qtbot, tmp_path):
    wiz = CalibrationWizard("leader", str(tmp_path / "nothing-here"), "x")
    qtbot.addWidget(wiz)
    wiz.next.click()
    assert wiz.step == 0 and "cannot open" in wiz.message.text()


def test_rig_menu_jogs_the_simulated_leader(qtbot):
    from PySide6.QtWidgets import QMainWindow

    from app.rig.rig import build_sim_rig
    from widgets.rig_setup import install_rig_menu

    rig = build_sim_rig(n_cameras=0)
    try:
        win = QMainWindow()
        win.rig = rig
        qtbot.addWidget(win)
        install_rig_menu(win)
        actions = {a.text(): a for a in win.rig_menu.actions()}
        assert {"Rig &setup…", "&Calibrate an arm…", "&Hold the simulated leader still"} <= set(actions)
        actions["&Hold the simulated leader still"].trigger()
        leader = rig.sim_buses["leader"]
        before = leader.pose()[0]
        jog = next(a for a in win.rig_menu.actions() if a.menu()).menu()
        jog.actions()[0].trigger()  # shoulder_pan +5
        assert leader.pose()[0] - before == pytest.approx(5.0, abs=0.2)
    finally:
        rig.stop()
