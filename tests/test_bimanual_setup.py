"""Rig profiles with two pairs: the rig setup dialog's "Two pairs" switch saves each arm's port and
calibration id, the profile opens as a bimanual rig on those ports, bad pairs are refused in one line,
and the calibration entry of the Rig menu offers each of the four arms with its port and id."""

from __future__ import annotations

import pytest

from app.rig import profiles
from app.rig.bimanual import BimanualRig
from app.rig.profiles import ArmPair, ProfileError, RigProfile
from app.rig.rig import build_sim_rig, detect_rig
from app.rig.sim_bimanual import build_sim_bimanual_rig, sim_bimanual_buses
from widgets.bimanual_setup import arms_to_calibrate, choose_arm
from widgets.rig_setup import RigSetupDialog


@pytest.fixture
def buses():
    b = sim_bimanual_buses()
    yield b
    for bus in b.values():
        bus.close()


def test_two_pairs_saved_from_the_dialog_open_as_a_bimanual_rig(qtbot, buses):
    dlg = RigSetupDialog(extra_ports=[(f"sim {n}", b.port) for n, b in buses.items()])
    qtbot.addWidget(dlg)
    assert not dlg.second_pair.box.isVisibleTo(dlg)
    dlg.second_pair.enabled.setChecked(True)
    assert dlg.second_pair.box.isVisibleTo(dlg)
    assert sorted(lab.text() for lab in dlg.second_pair._titles) == ["Left follower (it copies the leader)",
                                                                     "Left leader (you move it)"]
    dlg.profile.setCurrentText("two arms")
    dlg.leader.set_path(buses["left_leader"].port)
    dlg.follower.set_path(buses["left_follower"].port)
    dlg.leader.arm_id.setCurrentText("blue_leader")
    dlg.follower.arm_id.setCurrentText("blue_follower")
    dlg.second_pair.leader.set_path(buses["right_leader"].port)
    dlg.second_pair.follower.set_path(buses["right_follower"].port)
    p = dlg.current_profile()
    assert p.bimanual and p.pairs["left"] == ArmPair(buses["left_leader"].port, "blue_leader",
                                                     buses["left_follower"].port, "blue_follower")
    assert p.pairs["right"] == ArmPair(buses["right_leader"].port, "right_leader",
                                       buses["right_follower"].port, "right_follower")
    dlg.save()
    assert dlg.saved_path is not None
    again = profiles.load_profile("two arms")
    assert again == p and profiles.active_profile() == p
    rig = detect_rig()  # the active profile's four ports exist: the bimanual hardware rig
    try:
        assert isinstance(rig, BimanualRig) and not rig.simulated and rig.robot_type == "bi_so_follower"
        assert [(a.name, a.port, a.arm_id) for a in rig.pairs["right"]] == [
            ("right leader", buses["right_leader"].port, "right_leader"),
            ("right follower", buses["right_follower"].port, "right_follower")]
        assert [a[:3] for a in arms_to_calibrate(rig)][1] == ("left follower", "follower", buses["left_follower"].port)
        assert arms_to_calibrate(rig)[1][3] == "blue_follower"
    finally:
        rig.stop()
    reopened = RigSetupDialog(extra_ports=[(f"sim {n}", b.port) for n, b in buses.items()])
    qtbot.addWidget(reopened)
    reopened.profile.setCurrentText("two arms")
    assert reopened.second_pair.enabled.isChecked()
    assert reopened.second_pair.follower.path() == buses["right_follower"].port
    # a port used twice is refused in one line, nothing saved
    reopened.second_pair.follower.set_path(buses["left_follower"].port)
    reopened.save()
    assert "four different serial ports" in reopened.message.text()
    assert profiles.load_profile("two arms") == p


def test_bad_pairs_are_refused():
    with pytest.raises(ProfileError, match="left and a right"):
        RigProfile("x", pairs={"left": ArmPair("/a", "l", "/b", "f")}).validate()
    with pytest.raises(ProfileError, match="different ids"):
        RigProfile("x", pairs={"left": ArmPair("/a", "l", "/b", "f"),
                               "right": ArmPair("/c", "l", "/d", "g")}).validate()


def test_calibration_offers_every_arm(qtbot):
    rig = build_sim_bimanual_rig(width=32, height=24, servos="thread")
    single = build_sim_rig(n_cameras=0, servos="thread")
    try:
        arms = arms_to_calibrate(rig)
        assert [(a[0], a[1]) for a in arms] == [("left leader", "leader"), ("left follower", "follower"),
                                                 ("right leader", "leader"), ("right follower", "follower")]
        assert arms[3][2] == rig.sim_buses["right follower"].port and arms[3][3] == "bimanual_right"
        assert choose_arm(single, None) == ("follower", single.follower.port, "")  # single rig: as before
    finally:
        rig.stop()
        single.stop()


def test_rig_menu_calibration_asks_which_of_the_four_arms(qtbot):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog

    rig = build_sim_bimanual_rig(width=32, height=24, servos="thread")
    seen = []

    def answer():
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, QInputDialog):
            QTimer.singleShot(20, answer)
            return
        seen.extend(dlg.comboBoxItems())
        dlg.setTextValue("right follower")
        dlg.accept()

    try:
        QTimer.singleShot(20, answer)
        assert choose_arm(rig, None) == ("follower", rig.sim_buses["right follower"].port, "bimanual_right")
        assert seen == ["left leader", "left follower", "right leader", "right follower"]
    finally:
        rig.stop()
