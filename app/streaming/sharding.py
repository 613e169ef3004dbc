"""Which frames each torch.distributed rank and DataLoader worker streams, so that together they read
every frame of an epoch exactly once.

The epoch's episode order (the same in every process: it depends on seed and epoch only) is laid end
to end as one sequence of F frames. As torch's DistributedSampler does with indices, the W ranks get
equal contiguous shares of it: with drop_last the last F mod W frames are left out, otherwise the
sequence is padded by repeating its start, so every rank has ceil(F/W) frames. Equal shares matter:
under DistributedDataParallel every rank must take the same number of steps, or training hangs.
Each rank's share is then cut into its DataLoader workers' shares the same way, without padding.

A share is a list of spans (episode, first frame, stop frame): whole episodes except at its two ends,
so a worker streams a run of whole episodes that is cut at most twice.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Span:
    episode: int
    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start


def rank_length(total: int, world: int, drop_last: bool) -> int:
    """Frames each rank streams per epoch (the same for every rank)."""
    if world < 1:
        raise ValueError(f"world size must be at least 1, got {world}")
    return total // world if drop_last else -(-total // world)


def share(order: Sequence[int], lengths: Sequence[int], rank: int = 0, world: int = 1,
          worker: int = 0, workers: int = 1, drop_last: bool = False) -> list[Span]:
    """The spans rank `rank` of `world`, worker `worker` of `workers` streams, in stream order.

    order: episode indices in the epoch's order; lengths: frames of each, in the same order.
    """
    if not 0 <= rank < world:
        raise ValueError(f"rank {rank} is outside 0..{world - 1}")
    if not 0 <= worker < workers:
        raise ValueError(f"worker {worker} is outside 0..{workers - 1}")
    starts = [0]
    for n in lengths:
        starts.append(starts[-1] + int(n))
    total = starts[-1]
    if total == 0:
        return []
    n = rank_length(total, world, drop_last)
    lo = rank * n + worker * n // workers
    hi = rank * n + (worker + 1) * n // workers
    spans: list[Span] = []
    p = lo
    while p < hi:                       # positions past the end wrap around to the start (padding)
        q = p % total
        i = bisect.bisect_right(starts, q) - 1
        end = min(starts[i + 1], q + hi - p)
        spans.append(Span(int(order[i]), q - starts[i], end - starts[i]))
        p += end - q
    return spans
