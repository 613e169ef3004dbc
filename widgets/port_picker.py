"""One arm's serial port in the rig setup dialog: the ports with their USB ids, the calibration id, a
Test button that pings the servos, and Find… (unplug and replug the cable, as lerobot-find-port)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QMessageBox, QPushButton, QWidget

from app.rig import calibration, discovery


class PortPicker(QWidget):
    """Serial port + calibration id of one arm, and a button that pings its servos."""

    def __init__(self, role: str, extra_ports: list[tuple[str, str]], parent=None):
        super().__init__(parent)
        self.role = role
        self.port = QComboBox(editable=True)
        self.port.setMinimumWidth(380)
        self.port.setToolTip("The USB serial adapter of this arm. Type a path if it is not listed.")
        self.arm_id = QComboBox(editable=True)
        self.arm_id.setToolTip("Name of the calibration file (lerobot's id). Existing files are listed.")
        self.arm_id.addItems(calibration.existing_ids(role) or [role])
        self.test = QPushButton("Test")
        self.find = QPushButton("Find…")
        self.find.setToolTip("Find this arm's port by unplugging and replugging its USB cable")
        self.find.clicked.connect(lambda: self._find_by_unplugging())
        self.port_pattern: str | None = None  # which paths count as ports (None: lerobot-find-port's /dev/tty*)
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.result.setObjectName("hint")
        self.test.clicked.connect(self._probe)
        self.extra_ports = extra_ports
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel("Port"), 0, 0)
        grid.addWidget(self.port, 0, 1)
        grid.addWidget(self.test, 0, 2)
        grid.addWidget(self.find, 0, 3)
        grid.addWidget(QLabel("Calibration id"), 1, 0)
        grid.addWidget(self.arm_id, 1, 1)
        grid.addWidget(self.result, 2, 1, 1, 2)
        grid.setColumnStretch(1, 1)

    def fill(self, ports: list[discovery.SerialPortInfo]) -> None:
        current = self.path()
        self.port.clear()
        for p in ports:
            self.port.addItem(p.label(), p.path)
        for label, path in self.extra_ports:
            self.port.addItem(label, path)
        if current:
            self.set_path(current)

    def path(self) -> str:
        i = self.port.currentIndex()
        if i >= 0 and self.port.itemText(i) == self.port.currentText():
            return self.port.itemData(i) or self.port.currentText().strip()
        return self.port.currentText().strip()

    def set_path(self, path: str) -> None:
        i = self.port.findData(path)
        if i >= 0:
            self.port.setCurrentIndex(i)
        else:
            self.port.setEditText(path)

    def _find_by_unplugging(self, confirm=None) -> None:
        """lerobot-find-port in two clicks; `confirm(text) -> bool` stands in for the message box."""
        confirm = confirm or (lambda text: QMessageBox.question(self, "Find the port", text) ==
                              QMessageBox.StandardButton.Yes)
        finder = discovery.PortFinder(self.port_pattern)
        if not confirm(f"Remove the USB cable of the {self.role} arm's controller board, then press Yes."):
            return
        try:
            port = finder.unplugged()
        except ValueError as exc:
            self.result.setText(f"✖ {exc}")
            return
        confirm(f"The {self.role} arm was on {port}. Plug the cable back in, then press Yes.")
        path, sentence = finder.replugged()
        self.set_path(path or port)
        self.result.setText(("✔ " if path else "") + sentence)

    def _probe(self) -> None:
        if not self.path():
            self.result.setText("Choose a port first.")
            return
        found, text = discovery.probe_servos(self.path())
        self.result.setText(("✔ " if len(found) == 6 else "✖ ") + text)
