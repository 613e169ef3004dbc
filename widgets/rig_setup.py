"""Rig setup dialog: choose the leader's and the follower's serial ports (shown with their USB ids)
and the cameras (with a live preview), name them, and save the lot as a rig profile.

    python -m widgets.rig_setup [--screenshot out.png]   (demo on the simulated servo buses)
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QVBoxLayout,
)

from app.rig import discovery, profiles
from app.rig.profiles import CameraConfig, ProfileError, RigProfile
from widgets.port_picker import PortPicker
from widgets.rig_menu import install_rig_menu  # noqa: F401 (the main window installs the Rig menu from here)
from widgets.tasks import TaskRunner, find_runner

CHECKBOX_STYLE = """
QCheckBox { margin-left: 8px; }
QCheckBox::indicator { width: 15px; height: 15px; border: 1px solid #7a8490; border-radius: 3px; background: #15181c; }
QCheckBox::indicator:checked { background: #4e9bf5; border-color: #9cc7fa; }
"""
RESOLUTIONS = ["640x480", "1280x720", "1920x1080", "320x240"]


class RigSetupDialog(QDialog):
    def __init__(self, extra_ports: list[tuple[str, str]] | None = None,
                 extra_cameras: list[tuple[str, str]] | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Rig setup")
        self.setObjectName("RigSetupDialog")
        self.setStyleSheet(CHECKBOX_STYLE)
        self.resize(980, 640)
        self.extra_cameras = extra_cameras or []
        self.saved_path = None
        self._preview_cam = None

        self.profile = QComboBox(editable=True)
        self.profile.addItems(profiles.list_profiles() or ["my rig"])
        self.profile.currentTextChanged.connect(self._load_profile)
        self.fps = QSpinBox(minimum=5, maximum=120, value=30, suffix=" Hz")
        top = QFormLayout()
        top.addRow("Profile", self.profile)
        top.addRow("Dataset fps", self.fps)

        self.leader = PortPicker("leader", extra_ports or [])
        self.follower = PortPicker("follower", extra_ports or [])
        arms = QGroupBox("Arms")
        arm_grid = QVBoxLayout(arms)
        pickers = (("Leader (you move it)", self.leader), ("Follower (it copies the leader)", self.follower))
        for title, picker in pickers:
            label = QLabel(title)
            label.setObjectName("sectionTitle")
            arm_grid.addWidget(label)
            arm_grid.addWidget(picker)
        refresh = QPushButton("Refresh devices")
        refresh.clicked.connect(self.refresh)
        arm_grid.addWidget(refresh, alignment=Qt.AlignmentFlag.AlignLeft)

        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Use", "Device", "Name", "Resolution", "fps"])
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.itemSelectionChanged.connect(self._preview_selected)
        self.preview = QLabel("Select a camera to preview it")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setFixedSize(320, 240)
        self.preview.setObjectName("cameraPreview")
        self.preview_info = QLabel("")
        self.preview_info.setObjectName("hint")
        cams = QGroupBox("Cameras")
        cam_row = QHBoxLayout(cams)
        table_side = QVBoxLayout()
        table_side.addWidget(self.table, 1)
        add_file = QPushButton("Add a video file…")
        add_file.setToolTip("A video file plays as a camera at the fps set here, looped: for demos and teaching.")
        add_file.clicked.connect(self._choose_video_file)
        table_side.addWidget(add_file, alignment=Qt.AlignmentFlag.AlignLeft)
        cam_row.addLayout(table_side, 1)
        side = QVBoxLayout()
        side.addWidget(self.preview)
        side.addWidget(self.preview_info)
        side.addStretch(1)
        cam_row.addLayout(side)

        self.message = QLabel("")
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(arms)
        lay.addWidget(cams, 1)
        lay.addWidget(self.message)
        lay.addWidget(buttons)

        self._timer = QTimer(self)
        self._timer.timeout.connect(self._show_preview_frame)
        # each camera's sizes and rates, asked off the GUI thread (opening a device can take a second),
        # on the window's task runner when there is a window (else on a runner of the dialog's own)
        self.tasks = find_runner(parent) or TaskRunner(workers=1, parent=self)
        self._own_tasks = self.tasks.parent() is self
        self._probes: dict[str, object] = {}
        from widgets.bimanual_setup import SecondPair

        self.second_pair = SecondPair(self, extra_ports or [])  # bimanual rigs: the right pair
        self.refresh()
        self._load_profile(self.profile.currentText())

    # -- devices ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        ports = discovery.list_serial_ports()
        self.leader.fill(ports)
        self.follower.fill(ports)
        self.second_pair.fill(ports)
        # two arms never share a port: the follower starts on another one than the leader
        if self.follower.path() == self.leader.path() and self.follower.port.count() > 1:
            self.follower.port.setCurrentIndex(1 if self.leader.port.currentIndex() == 0 else 0)
        wanted = {r[1]: r for r in self._rows()}
        self.table.setRowCount(0)
        devices = [(d.path, d.label()) for d in discovery.list_video_devices()] + self.extra_cameras
        for k, (device, label) in enumerate(devices):
            self._add_row(device, label, f"cam{k}" if device not in wanted else wanted[device][2],
                          use=device in wanted)
        if not devices:
            self.message.setText("No camera found. Plug one in and press Refresh devices.")
        self._probes.clear()
        for device, _ in devices:
            self._probe(device)

    def _probe(self, device: str) -> None:
        if device.startswith("synthetic"):
            return
        self._probes[device] = self.tasks.run(discovery.probe_modes, device, channel=f"camera-probe:{device}",
                                              label=f"Asking {device} for its modes",
                                              on_done=lambda modes, d=device: self._show_modes(d, modes))

    def _show_modes(self, device: str, modes) -> None:
        """A row learns what its camera offers: sizes in the resolution list, sizes and rates in the label."""
        self._probes.pop(device, None)
        for r in range(self.table.rowCount()):
            dev = self.table.cellWidget(r, 1)
            if dev.property("device") != device:
                continue
            base = dev.text().split("\n")[0]
            dev.setText(f"{base}\n{'✖ ' if modes.error else ''}{modes.summary()}")
            combo = self.table.cellWidget(r, 3)
            if modes.sizes():
                current = combo.currentText()
                combo.clear()
                combo.addItems(modes.sizes())
                combo.setCurrentText(current if current in modes.sizes() else modes.sizes()[-1])
        self.table.resizeRowsToContents()

    def _choose_video_file(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(self, "Video file to use as a camera", "",
                                              "Videos (*.mp4 *.mkv *.avi *.mov *.webm);;All files (*)")
        if path:
            self.add_video_file(path)

    def add_video_file(self, path: str) -> None:
        """A row for a video file, ticked; it stays through Refresh devices."""
        label = f"{path}  (video file)"
        self.extra_cameras.append((path, label))
        self._add_row(path, label, f"cam{self.table.rowCount()}", use=True)
        self._probe(path)
        self.table.selectRow(self.table.rowCount() - 1)

    def _add_row(self, device: str, label: str, name: str, use: bool = False, res: str = "640x480",
                 fps: int = 30) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        box = QCheckBox()
        box.setChecked(use)
        self.table.setCellWidget(r, 0, box)
        dev = QLabel(label)
        dev.setProperty("device", device)
        self.table.setCellWidget(r, 1, dev)
        self.table.setCellWidget(r, 2, QLineEdit(name))
        combo = QComboBox(editable=True)
        combo.addItems(RESOLUTIONS)
        combo.setCurrentText(res)
        self.table.setCellWidget(r, 3, combo)
        self.table.setCellWidget(r, 4, QSpinBox(minimum=1, maximum=120, value=fps))

    def _rows(self) -> list[tuple[bool, str, str, str, int]]:
        out = []
        for r in range(self.table.rowCount()):
            w = [self.table.cellWidget(r, c) for c in range(5)]
            out.append((w[0].isChecked(), w[1].property("device"), w[2].text().strip(), w[3].currentText(),
                        w[4].value()))
        return out

    # -- preview ---------------------------------------------------------------------------------
    def _preview_selected(self) -> None:
        from app.rig.rig import camera_from_config

        self._stop_preview()
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        _, device, name, res, fps = self._rows()[rows[0].row()]
        w, h = (int(x) for x in res.lower().split("x"))
        self._preview_cam = camera_from_config(CameraConfig(name or "preview", device, w, h, fps))
        self._preview_cam.start()  # opens on its own thread: the dialog never waits for a device
        self.preview.setText(f"opening {device}…")
        self._timer.start(66)

    def _show_preview_frame(self) -> None:
        cam = self._preview_cam
        if cam is None:
            return
        frame = cam.latest
        if frame is None:
            if cam.error:
                self.preview.setText(f"✖ {cam.error}")
            return
        img = frame.image
        qimg = QImage(img.data, img.shape[1], img.shape[0], img.strides[0], QImage.Format.Format_RGB888)
        self.preview.setPixmap(QPixmap.fromImage(qimg).scaled(self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                                              Qt.TransformationMode.SmoothTransformation))
        self.preview_info.setText(f"{img.shape[1]}x{img.shape[0]}  {cam.measured_fps:.1f} fps  frame #{frame.index}")

    def _stop_preview(self) -> None:
        self._timer.stop()
        if self._preview_cam is not None:
            self._preview_cam.stop(timeout=0.5)
            self._preview_cam = None

    # -- profiles --------------------------------------------------------------------------------
    def _load_profile(self, name: str) -> None:
        if name not in profiles.list_profiles():
            return
        try:
            p = profiles.load_profile(name)
        except ProfileError as exc:
            self.message.setText(f"✖ {exc}")
            return
        self.fps.setValue(p.fps)
        self.leader.set_path(p.leader_port)
        self.leader.arm_id.setCurrentText(p.leader_id)
        self.follower.set_path(p.follower_port)
        self.follower.arm_id.setCurrentText(p.follower_id)
        self.second_pair.load(p)
        known = {r[1] for r in self._rows()}
        for c in p.cameras:
            if c.device not in known:
                from app.rig.file_camera import is_video_file

                kind = "video file" if is_video_file(c.device) else "not plugged in"
                self._add_row(c.device, f"{c.device}  ({kind})", c.name)
        for r in range(self.table.rowCount()):
            device = self.table.cellWidget(r, 1).property("device")
            cam = next((c for c in p.cameras if c.device == device), None)
            self.table.cellWidget(r, 0).setChecked(cam is not None)
            if cam:
                self.table.cellWidget(r, 2).setText(cam.name)
                self.table.cellWidget(r, 3).setCurrentText(f"{cam.width}x{cam.height}")
                self.table.cellWidget(r, 4).setValue(cam.fps)

    def current_profile(self) -> RigProfile:
        cams = []
        for use, device, name, res, fps in self._rows():
            if not use:
                continue
            try:
                w, h = (int(x) for x in res.lower().split("x"))
            except ValueError:
                raise ProfileError(f"resolution {res!r}: write it as WIDTHxHEIGHT, e.g. 640x480") from None
            cams.append(CameraConfig(name, device, w, h, fps))
        return self.second_pair.apply(RigProfile(
            self.profile.currentText().strip(), self.leader.path(), self.leader.arm_id.currentText().strip(),
            self.follower.path(), self.follower.arm_id.currentText().strip(), cams, self.fps.value()))

    def save(self) -> None:
        try:
            self.saved_path = profiles.save_profile(self.current_profile())
        except ProfileError as exc:
            self.message.setText(f"✖ {exc}")
            return
        self.message.setText(f"Saved {self.saved_path}. It is used the next time the studio starts.")
        self.accept()

    def done(self, result: int) -> None:
        self._stop_preview()
        self.tasks.cancel("camera-probe")
        if self._own_tasks:
            self.tasks.shutdown(0.0)
        super().done(result)


def demo_dialog(buses: dict, parent=None) -> RigSetupDialog:
    """The dialog filled in on simulated buses ({role: SimServoBus}), for the demo and the screenshots."""
    ports = [(f"{b.port}  [simulated {role}]", b.port) for role, b in buses.items()]
    dlg = RigSetupDialog(extra_ports=ports, parent=parent,
                         extra_cameras=[("synthetic:0", "synthetic:0  Simulated camera"),
                                        ("synthetic:1", "synthetic:1  Simulated camera")])
    dlg.profile.setCurrentText("bench A")
    dlg.leader.set_path(buses["leader"].port)
    dlg.follower.set_path(buses["follower"].port)
    dlg.leader._probe()
    dlg.follower._probe()
    dlg._add_row("/dev/video4", "/dev/video4  (not plugged in)", "top")
    for r, name in enumerate(("front", "wrist")):
        if r < dlg.table.rowCount():
            dlg.table.cellWidget(r, 0).setChecked(True)
            dlg.table.cellWidget(r, 2).setText(name)
    dlg.show()
    if dlg.table.rowCount():
        dlg.table.selectRow(0)
    return dlg


def _demo(argv: list[str]) -> int:
    import argparse

    from PySide6.QtWidgets import QApplication

    from app.rig.sim_servo_bus import SimServoBus

    ap = argparse.ArgumentParser()
    ap.add_argument("--screenshot")
    args = ap.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv)
    try:
        from widgets.main_window import apply_style
        apply_style(app)
    except ImportError:
        pass
    buses = {role: SimServoBus(role) for role in ("leader", "follower")}
    dlg = demo_dialog(buses)
    try:
        if args.screenshot:
            QTimer.singleShot(1500, lambda: (dlg.grab().save(args.screenshot), dlg.reject()))
        return dlg.exec()
    finally:
        for b in buses.values():
            b.close()


if __name__ == "__main__":
    sys.exit(_demo(sys.argv[1:]))
