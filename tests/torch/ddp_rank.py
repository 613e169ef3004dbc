"""One torchrun rank of tests/torch/test_torch_distributed.py: stream the fixture under a gloo
process group with 2 DataLoader workers, train a DistributedDataParallel model on every batch (ranks
with unequal batch counts would hang in backward), and write the indices this rank saw."""

import json
import os
import sys

import torch
import torch.distributed as dist

from teleop_studio.streaming import StreamingLeRobotDataset

root, out = sys.argv[1], sys.argv[2]
dist.init_process_group("gloo")
rank = dist.get_rank()
model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(6, 6))
opt = torch.optim.SGD(model.parameters(), lr=1e-3)
result = {}
for name, kw in {"all": {}, "pad": {"episodes": [0, 1]}, "drop_last": {"episodes": [0, 1], "drop_last": True}}.items():
    ds = StreamingLeRobotDataset("fixtures/so101_3ep", root=root, buffer_size=32,
                                 delta_timestamps={"action": [0, 1 / 30]}, **kw)
    for epoch in (0, 1):
        ds.set_epoch(epoch)
        loader = torch.utils.data.DataLoader(ds, batch_size=8, num_workers=2)
        seen = []
        for batch in loader:
            loss = model(batch["observation.state"]).sub(batch["action"][:, 1]).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            seen += batch["index"].tolist()
        result[f"{name}/{epoch}"] = {"seen": seen, "len": len(ds)}
with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
    json.dump(result, f)
dist.barrier()
dist.destroy_process_group()
