"""Motor setup wizard: gives a new arm's servos their ids and baud rate, one motor wired at a time
(the window's face of app/rig/motor_setup.py, the same steps as `teleop-studio setup-motors`).

    python -m widgets.motor_setup_wizard   (demo on simulated factory-new servos: use Rig > ... there)
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
)

from app.rig import discovery
from app.rig.motor_setup import ARMS, MotorSetup, MotorSetupError, setup_order
from widgets.tasks import TaskRunner, find_runner


class MotorSetupWizard(QDialog):
    def __init__(self, port: str = "", extra_ports: list[tuple[str, str]] = (), parent=None):
        super().__init__(parent)
        self.setWindowTitle("Set up motors")
        self.port = QComboBox(editable=True)
        self.port.setMinimumWidth(380)
        for p in discovery.list_serial_ports():
            self.port.addItem(p.label(), p.path)
        for label, path in extra_ports:
            self.port.addItem(label, path)
        if port:
            self.port.setEditText(port)
        self.arm = QComboBox()
        self.arm.addItems(sorted(ARMS))
        self.arm.setCurrentText("so101-follower")
        self.arm.setToolTip("Leader and follower servos get the same ids (1-6); this names the arm being set up.")
        self.motors = QListWidget()
        self.order = setup_order()
        for joint in self.order:
            self.motors.addItem(f"{joint}: not set up")
        self.instruction = QLabel()
        self.instruction.setWordWrap(True)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setObjectName("hint")
        self.go = QPushButton("Set up this motor")
        self.go.setDefault(True)
        self.go.clicked.connect(self.set_up_current)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        form = QGridLayout()
        form.addWidget(QLabel("Port"), 0, 0)
        form.addWidget(self.port, 0, 1)
        form.addWidget(QLabel("Arm"), 1, 0)
        form.addWidget(self.arm, 1, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.go)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("New servos all answer as id 1: wire one motor at a time to the controller board."))
        layout.addWidget(self.motors)
        layout.addWidget(self.instruction)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.current = 0
        self.tasks = find_runner(parent) or TaskRunner(workers=1, parent=self)
        self._own_tasks = self.tasks.parent() is self
        self._pending = None  # the set-up running now (a Task): never cancelled half-way through an EEPROM write
        self._show_step()

    def port_path(self) -> str:
        text = self.port.currentText()
        index = self.port.findText(text)
        return (self.port.itemData(index) if index >= 0 else None) or text.strip()

    def _show_step(self) -> None:
        if self.current >= len(self.order):
            self.instruction.setText("All six motors are set up. Next: Rig > Calibrate an arm.")
            self.go.setEnabled(False)
            self.close_button.setText("Done")
            return
        self.instruction.setText(f"Connect the controller board to the '{self.order[self.current]}' motor only "
                                 "(unplug the others), then press “Set up this motor”.")
        self.motors.setCurrentRow(self.current)

    def set_up_current(self) -> None:
        port = self.port_path()
        if not port:
            self.message.setText("Choose the serial port of the arm's controller board first.")
            return
        if self._pending is not None or self.current >= len(self.order):
            return
        joint = self.order[self.current]
        self.go.setEnabled(False)
        self.message.setText(f"Looking for the '{joint}' motor on {port}…")
        self._pending = self.tasks.run(MotorSetup(port).setup_motor, joint, channel="motor-setup",
                                       label=f"Setting up the '{joint}' motor",
                                       on_done=self._set_up, on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self._pending = None
        self.go.setEnabled(True)
        self.message.setText(f"{exc}." if isinstance(exc, MotorSetupError) else f"The set-up failed: {exc}")

    def _set_up(self, result) -> None:
        self._pending = None
        self.go.setEnabled(True)
        self.motors.item(self.current).setText(result.sentence())
        self.message.setText("")
        self.current += 1
        self._show_step()

    def done(self, code: int) -> None:
        if self._pending is not None:  # let a motor's ID and baud rate be written whole
            self._pending.wait(10.0)
        if self._own_tasks:
            self.tasks.shutdown(0.0)
        super().done(code)


def _demo() -> int:
    from PySide6.QtWidgets import QApplication

    from app.rig.sim_servo_bus import SimServoBus

    app = QApplication.instance() or QApplication(sys.argv[:1])
    sim = SimServoBus("follower", factory=True)
    dlg = MotorSetupWizard(sim.port, [(f"{sim.port}  [simulated new servos]", sim.port)])
    dlg.motors.currentRowChanged.connect(lambda row: sim.connect_motors([6 - row]) if row >= 0 else None)
    dlg.show()
    code = app.exec()
    sim.close()
    return code


if __name__ == "__main__":
    sys.exit(_demo())
