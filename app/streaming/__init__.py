"""Streaming iterator: frames of a local or Hub LeRobot v3.0 dataset, without downloading it.

`StreamingDataset` (iterator.py) is numpy-only; `torch_adapter.TorchStreamingDataset` wraps it for
torch DataLoaders when torch is installed (`torch_available()`).
"""

from __future__ import annotations

import importlib.util


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None
