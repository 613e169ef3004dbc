"""One episode as meta/episodes describes it: its rows' place in the data files and its segment of each
camera file."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.dataset import layout as L
from app.dataset.errors import DatasetError


@dataclass
class VideoSegmentRef:
    path: str          # relative to the root
    from_ts: float
    to_ts: float


@dataclass
class EpisodeInfo:
    index: int
    length: int
    tasks: list[str]
    data_file: str
    from_index: int
    to_index: int
    videos: dict[str, VideoSegmentRef] = field(default_factory=dict)


def episode_from_row(info: dict, video_keys: list[str], r: dict) -> EpisodeInfo:
    """One row of meta/episodes as an EpisodeInfo, its paths built and checked (layout.py)."""
    try:
        ep = EpisodeInfo(int(r["episode_index"]), int(r["length"]), [str(t) for t in r["tasks"] or []],
                         L.data_path(info, int(r["data/chunk_index"]), int(r["data/file_index"])),
                         int(r["dataset_from_index"]), int(r["dataset_to_index"]))
        for key in video_keys:
            ep.videos[key] = VideoSegmentRef(
                L.video_path(info, key, int(r[f"videos/{key}/chunk_index"]), int(r[f"videos/{key}/file_index"])),
                float(r[f"videos/{key}/from_timestamp"]), float(r[f"videos/{key}/to_timestamp"]))
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise DatasetError(f"meta/episodes row is incomplete or malformed ({type(exc).__name__}: "
                           f"{str(exc)[:200]})") from None
    if not 0 < ep.length <= L.MAX_FRAMES or ep.to_index - ep.from_index != ep.length or ep.from_index < 0:
        raise DatasetError(f"episode {ep.index}: length {ep.length} does not match its index range")
    return ep
