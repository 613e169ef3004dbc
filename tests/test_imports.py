"""Every module of the product imports: a module moved or renamed by one change cannot leave a stale
import in another that only a rarely-taken path (an error handler) would reach."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import app
import widgets

MODULES = sorted(m.name for pkg in (app, widgets)
                 for m in pkgutil.walk_packages(pkg.__path__, prefix=pkg.__name__ + ".")
                 if not m.name.endswith("__main__"))
NEEDS_TORCH = {"app.streaming.torch_adapter"}  # the torch extra; tests/torch imports it with torch


@pytest.mark.parametrize("name", MODULES)
def test_module_imports(name):
    if name in NEEDS_TORCH:
        pytest.importorskip("torch")
    assert importlib.import_module(name) is not None


def test_lazy_imports_name_existing_things():
    """`from X import Y` inside functions: X must exist and define Y."""
    import ast
    from pathlib import Path

    bad = []
    for name in MODULES:
        if name in NEEDS_TORCH:
            continue
        mod = importlib.import_module(name)
        if not getattr(mod, "__file__", None):
            continue
        tree = ast.parse(Path(mod.__file__).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and \
                    node.module.split(".")[0] in ("app", "widgets", "teleop_studio"):
                try:
                    target = importlib.import_module(node.module)
                except ImportError as e:
                    bad.append(f"{name}: {node.module}: {e}")
                    continue
                for alias in node.names:
                    if alias.name != "*" and not hasattr(target, alias.name):
                        try:
                            importlib.import_module(f"{node.module}.{alias.name}")
                        except ImportError:
                            bad.append(f"{name}: from {node.module} import {alias.name}")
    assert not bad, "\n".join(bad)
