"""What every panel gets from the main window: the rig, its Qt bridge, the settings, the window."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings

from app.qtbridge import RigBridge
from app.rig.rig import Rig

if TYPE_CHECKING:
    from widgets.main_window import MainWindow


@dataclass
class StudioContext:
    rig: Rig
    bridge: RigBridge
    settings: QSettings
    window: "MainWindow | None" = None
    # model objects panels share (e.g. "session", "encode_queue", "dataset_root"); the panel that
    # creates one stores it here, the others look it up
    shared: dict[str, Any] = field(default_factory=dict)
