"""Pytest fixtures around the Hub stand-in (tests/hub_server.py); registered from tests/conftest.py.

`hub`: a running HubServer serving the shared fixture datasets as `fixtures/so101_3ep` and
`fixtures/state_only_2ep` (tag v3.0, branch main). `run_hub_client(hub, code)` runs Python code in a
fresh interpreter whose huggingface_hub points at the server, and returns what it printed as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hub_server import HubServer

FIXTURE_REPOS = {"fixtures/so101_3ep": "lerobot_so101_3ep", "fixtures/state_only_2ep": "lerobot_state_only_2ep"}
TOKEN = "hf_teststudiotokenAAAAAAAAAAAA"


@pytest.fixture
def hub(fixtures_dir):
    with HubServer(tokens=(TOKEN,)) as server:
        for repo_id, folder in FIXTURE_REPOS.items():
            server.add_dataset(repo_id, fixtures_dir / folder)
        yield server


def run_hub_client(hub: HubServer, code: str, hf_home: Path, extra_env: dict | None = None, timeout=60):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(hub.client_env(hf_home), **(extra_env or {}))
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])
