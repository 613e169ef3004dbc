"""lerobot 0.6.1's conventions: the v2.1 -> v3.0 conversion command we name, and HF_LEROBOT_HOME wherever
lerobot reads it (its datasets at $HF_LEROBOT_HOME/<owner>/<name>, its Hub snapshots under .../hub)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from app.hub.remote_fs import _v2_message
from app.hub.search import find_local, hf_cache_dirs

COMPAT = Path("/root/.cache/teleop-studio/lerobot-compat-venv/lib/python3.12/site-packages")


def test_conversion_hint_names_lerobot_0_6_1_module():
    hint = _v2_message("lab/old", "v2.1")
    module = re.search(r"python -m ([\w.]+)", hint).group(1)
    assert module == "lerobot.scripts.convert_dataset_v21_to_v30" and "--repo-id=lab/old" in hint
    if (COMPAT / "lerobot").is_dir():              # the opt-in lerobot venv (make compat), when present
        assert (COMPAT / (module.replace(".", "/") + ".py")).is_file()


def test_local_datasets_are_found_under_hf_lerobot_home(tmp_path, monkeypatch, fixtures_dir):
    home = tmp_path / "lerobot_home"
    monkeypatch.setenv("HF_LEROBOT_HOME", str(home))
    src = next(p for p in fixtures_dir.iterdir() if (p / "meta" / "info.json").is_file())
    shutil.copytree(src / "meta", home / "lab" / "pick" / "meta")
    snap = home / "hub" / "datasets--lab--place" / "snapshots" / ("a" * 40)
    shutil.copytree(src / "meta", snap / "meta")
    dirs = hf_cache_dirs()
    assert home in dirs and home / "hub" in dirs
    found = {d.root for d in find_local([(d, "hf cache") for d in dirs if d.is_dir()])}
    assert {home / "lab" / "pick", snap} <= found
    monkeypatch.delenv("HF_LEROBOT_HOME")
    assert home not in hf_cache_dirs()
    assert json.loads((home / "lab" / "pick" / "meta" / "info.json").read_text())["codebase_version"] == "v3.0"
