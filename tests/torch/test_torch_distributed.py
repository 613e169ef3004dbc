"""2 torchrun ranks x 2 DataLoader workers (gloo, one machine): the process group is found without
arguments, every frame is read exactly once per epoch, rank shares are equal (DDP trains through every
batch without hanging), drop_last / padding as DistributedSampler, and epochs reshuffle."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.torch.conftest import NO_TORCH

torch = pytest.importorskip("torch", reason=NO_TORCH)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "lerobot_so101_3ep"


def test_two_ranks_two_workers_cover_every_frame_once(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                           str(HERE / "ddp_rank.py"), str(FIXTURE), str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]

    for epoch in (0, 1):
        a, b = (r[f"all/{epoch}"]["seen"] for r in ranks)
        assert len(a) == len(b) == 90 and ranks[0][f"all/{epoch}"]["len"] == 90
        assert sorted(a + b) == list(range(180))            # 180 frames, each once, across 2 x 2 shares
        # episodes 0 and 1 are 60 + 45 = 105 frames: padding repeats one, drop_last leaves one out
        p, q = (r[f"pad/{epoch}"]["seen"] for r in ranks)
        assert len(p) == len(q) == 53
        count = Counter(p + q)
        assert set(count) == set(range(105)) and sorted(count.values()).count(2) == 1
        d, e = (r[f"drop_last/{epoch}"]["seen"] for r in ranks)
        assert len(d) == len(e) == 52 and len(set(d + e)) == 104 and set(d + e) <= set(range(105))
    assert ranks[0]["all/0"]["seen"] != ranks[0]["all/1"]["seen"]     # set_epoch reshuffles
