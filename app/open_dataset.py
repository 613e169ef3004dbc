"""A dataset open for recording: its writer, its encode queue and the queue's workers, opened with the
checks a session needs (the rig's takes fit the dataset) after recovering what a crash left there."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from app.recording.config import SessionConfig
from app.recording.recovery import RecoveryReport, recover
from app.recording.spool import Spool


class StudioError(Exception):
    """A one-line reason an action cannot be done, for the operator."""


@dataclass
class OpenDataset:
    root: Path
    repo_id: str
    writer: object  # app.dataset.writer.DatasetWriter
    queue: object  # app.encoding.queue.EncodeQueue
    workers: object  # .start() / .stop()
    recovery: RecoveryReport
    finishing: bool = False  # no session records into it: closed once its queue has nothing left


def open_dataset(root: Path, repo_id: str, rig, decide: Callable[[Spool], bool], video, cfg: SessionConfig | None,
                 make_workers: Callable, throttled: bool) -> OpenDataset:
    """Open (or, with cfg, create) the dataset at root for recording, its workers started. Raises StudioError."""
    from app.dataset.errors import DatasetError
    from app.dataset.writer import DatasetWriter
    from app.durable import UnsafePath
    from app.encoding.journal import JournalError
    from app.encoding.queue import EncodeQueue

    try:
        if (root / "meta" / "info.json").exists():
            writer = DatasetWriter.open(root, video=video)
            try:
                if cfg is not None:
                    check_fits(writer, cfg, rig)
            except StudioError:
                writer.close()
                raise
        elif cfg is None:
            raise StudioError(f"{root} holds no dataset")
        else:
            from app.dataset.features import make_features
            from app.dataset.video import VideoSettings
            from app.rig.samples import rig_robot_type

            features = make_features(*_shapes(cfg, rig))
            writer = DatasetWriter.create(root, repo_id=repo_id, fps=cfg.fps, features=features,
                                          robot_type=rig_robot_type(rig), video=video or VideoSettings())
    except (DatasetError, OSError, ValueError) as exc:
        raise StudioError(str(exc)) from exc
    try:
        queue = EncodeQueue(root, writer, batch_size=cfg.video_encoding_batch_size if cfg else 1,
                            settings=writer.video)
        report = recover(root, queue, writer.committed_sources(), decide)
        report.retried = list(queue.retried)
    except (JournalError, OSError, UnsafePath) as exc:
        writer.close()
        raise StudioError(str(exc)) from exc
    queue.flush()  # takes found at opening were recorded by a session that has ended
    queue.set_throttled(throttled)  # opened for leftovers while a take records
    workers = make_workers(queue)
    workers.start()
    return OpenDataset(root, repo_id, writer, queue, workers, report)


def _shapes(cfg: SessionConfig, rig) -> tuple[list[str], dict]:
    from app.rig.samples import rig_feature_names

    names = cfg.cameras if cfg.cameras is not None else list(rig.cameras)
    missing = [n for n in names if n not in rig.cameras]
    if missing:
        raise StudioError(f"camera(s) {', '.join(missing)} are not on this rig ({', '.join(rig.cameras)})")
    return list(rig_feature_names(rig)), {n: (rig.cameras[n].height, rig.cameras[n].width) for n in names}


def check_fits(writer, cfg: SessionConfig, rig) -> None:
    """Refuse, before anything is recorded, a take that could never be committed to this dataset."""
    from app.dataset.features import describe_mismatch, make_features

    if writer.fps != cfg.fps:
        raise StudioError(f"the dataset is recorded at {writer.fps} fps, not {cfg.fps}")
    difference = describe_mismatch(writer.features, make_features(*_shapes(cfg, rig)))
    if difference:
        raise StudioError(f"this rig's takes do not fit the dataset: {difference}")


def video_for(cfg: SessionConfig, root: Path):
    """A new dataset gets the chosen codec; an existing one keeps encoding as it was encoded."""
    from app.dataset.video import VideoSettings

    if not cfg.vcodec or (root / "meta" / "info.json").exists():
        return None
    return VideoSettings(codec=cfg.vcodec)
