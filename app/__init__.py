"""Teleop Studio core: rig, recording, encoding, dataset format and Hub access. No widgets here."""

try:
    from importlib.metadata import version as _version

    __version__ = _version("teleop-studio")
except Exception:  # running from a source tree that is not installed
    __version__ = "0.1.0"
