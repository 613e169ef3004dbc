"""Teleop Studio core: rig, recording, encoding, dataset format and Hub access. No widgets here."""


def __getattr__(name: str):
    # looked up when first asked for: importlib.metadata costs ~40 ms, at every command's start otherwise
    if name == "__version__":
        global __version__
        try:
            from importlib.metadata import version

            __version__ = version("teleop-studio")
        except Exception:  # running from a source tree that is not installed
            __version__ = "0.1.0"
        return __version__
    raise AttributeError(f"module 'app' has no attribute {name!r}")
