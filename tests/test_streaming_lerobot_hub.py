"""LeRobotStream (numpy, no torch) over the Hub stand-in, as lerobot's root/repo_id semantics: no root
streams the repo, pinned to one commit, cached under HF_LEROBOT_HOME; streaming=False fetches the data
whole first, so iterating asks the Hub nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.hub_fixtures import hub  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent

CLIENT = r'''
import json, sys
from app.streaming.lerobot_stream import LeRobotStream
ds = LeRobotStream("fixtures/so101_3ep", streaming=sys.argv[1] == "1", shuffle=False, episodes=[1])
print("OPENED", flush=True)
sys.stdin.readline()
items = list(ds)
print(json.dumps({"n": len(items), "index": [int(x["index"]) for x in items], "rev": ds.revision,
                  "shape": list(items[0]["observation.images.front"].shape), "task": items[0]["task"]}))
'''


def run(hub, tmp_path, streaming: bool):  # noqa: F811
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(hub.client_env(tmp_path / "hf_home"), PYTHONPATH=str(ROOT), HF_LEROBOT_HOME=str(tmp_path / "lr"))
    p = subprocess.Popen([sys.executable, "-c", CLIENT, "1" if streaming else "0"], env=env, text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert p.stdout.readline().strip() == "OPENED", p.stderr.read()
        mark = len(hub.log)
        out, err = p.communicate("\n", timeout=120)
    finally:
        p.kill()
    assert p.returncode == 0, err[-2000:]
    return json.loads(out.strip().splitlines()[-1]), hub.requests_since(mark)


def test_hub_streaming_and_download_first(hub, tmp_path):  # noqa: F811
    got, _ = run(hub, tmp_path / "a", streaming=True)
    assert got["index"] == list(range(60, 105)) and got["shape"] == [3, 240, 320]
    assert got["task"] == "place the cube in the bowl" and len(got["rev"]) == 40
    assert any(r.path.endswith(".mp4") for r in hub.log)            # frames came from the Hub
    assert (tmp_path / "a" / "lr" / "teleop-studio" / "hub-ranges").is_dir()
    got, during = run(hub, tmp_path / "b", streaming=False)
    assert got["n"] == 45 and during == []                            # everything was fetched before
    # (small files such as this fixture's come whole with the metadata even when streaming)
