"""What every panel gets from the main window: the rig, its Qt bridge, the settings, the window, the
studio model (app.studio.Studio) with its events on the GUI thread, and the background-work runner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal

from app.qtbridge import RigBridge
from app.rig.rig import Rig

if TYPE_CHECKING:
    from app.studio import Studio
    from widgets.main_window import MainWindow
    from widgets.tasks import TaskRunner


class StudioEvents(QObject):
    """The model's events re-emitted on the GUI thread (`event(name, data)`), and the model's clock:
    `Studio.poll()` runs ten times a second on the GUI thread."""

    event = Signal(str, object)
    _hop = Signal(str, object)

    def __init__(self, studio: "Studio", parent: QObject | None = None):
        super().__init__(parent)
        self.studio = studio
        self._hop.connect(self.event.emit, Qt.ConnectionType.QueuedConnection)
        self._forward = self._hop.emit
        studio.subscribe(self._forward)
        self.clock = QTimer(self)
        self.clock.timeout.connect(studio.poll)
        self.clock.start(100)

    def detach(self) -> None:
        self.clock.stop()
        self.studio.unsubscribe(self._forward)


@dataclass
class StudioContext:
    rig: Rig
    bridge: RigBridge
    settings: QSettings
    window: "MainWindow | None" = None
    studio: "Studio | None" = None
    events: StudioEvents | None = None
    tasks: "TaskRunner | None" = None
