"""lerobot's StreamingLeRobotDataset training loop with `teleop_studio.streaming` swapped in, on real
torch: items typed and shaped as lerobot 0.6.1's, DataLoader workers covering every frame once per
epoch, set_epoch, uint8 frames and image_transforms."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.torch.conftest import NO_TORCH

torch = pytest.importorskip("torch", reason=NO_TORCH)
pytestmark = pytest.mark.filterwarnings("ignore:This DataLoader will create")   # 4 workers on 2 cores

from teleop_studio.streaming import StreamingLeRobotDataset  # noqa: E402
from tests.hub_fixtures import hub, run_hub_client  # noqa: E402, F401

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "lerobot_so101_3ep"

# What lerobot 0.6.1's LeRobotDataset returns for this fixture with these delta_timestamps (read with
# lerobot itself, see tests/fixtures/README.md): key -> (dtype, shape). Its streaming class matches it
# except that the five scalars come out as Python numbers there; both batch to shape (B,).
DELTAS = {"action": [0, 1 / 30], "observation.images.front": [-1 / 30, 0]}
LEROBOT_ITEM = {
    "observation.images.front": ("torch.float32", [2, 3, 240, 320]),
    "observation.images.wrist": ("torch.float32", [3, 240, 320]),
    "observation.state": ("torch.float32", [6]),
    "action": ("torch.float32", [2, 6]),
    "timestamp": ("torch.float32", []),
    "frame_index": ("torch.int64", []),
    "episode_index": ("torch.int64", []),
    "index": ("torch.int64", []),
    "task_index": ("torch.int64", []),
    "action_is_pad": ("torch.bool", [2]),
    "observation.images.front_is_pad": ("torch.bool", [2]),
    "task": ("str", None),
}

# A loop as written for lerobot: only the import line differs.
TRAIN = r'''
import json, sys
import torch
from teleop_studio.streaming import StreamingLeRobotDataset   # was: from lerobot.datasets.streaming_dataset import ...

delta_timestamps = {"action": [0, 1 / 30], "observation.images.front": [-1 / 30, 0]}
dataset = StreamingLeRobotDataset("fixtures/so101_3ep", delta_timestamps=delta_timestamps, buffer_size=100)
item = next(iter(dataset))
types = {k: (str(v.dtype), list(v.shape)) if torch.is_tensor(v) else (type(v).__name__, None) for k, v in item.items()}

model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.LazyLinear(12))
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
dataloader = torch.utils.data.DataLoader(dataset, batch_size=16, num_workers=2, drop_last=False)
steps, seen, losses = 0, [], []
for batch in dataloader:
    x = torch.cat([batch["observation.images.front"][:, -1, :, ::16, ::16].flatten(1),
                   batch["observation.state"]], dim=1)
    loss = torch.nn.functional.mse_loss(model(x), batch["action"].flatten(1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    steps += 1
    seen += batch["index"].tolist()
    losses.append(loss.item())
print(json.dumps({"types": types, "steps": steps, "seen": seen, "losses": losses,
                  "batch_task": type(batch["task"]).__name__, "qt": "PySide6" in sys.modules,
                  "num_frames": dataset.num_frames, "fps": dataset.fps,
                  "stats_keys": sorted(dataset.meta.stats), "revision": dataset.revision}))
'''


def test_lerobot_training_loop_runs_unchanged_over_the_hub(hub, tmp_path):  # noqa: F811
    out = run_hub_client(hub, TRAIN, tmp_path / "hf_home", timeout=240)
    assert {k: (t, s) for k, (t, s) in out["types"].items()} == {k: tuple(v) for k, v in LEROBOT_ITEM.items()}
    assert sorted(out["seen"]) == list(range(180))          # one epoch = every frame once
    assert out["steps"] >= 180 // 16 and out["batch_task"] == "list"
    assert all(loss == loss for loss in out["losses"])       # finite: the batches were real numbers
    assert (out["num_frames"], out["fps"]) == (180, 30) and "observation.state" in out["stats_keys"]
    assert len(out["revision"]) == 40                        # pinned to the commit it resolved
    assert out["qt"] is False
    reqs = [r.path for r in hub.log]
    assert any("/resolve/" in p and p.endswith(".mp4") for p in reqs)   # frames came from the Hub


def indices(ds, **loader_kw):
    loader = torch.utils.data.DataLoader(ds, batch_size=loader_kw.pop("batch_size", 8), **loader_kw)
    return [i for b in loader for i in b["index"].tolist()]


@pytest.mark.parametrize("workers", [0, 1, 4])
def test_dataloader_workers_read_every_frame_once(workers):
    ds = StreamingLeRobotDataset("fixtures/so101_3ep", root=FIXTURE, buffer_size=64)
    ds.set_epoch(1)
    got = indices(ds, num_workers=workers)
    assert sorted(got) == list(range(180))
    assert len(ds) == 180


def test_set_epoch_reshuffles_and_repeats():
    ds = StreamingLeRobotDataset("fixtures/so101_3ep", root=FIXTURE, buffer_size=64)
    ds.set_epoch(0)
    a = indices(ds, num_workers=2)
    b = indices(ds, num_workers=2)
    ds.set_epoch(1)
    c = indices(ds, num_workers=2)
    assert a == b and a != c and sorted(a) == sorted(c) == list(range(180))
    # without set_epoch each pass differs, as with lerobot's generator; with shuffle=False none does
    d = StreamingLeRobotDataset("fixtures/so101_3ep", root=FIXTURE, buffer_size=64)
    assert indices(d, num_workers=2) != indices(d, num_workers=2)
    plain = StreamingLeRobotDataset("fixtures/so101_3ep", root=FIXTURE, shuffle=False)
    assert indices(plain) == list(range(180))


def test_set_epoch_reaches_persistent_workers():
    ds = StreamingLeRobotDataset("fixtures/so101_3ep", root=FIXTURE, buffer_size=64)
    loader = torch.utils.data.DataLoader(ds, batch_size=8, num_workers=2, persistent_workers=True)
    orders = []
    for epoch in (0, 1, 0):
        ds.set_epoch(epoch)
        orders.append([i for b in loader for i in b["index"].tolist()])
    assert orders[0] != orders[1] and orders[0] == orders[2]
    assert sorted(orders[1]) == list(range(180))


def test_uint8_frames_and_image_transforms():
    ds = StreamingLeRobotDataset("fixtures/so101_3ep", root=FIXTURE, episodes=[1], return_uint8=True,
                                 shuffle=False)
    item = next(iter(ds))
    front = item["observation.images.front"]
    assert front.dtype == torch.uint8 and front.shape == (3, 240, 320)
    assert front.stride() == (1, 320 * 3, 3)    # lerobot's torchcodec frames: a CHW view of HWC memory, no copy
    flt = next(iter(StreamingLeRobotDataset("fixtures/so101_3ep", root=FIXTURE, episodes=[1], shuffle=False)))
    assert torch.allclose(flt["observation.images.front"], front.float() / 255)
    assert int(item["episode_index"]) == 1 and item["task"] == "place the cube in the bowl"

    def crop(img):
        return img[..., 10:110, 20:220]

    t = StreamingLeRobotDataset("fixtures/so101_3ep", root=FIXTURE, episodes=[0], image_transforms=crop,
                                delta_timestamps=DELTAS, shuffle=False)
    item = next(iter(t))
    assert item["observation.images.front"].shape == (2, 3, 100, 200)
    assert item["observation.images.wrist"].shape == (3, 100, 200)
    assert item["observation.images.front_is_pad"].tolist() == [True, False]   # frame 0 has no past
