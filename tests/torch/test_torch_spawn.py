"""Spawned DataLoader workers (macOS's default start method) over the Hub stand-in: the dataset is
pickled without its open reader, each worker opens its own on the parent's commit, shares stay exact."""

from __future__ import annotations

import pytest

from tests.torch.conftest import NO_TORCH

torch = pytest.importorskip("torch", reason=NO_TORCH)

from tests.hub_fixtures import hub, run_hub_client  # noqa: E402, F401

SPAWNED = r'''
import json, os, torch
from teleop_studio.streaming import StreamingLeRobotDataset

if __name__ == "__main__":
    ds = StreamingLeRobotDataset("fixtures/so101_3ep", episodes=[0, 2], buffer_size=32)
    ds.set_epoch(0)
    loader = torch.utils.data.DataLoader(ds, batch_size=8, num_workers=2, multiprocessing_context="spawn")
    seen = [i for b in loader for i in b["index"].tolist()]
    print(json.dumps({"seen": seen, "cache": os.listdir(os.path.join(os.environ["HF_LEROBOT_HOME"], "teleop-studio"))}))
'''


def test_spawned_workers_open_their_own_reader_over_the_hub(hub, tmp_path):  # noqa: F811
    """Spawned workers (macOS's default) get the dataset pickled: no open reader, the parent's commit;
    the range cache lives under HF_LEROBOT_HOME as lerobot's Hub cache does."""
    script = tmp_path / "spawned.py"
    script.write_text(SPAWNED)
    out = run_hub_client(hub, f"import runpy; runpy.run_path({str(script)!r}, run_name='__main__')",
                         tmp_path / "hf_home", extra_env={"HF_LEROBOT_HOME": str(tmp_path / "lr")}, timeout=240)
    assert sorted(out["seen"]) == list(range(60)) + list(range(105, 180))
    assert out["cache"] == ["hub-ranges"]
