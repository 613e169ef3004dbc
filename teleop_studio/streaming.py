"""Stream a local or Hub LeRobot v3.0 dataset into a training loop, without downloading it.

`StreamingLeRobotDataset` takes lerobot 0.6.1's StreamingLeRobotDataset arguments and yields its
items. With torch installed (`pip install 'teleop-studio[torch]'`) it is a torch IterableDataset that
shards itself over DataLoader workers and torch.distributed ranks; without torch it is the same class
yielding numpy arrays. `StreamingDataset` is the plain numpy iterator (HWC uint8 frames, any source).
"""

from app.streaming import torch_available
from app.streaming.iterator import StreamingDataset
from app.streaming.sharding import Span, rank_length, share

if torch_available():
    from app.streaming.torch_adapter import StreamingLeRobotDataset
else:
    from app.streaming.lerobot_stream import LeRobotStream as StreamingLeRobotDataset

__all__ = ["StreamingLeRobotDataset", "StreamingDataset", "Span", "rank_length", "share"]
