"""Bimanual parts of the rig views: the second pair of the rig setup dialog, and which arm of the
running rig to calibrate. A bimanual profile's left pair is the dialog's leader and follower pickers;
this adds the right pair beside a "Two pairs" switch."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QGroupBox, QInputDialog, QLabel, QVBoxLayout, QWidget

from app.rig.profiles import ArmPair, RigProfile
from widgets.port_picker import PortPicker


class SecondPair(QWidget):
    """The right leader and follower, shown when "Two pairs" is ticked."""

    def __init__(self, dialog, extra_ports: list[tuple[str, str]]):
        super().__init__(dialog)
        self.dialog = dialog
        self.enabled = QCheckBox("Two pairs (bimanual, recorded as lerobot's bi_so_follower)")
        self.enabled.setToolTip("Joints are saved as left_… and right_…; the pickers above are the left pair.")
        self.leader = PortPicker("leader", extra_ports)
        self.follower = PortPicker("follower", extra_ports)
        self.leader.arm_id.setCurrentText("right_leader")
        self.follower.arm_id.setCurrentText("right_follower")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.enabled)
        self.box = QWidget()
        inner = QVBoxLayout(self.box)
        inner.setContentsMargins(0, 0, 0, 0)
        for title, picker in (("Right leader", self.leader), ("Right follower", self.follower)):
            label = QLabel(title)
            label.setObjectName("sectionTitle")
            inner.addWidget(label)
            inner.addWidget(picker)
        lay.addWidget(self.box)
        self.box.setVisible(False)
        self.enabled.toggled.connect(self.box.setVisible)
        arms = next(g for g in dialog.findChildren(QGroupBox) if g.title() == "Arms")
        arms.layout().addWidget(self)
        # the dialog's own pair becomes the left one: say so in its titles
        self._titles = {lab: lab.text() for lab in arms.findChildren(QLabel)
                        if lab.objectName() == "sectionTitle" and lab.text().startswith(("Leader", "Follower"))}
        self.enabled.toggled.connect(self._retitle)

    def _retitle(self, two: bool) -> None:
        for lab, text in self._titles.items():
            lab.setText(f"Left {text[0].lower()}{text[1:]}" if two else text)

    def fill(self, ports) -> None:
        self.leader.fill(ports)
        self.follower.fill(ports)

    def load(self, profile: RigProfile) -> None:
        self.enabled.setChecked(profile.bimanual)
        right = profile.pairs.get("right")
        if right:
            self.leader.set_path(right.leader_port)
            self.leader.arm_id.setCurrentText(right.leader_id)
            self.follower.set_path(right.follower_port)
            self.follower.arm_id.setCurrentText(right.follower_id)

    def apply(self, profile: RigProfile) -> RigProfile:
        """The profile with its two pairs when "Two pairs" is ticked (left: the dialog's own pickers)."""
        if not self.enabled.isChecked():
            return profile
        profile.pairs = {
            "left": ArmPair(profile.leader_port, profile.leader_id, profile.follower_port, profile.follower_id),
            "right": ArmPair(self.leader.path(), self.leader.arm_id.currentText().strip(),
                             self.follower.path(), self.follower.arm_id.currentText().strip()),
        }
        return profile


def arms_to_calibrate(rig) -> list[tuple[str, str, str, str]]:
    """(label, role, port, calibration id) of each arm of the rig, followers first on a single rig."""
    pairs = getattr(rig, "pairs", None)
    arms = [a for pair in pairs.values() for a in pair] if pairs else [rig.follower, rig.leader]
    return [(a.name, a.role, getattr(a, "port", ""), getattr(a, "arm_id", "")) for a in arms if a is not None]


def choose_arm(rig, parent) -> tuple[str, str, str] | None:
    """On a bimanual rig, ask which of the four arms; (role, port, id), or None when cancelled."""
    arms = arms_to_calibrate(rig)
    if not getattr(rig, "pairs", None):
        return ("follower", getattr(rig.follower, "port", ""), "")
    label, ok = QInputDialog.getItem(parent, "Calibrate an arm", "Which arm?", [a[0] for a in arms], 0, False)
    if not ok:
        return None
    _, role, port, arm_id = next(a for a in arms if a[0] == label)
    return role, port, arm_id
