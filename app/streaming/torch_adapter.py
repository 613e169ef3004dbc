"""StreamingLeRobotDataset: a drop-in for lerobot 0.6.1's class of that name, as a torch IterableDataset.

    from teleop_studio.streaming import StreamingLeRobotDataset      # instead of lerobot's
    ds = StreamingLeRobotDataset("lerobot/svla_so101_pickplace", delta_timestamps={"action": [0, 1 / 30]})
    loader = torch.utils.data.DataLoader(ds, batch_size=32, num_workers=4)

Same constructor arguments, defaults and item layout (lerobot_stream.py says what each means here).
It shards itself: each DataLoader worker streams its own share, and when a torch.distributed process
group is initialised (torchrun), so does each rank, with equal shares (drop_last=False pads by
repeating frames, as DistributedSampler does). split_by_node=False leaves ranks unsharded, for
loaders that split batches across ranks themselves (accelerate's prepare() does, so under an
initialised Accelerator it is the default); rank=/world_size= give the split by hand.

torch is not a dependency of the studio: importing this module without it raises ImportError with
the pip command; lerobot_stream.LeRobotStream yields the same items as numpy arrays.
"""

from __future__ import annotations

import sys

try:
    import torch
    from torch.utils.data import IterableDataset, get_worker_info
except ImportError as exc:  # pragma: no cover - depends on the machine
    raise ImportError("StreamingLeRobotDataset needs PyTorch, which the studio does not install: "
                      "`pip install 'teleop-studio[torch]'` (or `pip install torch`), or use "
                      "app.streaming.lerobot_stream.LeRobotStream (numpy items)") from exc

import numpy as np

from app.streaming.lerobot_stream import LeRobotStream


def _accelerate_shards() -> bool:
    """True when an initialised accelerate Accelerator runs this process: its prepare() splits an
    iterable dataset across ranks itself (rank 0 dispatches batches, or each rank keeps every
    world-th batch), so sharding ranks here too would drop data."""
    state = sys.modules.get("accelerate.state")
    shared = getattr(getattr(state, "AcceleratorState", None), "_shared_state", None)
    return bool(shared)


def to_torch(item: dict) -> dict:
    """numpy arrays -> tensors (0-d stays 0-d); str and lists as they are."""
    return {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in item.items()}


class StreamingLeRobotDataset(LeRobotStream, IterableDataset):
    __doc__ = __doc__

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # in shared memory, as HF datasets keeps its epoch: persistent DataLoader workers see set_epoch
        self._shared_epoch = torch.zeros(2, dtype=torch.int64).share_memory_()

    def set_epoch(self, epoch: int) -> None:
        self._shared_epoch[0], self._shared_epoch[1] = int(epoch), 1

    def epoch(self) -> tuple[int, bool]:
        return int(self._shared_epoch[0]), bool(self._shared_epoch[1])

    def node(self) -> tuple[int, int]:
        if self._node is not None:
            return self._node
        if self.split_by_node is False or (self.split_by_node is None and _accelerate_shards()):
            return 0, 1
        dist = torch.distributed
        if dist.is_available() and dist.is_initialized():
            return dist.get_rank(), dist.get_world_size()
        return 0, 1

    def worker(self) -> tuple[int, int, int | None]:
        info = get_worker_info()
        if info is None:
            return 0, 1, None
        return info.id, info.num_workers, info.seed - info.id

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        if state["_node"] is None:        # spawned workers cannot see the parent's process group
            state["_node"] = self.node()
        return state

    def __iter__(self):
        for item in self.raw_frames():
            yield self._transform(to_torch(self.to_lerobot(item)))
