"""The status bar: which rig, whether each device answers (cameras with measured fps), how far encoding
is behind (the studio model's "backlog" event), process CPU."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.rig.rig import Rig

OK, BAD = "#5ccf7a", "#ef5b5b"


class RigStatusBar(QStatusBar):
    def __init__(self, rig: Rig, parent: QWidget | None = None, events=None):
        """events: widgets.context.StudioEvents, whose "backlog" events the bar shows."""
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
        self.backlog_label = QLabel()
        self.backlog_label.setObjectName("EncodingBehind")
        self.backlog_label.setToolTip("Takes recorded but not encoded yet, and the encoding time left at the "
                                      "speed measured on this machine")
        self.backlog_label.hide()
        self.addWidget(self.devices_label, 1)
        self.addPermanentWidget(self.backlog_label)
        self.addPermanentWidget(self.cpu_label)
        if events is not None:
            events.event.connect(self._on_event)
        self._last_cpu = (time.monotonic(), time.process_time())
        self.cpu_percent = 0.0
        self.refresh()

    def _on_event(self, event: str, data) -> None:
        if event == "backlog":
            self.show_backlog(data)

    def show_backlog(self, behind) -> None:
        """behind: app.encoding.status.Behind; nothing is shown once encoding has caught up."""
        self.backlog_label.setText(behind.text())
        self.backlog_label.setVisible(behind.takes > 0)

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
