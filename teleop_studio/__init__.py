"""Teleop Studio's public Python API for training on LeRobot v3.0 datasets.

    from teleop_studio.streaming import StreamingLeRobotDataset

The implementation lives in the studio's Qt-free core (the `app` package); nothing here imports Qt.
"""

from app import __version__

__all__ = ["__version__"]
