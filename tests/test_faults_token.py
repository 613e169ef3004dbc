"""An HF token in the environment during a whole session (record at DEBUG log level, then push to the
Hub stand-in) appears in no file the studio wrote: logs, dataset root with .studio, settings, caches,
the pushed repo, and not in the command's output either."""

from __future__ import annotations

import os
import random
import string
import subprocess
import sys
from pathlib import Path

from tests.hub_server_write import WriteHubServer

ROOT = Path(__file__).resolve().parent.parent


def test_fake_token_is_written_nowhere(tmp_path):
    token = "hf_" + "".join(random.choice(string.ascii_letters) for _ in range(34))
    dirs = {name: tmp_path / name for name in ("logs", "data", "cache", "config", "hf_home")}
    root = tmp_path / "rec"
    with WriteHubServer(tmp_path / "hub", tokens=(token,)) as hub:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
        env.update(hub.client_env(dirs["hf_home"]), QT_QPA_PLATFORM="offscreen", HF_TOKEN=token,
                   TELEOP_STUDIO_LOG_DIR=str(dirs["logs"]), TELEOP_STUDIO_DATA_DIR=str(dirs["data"]),
                   TELEOP_STUDIO_CACHE_DIR=str(dirs["cache"]), TELEOP_STUDIO_CONFIG_DIR=str(dirs["config"]),
                   TELEOP_STUDIO_SETTINGS=str(dirs["config"] / "settings.ini"))
        env.pop("HF_HUB_DISABLE_XET")      # the default install, Xet fall back included
        r = subprocess.run([sys.executable, "-m", "app", "--log-level", "DEBUG", "record", "--sim", "--root", str(root),
                            "--repo-id", "studio/secret", "--task", "pick the cube", "--fps", "30", "--cameras", "1",
                            "--width", "64", "--height", "48", "--vcodec", "h264", "--episodes", "2",
                            "--episode-time-s", "0.4", "--reset-time-s", "0.1", "--push-to-hub"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr[-2000:]
        assert "2 episode(s) committed" in r.stdout
        assert any(req.path.endswith("/commit/main") or "/commit/" in req.path for req in hub.log), \
            "the push never reached the stand-in, so the token was never used"
    written = [p for d in [root, tmp_path / "hub", *dirs.values()] if d.exists() for p in d.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in written) and any(p.is_relative_to(dirs["logs"]) for p in written)
    assert any(p.is_relative_to(root / ".studio") for p in written)
    needle = token.encode()
    leaks = [str(p) for p in written if needle in p.read_bytes()]
    assert not leaks, leaks
    assert token not in r.stdout and token not in r.stderr
