"""Calibration wizard: connect to an arm, set its middle pose, sweep every joint's range, then write the
homing offsets and limits to the servos and save lerobot's calibration file.

The procedure lives in app.rig.calibration.CalibrationSession (it reads the servos on its own thread);
this dialog shows its steps and polls its snapshot.

    python -m widgets.calibration_wizard [--screenshot out.png]   (demo on a simulated arm)
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.rig import calibration, discovery
from app.rig.calibration import CalibrationError, CalibrationSession
from app.rig.feetech_bus import BusError, FeetechBus
from app.rig.sts3215 import RESOLUTION

STEPS = ["1  Connect", "2  Middle pose", "3  Sweep ranges", "4  Saved"]
TEXT = {
    1: "Move every joint of the arm to the <b>middle of its range</b> (gripper half open, as in lerobot's "
       "guide), then press <b>Set middle</b>. The servos are unpowered: move them by hand.",
    2: "Now move <b>each joint through its whole range</b>, end stop to end stop. The bars fill as the range is "
       "recorded. wrist_roll turns freely and gets the full turn. Press <b>Write and save</b> when done.",
}


class RangeBar(QWidget):
    """0..4095 steps: the recorded range as a band, the present position as a tick, the middle as a line."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.lo = self.hi = self.pos = None
        self.setMinimumSize(220, 18)

    def set_values(self, lo, pos, hi) -> None:
        self.lo, self.pos, self.hi = lo, pos, hi
        self.update()

    def paintEvent(self, _):
        p = QPainter(self)
        r = QRectF(self.rect()).adjusted(2, 4, -2, -4)
        p.fillRect(r, QColor("#15181c"))
        x = lambda v: r.left() + r.width() * v / (RESOLUTION - 1)  # noqa: E731
        if self.lo is not None and self.hi is not None:
            p.fillRect(QRectF(x(self.lo), r.top(), max(2.0, x(self.hi) - x(self.lo)), r.height()), QColor("#2f6fb8"))
        p.fillRect(QRectF(x(2047) - 0.5, r.top() - 2, 1, r.height() + 4), QColor("#7a8490"))
        if self.pos is not None:
            p.fillRect(QRectF(x(self.pos) - 1.5, r.top() - 3, 3, r.height() + 6), QColor("#f2c14e"))


class CalibrationWizard(QDialog):
    def __init__(self, role: str = "follower", port: str = "", arm_id: str = "",
                 extra_ports: list[tuple[str, str]] | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Calibrate an arm")
        self.setObjectName("CalibrationWizard")
        self.resize(760, 440)
        self.session: CalibrationSession | None = None
        self.result_path = None

        self.step_labels = [QLabel(s) for s in STEPS]
        head = QHBoxLayout()
        for lab in self.step_labels:
            head.addWidget(lab)
        head.addStretch(1)

        self.role = QComboBox()
        self.role.addItems(["follower", "leader"])
        self.role.setCurrentText(role)
        self.port = QComboBox(editable=True)
        for info in discovery.list_serial_ports():
            self.port.addItem(info.label(), info.path)
        for label, path in extra_ports or []:
            self.port.addItem(label, path)
        if port:
            i = self.port.findData(port)
            self.port.setCurrentIndex(i) if i >= 0 else self.port.setEditText(port)
        self.arm_id = QComboBox(editable=True)
        self.role.currentTextChanged.connect(self._fill_ids)
        self._fill_ids(role)
        if arm_id:
            self.arm_id.setCurrentText(arm_id)
        self.where = QLabel("")
        self.where.setObjectName("hint")
        self.where.setWordWrap(True)
        self.arm_id.currentTextChanged.connect(self._show_where)
        self.role.currentTextChanged.connect(self._show_where)
        self._show_where()
        connect_page = QWidget()
        form = QFormLayout(connect_page)
        form.addRow("Arm", self.role)
        form.addRow("Serial port", self.port)
        form.addRow("Calibration id", self.arm_id)
        form.addRow("", self.where)

        self.instructions = QLabel("")
        self.instructions.setWordWrap(True)
        self.table = QTableWidget(6, 5)
        self.table.setHorizontalHeaderLabels(["Joint", "Min", "Present", "Max", "Range (0 … 4095 steps)"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.bars = []
        for r, joint in enumerate(calibration.SO101_MOTORS):
            self.table.setItem(r, 0, QTableWidgetItem(joint))
            bar = RangeBar()
            self.bars.append(bar)
            self.table.setCellWidget(r, 4, bar)
        live_page = QWidget()
        live = QVBoxLayout(live_page)
        live.addWidget(self.instructions)
        live.addWidget(self.table, 1)

        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        done_page = QWidget()
        QVBoxLayout(done_page).addWidget(self.summary, 1)

        self.pages = QStackedWidget()
        for page in (connect_page, live_page, live_page, done_page):
            if self.pages.indexOf(page) < 0:
                self.pages.addWidget(page)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setObjectName("error")
        self.back = QPushButton("Cancel")
        self.next = QPushButton("Connect")
        self.next.setDefault(True)
        self.back.clicked.connect(self.reject)
        self.next.clicked.connect(self._advance)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.back)
        buttons.addWidget(self.next)
        lay = QVBoxLayout(self)
        lay.addLayout(head)
        lay.addWidget(self.pages, 1)
        lay.addLayout(buttons)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._refresh)
        self.step = 0
        self._show_step()

    # -- steps -----------------------------------------------------------------------------------
    def _fill_ids(self, role: str) -> None:
        self.arm_id.clear()
        self.arm_id.addItems(calibration.existing_ids(role) or [role])

    def _show_where(self, *_):
        try:
            path = calibration.calibration_path(self.role.currentText(), self.arm_id.currentText().strip())
        except ValueError as exc:
            self.where.setText(f"✖ {exc}")
            return
        exists = "An existing file will be replaced" if path.exists() else "Will be saved as"
        self.where.setText(f"{exists}: {path}")

    def _port_path(self) -> str:
        i = self.port.currentIndex()
        if i >= 0 and self.port.itemText(i) == self.port.currentText():
            return self.port.itemData(i) or self.port.currentText().strip()
        return self.port.currentText().strip()

    def _show_step(self) -> None:
        for k, lab in enumerate(self.step_labels):
            weight = "700" if k == self.step else "400"
            colour = "#4e9bf5" if k == self.step else ("#8fd18f" if k < self.step else "#7a8490")
            lab.setStyleSheet(f"font-weight: {weight}; color: {colour}; margin-right: 18px;")
        self.pages.setCurrentIndex(min(self.step, 1) if self.step < 3 else 2)
        self.instructions.setText(TEXT.get(self.step, ""))
        self.next.setText(["Connect", "Set middle", "Write and save", "Close"][self.step])
        self.back.setVisible(self.step < 3)

    def _advance(self) -> None:
        self.message.setText("")
        try:
            if self.step == 0:
                self._connect()
            elif self.step == 1:
                self.session.set_middle()
            elif self.step == 2:
                path = calibration.calibration_path(self.session.role, self.session.arm_id)
                cal = self.session.finish(path)
                self.result_path = path
                rows = "".join(f"<tr><td>{j}</td><td align=right>{c.homing_offset}</td><td align=right>{c.range_min}"
                               f"</td><td align=right>{c.range_max}</td></tr>" for j, c in cal.items())
                self.summary.setText(f"<p>Written to the servos' EEPROM and saved to<br><b>{path}</b></p>"
                                     "<table cellspacing=6><tr><th align=left>joint</th><th>homing offset</th>"
                                     f"<th>range min</th><th>range max</th></tr>{rows}</table>"
                                     "<p>lerobot finds this file too (same id, same folder).</p>")
                self._timer.stop()
                self.session.bus.close()
            else:
                self.accept()
                return
        except (BusError, CalibrationError, ValueError) as exc:
            self.message.setText(f"✖ {exc}")
            return
        self.step += 1
        self._show_step()

    def _connect(self) -> None:
        port = self._port_path()
        if not port:
            raise ValueError("choose the arm's serial port")
        calibration.calibration_path(self.role.currentText(), self.arm_id.currentText().strip())  # validates
        bus = FeetechBus(port, timeout=0.03)
        self.session = CalibrationSession(bus, self.role.currentText(), self.arm_id.currentText().strip())
        try:
            self.session.start()
        except BusError:
            bus.close()
            self.session = None
            raise
        self._timer.start(50)

    def _refresh(self) -> None:
        s = self.session
        if s is None:
            return
        self.message.setText(f"✖ {s.error}" if s.error else "")
        for r, (joint, (lo, pos, hi)) in enumerate(s.snapshot().items()):
            for c, v in ((1, lo), (2, pos), (3, hi)):
                item = QTableWidgetItem("" if v is None else str(v))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
            self.bars[r].set_values(lo, pos, hi)

    def done(self, result: int) -> None:
        self._timer.stop()
        if self.session is not None and self.session.step != "done":
            self.session.stop()
            self.session.bus.close()
        super().done(result)


def _demo(argv: list[str]) -> int:
    import argparse
    import os
    import tempfile

    from PySide6.QtWidgets import QApplication

    from app.rig.sim_servo_bus import SimServoBus

    ap = argparse.ArgumentParser()
    ap.add_argument("--screenshot")
    args = ap.parse_args(argv)
    if args.screenshot:  # keep the demo's file out of the real calibration folder
        os.environ["HF_LEROBOT_CALIBRATION"] = tempfile.mkdtemp()
    app = QApplication.instance() or QApplication(sys.argv)
    try:
        from widgets.main_window import apply_style
        apply_style(app)
    except ImportError:
        pass
    sim = SimServoBus("follower")
    sim.move_by_hand("middle")
    dlg = CalibrationWizard("follower", sim.port, "so101_follower",
                            extra_ports=[(f"{sim.port}  [simulated follower]", sim.port)])
    dlg.show()
    try:
        if args.screenshot:
            def shot():
                dlg._advance()  # connect
                dlg._advance()  # middle set
                sim.move_by_hand("sweep")
                QTimer.singleShot(1050, lambda: (dlg.grab().save(args.screenshot), dlg.reject()))
            QTimer.singleShot(300, shot)
        else:
            dlg._advance()
        return dlg.exec()
    finally:
        sim.close()


if __name__ == "__main__":
    sys.exit(_demo(sys.argv[1:]))
