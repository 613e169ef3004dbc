"""No module of the studio uses a private huggingface_hub name: no `_`-prefixed module or name in an import
from huggingface_hub, and no `._name` attribute that huggingface_hub defines privately (read from its own
source) unless the studio defines that name itself. Scanned with ast, so comments and strings do not count."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import huggingface_hub

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "widgets", "teleop_studio")
_PRIVATE = re.compile(r"^_(?!_)")               # _name, not __dunder__


def _defined_names(sources) -> set[str]:
    """`_`-prefixed names a body of code defines: functions, classes, attributes and fields it assigns."""
    out = set()
    for text in sources:
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                out.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                out.add(node.id)
            elif isinstance(node, ast.arg):
                out.add(node.arg)
    return {n for n in out if _PRIVATE.match(n)}


def _hf_private_names() -> set[str]:
    pkg = Path(huggingface_hub.__file__).parent
    return _defined_names(p.read_text(encoding="utf-8", errors="ignore") for p in pkg.rglob("*.py")) | {
        p.stem for p in pkg.rglob("_*.py")} | {p.name for p in pkg.rglob("_*") if p.is_dir()}


def private_uses(text: str, private: set[str], ours: set[str]) -> list[str]:
    """What in `text` reaches a private huggingface_hub name."""
    tree = ast.parse(text)
    found = []
    imports_hf = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "huggingface_hub":
                    imports_hf = True
                    found += [a.name] if any(_PRIVATE.match(p) for p in a.name.split(".")) else []
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "huggingface_hub":
            imports_hf = True
            if any(_PRIVATE.match(p) for p in node.module.split(".")):
                found.append(node.module)
            found += [f"{node.module}.{a.name}" for a in node.names if _PRIVATE.match(a.name)]
    if imports_hf:
        found += [f"._{n.attr[1:]} (line {n.lineno})" for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                  and _PRIVATE.match(n.attr) and n.attr in private and n.attr not in ours]
    return found


def test_no_module_uses_a_private_huggingface_hub_name():
    files = [p for pkg in PACKAGES if (ROOT / pkg).is_dir() for p in (ROOT / pkg).rglob("*.py")]
    assert any(p.name == "push.py" for p in files) and len(files) > 20
    sources = {p: p.read_text(encoding="utf-8") for p in files}
    private, ours = _hf_private_names(), _defined_names(sources.values())
    assert {"_upload_mode", "_build_hf_headers", "_runtime", "_commit_api"} <= private
    bad = {str(p.relative_to(ROOT)): u for p, text in sources.items() if (u := private_uses(text, private, ours))}
    assert bad == {}


def test_the_scan_finds_what_push_used_to_do():
    private = _hf_private_names()
    old = '''
from huggingface_hub.lfs import post_lfs_batch_info
from huggingface_hub.utils._runtime import is_xet_available
from huggingface_hub import _commit_api, CommitOperationAdd
def f(api, op):
    api._build_hf_headers()
    return op._upload_mode == "lfs"
'''
    uses = private_uses(old, private, ours=set())
    assert "huggingface_hub.utils._runtime" in uses and "huggingface_hub._commit_api" in uses
    assert any("_build_hf_headers" in u for u in uses) and any("_upload_mode" in u for u in uses)
    assert private_uses("import json\nx = json._default_decoder", private, set()) == []   # not huggingface_hub
