"""LeRobotStream: lerobot 0.6.1's StreamingLeRobotDataset constructor and item layout over our
streaming iterator, sharded over torch.distributed ranks and DataLoader workers; numpy only.

torch_adapter.StreamingLeRobotDataset is this class as a torch IterableDataset with tensor items
(the one training scripts use: `teleop_studio.streaming.StreamingLeRobotDataset`). Without torch,
the same class yields numpy arrays laid out as lerobot's tensors.

Where the data comes from, as in lerobot: `root` is a local dataset folder; without it `repo_id` is
streamed from the Hub (HF_ENDPOINT, `hf auth login`), nothing downloaded whole, through a range cache
under $HF_LEROBOT_HOME/teleop-studio/ (HF_LEROBOT_HOME defaults to $HF_HOME/lerobot, as lerobot's).
Every process (each DataLoader worker, each rank) opens its own reader of the same commit.

Items: lerobot's keys; camera frames CHW float32 in [0, 1] (uint8 with return_uint8=True), stacked
(T, C, H, W) under delta_timestamps; 0-d scalars with the feature's dtype (float32 timestamp, int64
indices: lerobot's LeRobotDataset; its streaming class hands out Python numbers there, which a
DataLoader batches the same way); `<key>_is_pad` bool masks; `task` a str.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from app.dataset.errors import DatasetError
from app.dataset.reader import DatasetReader
from app.streaming.backtrack import delta_offsets
from app.streaming.iterator import StreamingDataset, open_source
from app.streaming.sharding import rank_length, share


def lerobot_home() -> Path:
    """$HF_LEROBOT_HOME, else $HF_HOME/lerobot (lerobot.utils.constants.HF_LEROBOT_HOME)."""
    if os.environ.get("HF_LEROBOT_HOME"):
        return Path(os.environ["HF_LEROBOT_HOME"]).expanduser()
    from huggingface_hub import constants

    return Path(constants.HF_HOME).expanduser() / "lerobot"


class Meta:
    """The parts of lerobot's LeRobotDatasetMetadata a training script reads (make_policy takes
    `features` and `stats`)."""

    def __init__(self, reader: DatasetReader, repo_id: str, root, revision: str | None):
        self.repo_id, self.root, self.revision = repo_id, root, revision
        self.info = reader.info
        self.fps: int = reader.fps
        self.features: dict = reader.features
        self.robot_type = reader.info.get("robot_type")
        self.video_keys = list(reader.video_keys)
        self.image_keys = [k for k, ft in self.features.items() if ft["dtype"] == "image"]
        self.camera_keys = self.image_keys + self.video_keys
        self.depth_keys: list[str] = []
        self.tasks: list[str] = list(reader.tasks)
        self.total_episodes = len(reader.episodes)
        self.total_frames = sum(e.length for e in reader.episodes)
        self.total_tasks = len(self.tasks)
        self.has_language_columns = False
        self.episode_lengths = [e.length for e in reader.episodes]
        stats = reader.stats() or {}
        self.stats = {k: {s: np.asarray(v) for s, v in d.items()} for k, d in stats.items() if isinstance(d, dict)}

    @property
    def shapes(self) -> dict:
        return {k: tuple(ft["shape"]) for k, ft in self.features.items()}

    @property
    def names(self) -> dict:
        return {k: ft.get("names") for k, ft in self.features.items()}


class LeRobotStream:
    def __init__(self, repo_id: str, root=None, episodes: list[int] | None = None, image_transforms=None,
                 delta_timestamps: dict | None = None, tolerance_s: float = 1e-4, revision: str | None = None,
                 force_cache_sync: bool = False, streaming: bool = True, buffer_size: int = 1000,
                 max_num_shards: int = 16, seed: int = 42, rng: np.random.Generator | None = None,
                 shuffle: bool = True, return_uint8: bool = False, depth_output_unit: str = "mm", *,
                 repo_type: str = "dataset", token: str | bool | None = None, drop_last: bool = False,
                 split_by_node: bool | None = None, rank: int | None = None, world_size: int | None = None,
                 prefetch: int = 64):
        if repo_type != "dataset":
            raise DatasetError(f"repo_type {repo_type!r}: only Hub dataset repos (repo_type='dataset') stream here")
        if (rank is None) != (world_size is None):
            raise DatasetError("give rank and world_size together (or neither: found from torch.distributed)")
        self.repo_id, self.revision = repo_id, revision or "v3.0"
        self.image_transforms, self.tolerance_s = image_transforms, float(tolerance_s)
        self.streaming, self.buffer_size, self.max_num_shards = bool(streaming), int(buffer_size), int(max_num_shards)
        # lerobot draws from `rng` when given; here it picks the seed once, so every process agrees
        self.seed = int(rng.integers(2 ** 63)) if rng is not None else int(seed)
        self.shuffle, self.return_uint8, self.depth_output_unit = bool(shuffle), bool(return_uint8), depth_output_unit
        self.drop_last, self.split_by_node = bool(drop_last), split_by_node
        self._node = (int(rank), int(world_size)) if rank is not None else None
        self.prefetch = int(prefetch)
        self._epoch, self._epoch_set, self._passes = 0, False, 0
        if root is not None:
            self.root = Path(root).expanduser()
            if not (self.root / "meta" / "info.json").is_file():
                raise DatasetError(f"{self.root} holds no LeRobot dataset (no meta/info.json); "
                                   f"leave root=None to stream {repo_id} from the Hub")
            self._hub = None
            reader = open_source(self.root)
        else:
            self.root = lerobot_home() / repo_id     # lerobot's root for a Hub dataset (nothing written there)
            reader = self._open_hub(token, force_cache_sync)
        self._reader, self._pid = reader, os.getpid()
        self.meta = Meta(reader, repo_id, self.root, self.revision)
        self.episodes = StreamingDataset(reader, episodes=episodes, video=False, prefetch=0).episodes
        self.delta_timestamps = delta_timestamps
        delta_offsets(delta_timestamps, self.fps, self.meta.features, self.tolerance_s)  # errors now, not in workers
        if not self.streaming and self._hub is not None:
            self._download()

    # ---------------------------------------------------------------- opening
    def _open_hub(self, token, refresh: bool) -> DatasetReader:
        from app.hub.range_cache import RangeCache
        from app.hub.remote_fs import open_hub_dataset

        cache_dir = lerobot_home() / "teleop-studio" / "hub-ranges"
        fs = open_hub_dataset(self.repo_id, self.revision, cache=RangeCache(cache_dir), token=token,
                              refresh=refresh)
        # workers and ranks read the commit this process resolved, with the same file list
        self._hub = {"manifest": fs.manifest, "cache_dir": cache_dir, "endpoint": fs.endpoint,
                     "token": token, "timeout": fs.timeout}
        self.revision = fs.manifest.commit
        return DatasetReader(fs.root, fs)

    def _download(self) -> None:
        """streaming=False: fetch the data and video files whole into the range cache first."""
        fs = self._reader.fs
        for rel, size in fs.manifest.files.items():
            if rel.startswith(("data/", "videos/")):
                fs.prefetch(f"{fs.root}/{rel}", [(0, size)])

    def reader(self) -> DatasetReader:
        """This process's reader (a DataLoader worker or a new rank opens its own)."""
        if self._reader is None or self._pid != os.getpid():
            if self._hub is None:
                self._reader = DatasetReader(self.root)
            else:
                from app.hub.range_cache import RangeCache
                from app.hub.remote_fs import HubFileSystem

                h = self._hub
                fs = HubFileSystem(h["manifest"], RangeCache(h["cache_dir"]), h["endpoint"], h["token"], h["timeout"])
                self._reader = DatasetReader(fs.root, fs)
            self._pid = os.getpid()
        return self._reader

    def __getstate__(self) -> dict:     # spawned workers and ranks open their own reader
        state = dict(self.__dict__)
        state["_reader"] = state["_pid"] = None
        return state

    # ---------------------------------------------------------------- lerobot's attributes
    @property
    def fps(self) -> int:
        return self.meta.fps

    @property
    def num_episodes(self) -> int:
        return len(self.episodes)

    @property
    def num_frames(self) -> int:
        return sum(self.meta.episode_lengths[e] for e in self.episodes)

    def set_epoch(self, epoch: int) -> None:
        """Reshuffle for this epoch: seed and epoch alone decide the order, in every rank and worker."""
        self._epoch, self._epoch_set = int(epoch), True

    def epoch(self) -> tuple[int, bool]:
        """(the epoch set_epoch gave, whether it was called)."""
        return self._epoch, self._epoch_set

    # ---------------------------------------------------------------- sharding
    def node(self) -> tuple[int, int]:
        """(rank, world size) this process streams for; (0, 1) when not distributed."""
        return self._node or (0, 1)

    def worker(self) -> tuple[int, int, int | None]:
        """(worker id, workers, the DataLoader's seed for this pass or None)."""
        return 0, 1, None

    def __len__(self) -> int:
        """Frames this rank streams per epoch (all its workers together)."""
        return rank_length(self.num_frames, self.node()[1], self.drop_last)

    def _plan(self):
        epoch, epoch_set = self.epoch()
        if not epoch_set:
            epoch = self._passes
        self._passes += 1
        order = list(self.episodes)
        if self.shuffle:
            order = [order[i] for i in np.random.default_rng([self.seed, epoch]).permutation(len(order))]
        rank, world = self.node()
        wid, workers, loader_seed = self.worker()
        spans = share(order, [self.meta.episode_lengths[e] for e in order], rank, world, wid, workers, self.drop_last)
        if not self.shuffle:
            return spans, None
        # without set_epoch, a DataLoader's per-pass seed still varies the order inside each share
        extra = [] if epoch_set or loader_seed is None else [loader_seed % 2 ** 63]
        rng = np.random.default_rng([self.seed, epoch, rank, wid, *extra])
        return [spans[i] for i in rng.permutation(len(spans))], rng

    def raw_frames(self):
        """This process's share of the epoch as our iterator's numpy items (HWC uint8 frames)."""
        spans, rng = self._plan()
        if not spans:
            return iter(())
        ds = StreamingDataset(self.reader(), delta_timestamps=self.delta_timestamps, tolerance_s=self.tolerance_s,
                              buffer_size=max(1, self.buffer_size), prefetch=self.prefetch)
        return ds.stream(spans, rng)

    # ---------------------------------------------------------------- items
    def to_lerobot(self, item: dict) -> dict:
        """lerobot's layout, numpy: CHW float32 [0, 1] (or uint8) frames; Python str for strings."""
        cams = self.meta.camera_keys
        out = {}
        for k, v in item.items():
            if k in cams:
                # a CHW view of the decoded HWC frame, as lerobot's torchcodec frames are (strides
                # (1, 3W, 3)): no copy here, the DataLoader's collate makes the only one
                v = np.moveaxis(v, -1, -3)
                if not self.return_uint8:
                    v = np.multiply(v, np.float32(1 / 255), dtype=np.float32)
            elif isinstance(v, np.ndarray) and v.dtype == object:
                v = v.item() if v.ndim == 0 else v.tolist()
            out[k] = v
        return out

    def _transform(self, item: dict) -> dict:
        if self.image_transforms is not None:
            for k in self.meta.camera_keys:
                if k in item:
                    item[k] = self.image_transforms(item[k])
        return item

    def __iter__(self):
        for item in self.raw_frames():
            yield self._transform(self.to_lerobot(item))
