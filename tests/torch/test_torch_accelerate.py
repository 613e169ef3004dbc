"""Under accelerate (lerobot-train launches with it) the dataset leaves the split across ranks to
accelerator.prepare(), which splits iterable datasets itself: sharding ranks here too would silently
train on half the data. 2 torchrun ranks x 2 DataLoader workers: every frame is trained on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.torch.conftest import NO_TORCH

torch = pytest.importorskip("torch", reason=NO_TORCH)
pytest.importorskip("accelerate", reason="accelerate is not installed in this venv (make test installs it)")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "lerobot_so101_3ep"


def test_accelerate_prepare_splits_ranks_and_every_frame_is_seen(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                           str(HERE / "accelerate_rank.py"), str(FIXTURE), str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["world"] for r in ranks] == [2, 2]
    a, b = ranks[0]["seen"], ranks[1]["seen"]
    assert len(a) == len(b)                                  # accelerate evens the ranks out
    assert set(a) | set(b) == set(range(180))                # nothing lost to double sharding
    assert len(a) + len(b) - 180 < 180 // 4                  # repeats are accelerate's end-of-epoch padding
