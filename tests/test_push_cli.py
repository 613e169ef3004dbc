"""`teleop-studio push` and `record --push-to-hub` as processes against the writable Hub stand-in."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from app.hub.push_files import committed_files
from tests.hub_server_write import WriteHubServer
from tests.push_helpers import TOKEN, make_dataset, remote_files

ROOT = Path(__file__).resolve().parent.parent


def cli(hub, tmp_path, *args, token=TOKEN, timeout=90):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(hub.client_env(tmp_path / "hf_home"), QT_QPA_PLATFORM="offscreen",
               TELEOP_STUDIO_LOG_DIR=str(tmp_path / "logs"))
    env.pop("HF_HUB_DISABLE_XET")          # the default install: Xet first, then the fall back to LFS
    if token:
        env["HF_TOKEN"] = token
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_push_command_then_missing_token(tmp_path):
    root = make_dataset(tmp_path / "ds", episodes=1)
    with WriteHubServer(tmp_path / "hub") as hub:
        r = cli(hub, tmp_path, "push", str(root), "--repo-id", "studio/cli", "--private", "--tags", "so101")
        assert r.returncode == 0, r.stderr
        assert "pushed 8 changed file(s)" in r.stdout and "tag v3.0" in r.stdout
        if importlib.util.find_spec("hf_xet"):
            assert r.stdout.count("note: Xet storage could not be reached") == 1
        remote = remote_files(hub, "studio/cli")
        assert all(remote[k] == p.read_bytes() for k, p in committed_files(root).items())
        assert hub.repos["studio/cli"].private
        r2 = cli(hub, tmp_path, "push", str(root), "--repo-id", "studio/cli2", token=None)
        assert r2.returncode == 1 and "No Hugging Face token found" in r2.stderr and "Traceback" not in r2.stderr
        r3 = cli(hub, tmp_path, "push", str(tmp_path), "--repo-id", "studio/cli3")
        assert r3.returncode == 2 and "not a dataset" in r3.stderr
    logs = "".join(p.read_text() for p in (tmp_path / "logs").glob("*.log*"))
    for text in (r.stdout, r.stderr, r2.stdout, r2.stderr, logs):
        assert TOKEN not in text


def test_record_push_to_hub(tmp_path):
    root = tmp_path / "rec"
    with WriteHubServer(tmp_path / "hub") as hub:
        r = cli(hub, tmp_path, "--log-level", "WARNING", "record", "--sim", "--root", str(root),
                "--repo-id", "studio/recorded", "--task", "pick the cube", "--fps", "30", "--cameras", "1",
                "--width", "64", "--height", "48", "--vcodec", "h264", "--episodes", "1",
                "--episode-time-s", "0.5", "--reset-time-s", "0.1", "--push-to-hub")
        assert r.returncode == 0, r.stderr
        assert "1 episode(s) committed" in r.stdout and "tag v3.0" in r.stdout
        remote = remote_files(hub, "studio/recorded")
        assert all(remote[k] == p.read_bytes() for k, p in committed_files(root).items())
        assert not any(k.startswith(".studio") for k in remote)
        assert "v3.0" in hub.repos["studio/recorded"].tags
