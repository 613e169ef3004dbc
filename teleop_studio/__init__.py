"""Teleop Studio's public Python API for training on LeRobot v3.0 datasets.

    from teleop_studio.streaming import StreamingLeRobotDataset

The implementation lives in the studio's Qt-free core (the `app` package); nothing here imports Qt.
"""

__all__ = ["__version__"]


def __getattr__(name: str):
    if name == "__version__":
        import app

        return app.__version__
    raise AttributeError(f"module 'teleop_studio' has no attribute {name!r}")
