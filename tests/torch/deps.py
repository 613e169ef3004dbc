"""Print what .venv-torch needs besides torch, one requirement a line (used by `make test`).

The core's dependencies without Qt (the training API never imports it) and the test runner, with the
pins pyproject.toml gives them, so the two venvs cannot drift apart.
"""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

QT = ("pyside6", "pyqtgraph")
RUNNER = ("pytest", "pytest-timeout")
# lerobot-train's launcher: test_torch_accelerate.py checks that ranks are left to its prepare()
EXTRA = ("accelerate>=1,<2",)

project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())["project"]


def name(req: str) -> str:
    return re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0].lower()


for req in project["dependencies"]:
    if not name(req).startswith(QT):
        print(req)
for req in project["optional-dependencies"]["test"]:
    if name(req) in RUNNER:
        print(req)
# accelerate requires torch: asked for without the CPU wheel in place, pip would fetch the multi-GB CUDA build
if importlib.util.find_spec("torch") is not None:
    for req in EXTRA:
        print(req)
