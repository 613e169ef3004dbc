"""Open a dataset for recording: writer, encode queue, recovery of what a crash left, session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from app.recording.config import SessionConfig
from app.recording.recovery import RecoveryReport, recover
from app.recording.session import Session, State
from app.recording.spool import Spool
from app.rig.rig import Rig


@dataclass
class RecordingSetup:
    writer: object
    queue: object
    session: Session
    recovery: RecoveryReport


def open_recording(rig: Rig, cfg: SessionConfig, decide: Callable[[Spool], bool] = lambda s: True,
                   video=None) -> RecordingSetup:
    """Create the dataset (or open it when it exists) and everything a session records into.

    Raises app.dataset.errors.DatasetError (or ValueError) with a message for the operator."""
    from app.dataset.errors import DatasetError
    from app.dataset.features import make_features
    from app.dataset.video import VideoSettings
    from app.dataset.writer import DatasetWriter
    from app.encoding.queue import EncodeQueue
    from app.rig.samples import FEATURE_NAMES

    names = cfg.cameras if cfg.cameras is not None else list(rig.cameras)
    features = make_features(list(FEATURE_NAMES), {n: (rig.cameras[n].height, rig.cameras[n].width) for n in names})
    if (cfg.root / "meta" / "info.json").exists():
        writer = DatasetWriter.open(cfg.root, video=video)  # None: the dataset's own encoder settings
        if writer.fps != cfg.fps:
            writer.close()
            raise DatasetError(f"the dataset is recorded at {writer.fps} fps, not {cfg.fps}")
        have = {k: v.get("shape") for k, v in writer.features.items() if k in features}
        want = {k: v.get("shape") for k, v in features.items()}
        if have != want:
            writer.close()
            raise DatasetError(f"the cameras/joints chosen {sorted(want)} differ from the dataset's {sorted(have)}")
    else:
        writer = DatasetWriter.create(cfg.root, repo_id=cfg.repo_id, fps=cfg.fps, features=features,
                                      robot_type="so_follower", video=video or VideoSettings())
    queue = EncodeQueue(cfg.root, writer, batch_size=cfg.video_encoding_batch_size, settings=writer.video)
    report = recover(cfg.root, queue, writer.committed_sources(), decide)
    session = Session(rig, cfg, queue)
    # encoding yields the CPU while a take is recorded and runs at full speed between takes
    session.add_observer(lambda event, data: queue.set_throttled(data == State.RECORDING)
                         if event == "state" else None)
    return RecordingSetup(writer, queue, session, report)
