"""The status bar: which rig, whether each device answers (cameras with measured fps), process CPU."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.rig.rig import Rig

OK, BAD = "#5ccf7a", "#ef5b5b"


class RigStatusBar(QStatusBar):
    def __init__(self, rig: Rig, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("RigStatusBar")
        self.rig = rig
        self.rig_label = QLabel()
        self.rig_label.setObjectName("RigKind")
        self.devices_label = QLabel()
        self.devices_label.setMinimumWidth(1)  # clipped on a narrow window rather than widening it
        self.cpu_label = QLabel("CPU –")
        self.cpu_label.setToolTip("CPU used by the studio process, in % of one core")
        self.addWidget(self.rig_label)
        self.addWidget(self.devices_label, 1)
        self.addPermanentWidget(self.cpu_label)
        self._last_cpu = (time.monotonic(), time.process_time())
        self.cpu_percent = 0.0
        self.refresh()

    def refresh(self) -> None:
        kind = "Simulated rig" if self.rig.simulated else "Hardware rig"
        self.rig_label.setText(f"{kind}: {self.rig.name}")
        parts = []
        for dev in self.rig.status():
            colour = OK if dev.connected else BAD
            text = dev.detail if dev.kind == "camera" or not dev.connected else "connected"
            parts.append(f"<span style='color:{colour}'>●</span> {dev.name} <span style='color:#9aa3ad'>{text}</span>")
        self.devices_label.setText("&nbsp;&nbsp;&nbsp;".join(parts) or "no devices")
        now, cpu = time.monotonic(), time.process_time()
        wall = now - self._last_cpu[0]
        if wall > 0.2:
            self.cpu_percent = 100.0 * (cpu - self._last_cpu[1]) / wall
            self._last_cpu = (now, cpu)
            self.cpu_label.setText(f"CPU {self.cpu_percent:.0f} %")
