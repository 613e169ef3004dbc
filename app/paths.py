"""Where the studio keeps its files: per-user dirs from platformdirs, overridable for tests."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "teleop-studio"


def _dir(env: str, default: str) -> Path:
    path = Path(os.environ.get(env) or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    return _dir("TELEOP_STUDIO_LOG_DIR", platformdirs.user_log_dir(APP_NAME))


def data_dir() -> Path:
    """Default parent of recorded datasets and their spools."""
    return _dir("TELEOP_STUDIO_DATA_DIR", platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    return _dir("TELEOP_STUDIO_CACHE_DIR", platformdirs.user_cache_dir(APP_NAME))


def config_dir() -> Path:
    return _dir("TELEOP_STUDIO_CONFIG_DIR", platformdirs.user_config_dir(APP_NAME))
