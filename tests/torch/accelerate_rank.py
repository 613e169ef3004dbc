"""One torchrun rank of tests/torch/test_torch_accelerate.py: lerobot-train's set-up (an Accelerator,
the DataLoader through accelerator.prepare) with accelerate's per-rank batch split, writing the
indices this rank trained on."""

import json
import os
import sys

import torch
from accelerate import Accelerator, DataLoaderConfiguration

from teleop_studio.streaming import StreamingLeRobotDataset

root, out = sys.argv[1], sys.argv[2]
# dispatch_batches=False: each rank iterates the dataset and keeps its own batches. (accelerate's
# default for iterable datasets, rank 0 dispatching, cannot batch lerobot's `task` strings at all.)
acc = Accelerator(cpu=True, dataloader_config=DataLoaderConfiguration(dispatch_batches=False))
ds = StreamingLeRobotDataset("fixtures/so101_3ep", root=root, buffer_size=32)
ds.set_epoch(0)
loader = acc.prepare(torch.utils.data.DataLoader(ds, batch_size=8, num_workers=2))
seen = [i for b in loader for i in b["index"].tolist()]
with open(os.path.join(out, f"rank{acc.process_index}.json"), "w") as f:
    json.dump({"seen": seen, "world": acc.num_processes}, f)
