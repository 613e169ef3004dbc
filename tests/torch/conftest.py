"""tests/torch: the training API with real torch (the CPU wheel is enough). `make test` runs them in
.venv-torch; the main run never collects this folder (pyproject norecursedirs).

Without torch each module skips, saying why; with REQUIRE_TORCH_TESTS=1 (CI) a missing torch fails.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

NO_TORCH = ("torch is not installed in this venv, so the training tests cannot run: `make test` installs "
            "the CPU wheel into .venv-torch when pip can find it (find-links, or PyTorch's CPU index)")


def pytest_configure(config):
    if os.environ.get("REQUIRE_TORCH_TESTS") and importlib.util.find_spec("torch") is None:
        raise pytest.UsageError(f"REQUIRE_TORCH_TESTS is set but {NO_TORCH}")
