"""A torch IterableDataset over StreamingDataset, for training loops; only when torch is installed.

torch is not a dependency of the studio: importing this module without it raises ImportError with
the pip command. Each DataLoader worker opens its own reader and streams every num_workers-th
episode of the selection (so no frame is seen twice per epoch), with its own shuffle seed.
Images become float32 CHW in [0, 1] and scalars 0-d tensors, as lerobot's datasets return them.
"""

from __future__ import annotations

try:
    import torch
    from torch.utils.data import IterableDataset, get_worker_info
except ImportError as exc:  # pragma: no cover - depends on the machine
    raise ImportError("the torch adapter needs PyTorch, which the studio does not install: "
                      "`pip install torch` in this environment, or use "
                      "app.streaming.iterator.StreamingDataset (numpy) directly") from exc

import numpy as np

from app.streaming.iterator import StreamingDataset


def to_torch(item: dict, image_keys: set[str]) -> dict:
    out = {}
    for k, v in item.items():
        if isinstance(v, np.ndarray) and v.dtype != object:
            t = torch.from_numpy(np.ascontiguousarray(v))
            if k in image_keys:    # (..., H, W, 3) uint8 -> (..., 3, H, W) float in [0, 1]
                t = t.movedim(-1, -3).float().div_(255.0)
            out[k] = t
        else:
            out[k] = v
    return out


class TorchStreamingDataset(IterableDataset):
    def __init__(self, source, **kwargs):
        super().__init__()
        self.source, self.kwargs = source, kwargs
        self._epoch = 0
        probe = StreamingDataset(source, **{**kwargs, "video": False, "delta_timestamps": None})
        self.episodes = probe.episodes
        self.image_keys = set(probe.reader.video_keys) | {
            k for k, ft in probe.features.items() if ft["dtype"] == "image"}
        self._len = len(probe)
        probe.close()

    def __len__(self) -> int:
        return self._len

    def set_epoch(self, epoch: int) -> None:
        self._epoch = int(epoch)

    def __iter__(self):
        info = get_worker_info()
        wid, n = (info.id, info.num_workers) if info is not None else (0, 1)
        kwargs = dict(self.kwargs)
        eps = list(self.episodes)
        if kwargs.get("shuffle"):      # a new split of episodes among workers every epoch
            rng = np.random.default_rng([int(kwargs.get("seed", 42)), self._epoch])
            eps = [eps[i] for i in rng.permutation(len(eps))]
        kwargs["episodes"] = eps[wid::n]
        kwargs["seed"] = int(kwargs.get("seed", 42)) + 1_000_003 * wid
        if not kwargs["episodes"]:
            return
        ds = StreamingDataset(self.source, **kwargs)
        ds.set_epoch(self._epoch)
        try:
            for item in ds:
                yield to_torch(item, self.image_keys)
        finally:
            ds.close()
