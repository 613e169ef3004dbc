"""Where the window remembers things: an ini file, so a user can read it and tests can isolate it."""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings

from app.paths import config_dir

ORG, APP = "TeleopStudio", "teleop-studio"


def open_settings() -> QSettings:
    """$TELEOP_STUDIO_SETTINGS (an ini path) when set, otherwise <config dir>/teleop-studio.ini."""
    path = os.environ.get("TELEOP_STUDIO_SETTINGS")
    if not path:
        path = str(config_dir() / f"{APP}.ini")
    return QSettings(path, QSettings.Format.IniFormat)


def read_bool(settings: QSettings, key: str, default: bool) -> bool:
    """QSettings hands ini booleans back as the strings 'true'/'false'."""
    value = settings.value(key, default)
    if isinstance(value, str):
        return value.lower() in ("true", "1", "yes")
    return bool(value)
