"""Appending with other encoder settings: a camera file never mixes codec headers."""

from __future__ import annotations

import json

from app.dataset.features import make_features
from app.dataset.reader import DatasetReader
from app.dataset.validate import validate
from app.dataset.video import VideoSettings
from app.dataset.writer import DatasetWriter, Episode
from tests.dataset_helpers import JOINTS, H, W, frames, joints

KEY = "observation.images.front"


def _episode(ep: int, n: int = 12) -> Episode:
    action, state = joints(ep, n)
    return Episode(task="t", data={"action": action, "observation.state": state}, videos={KEY: frames(ep, n)})


def test_other_settings_start_a_new_file_and_reopen_keeps_the_dataset_settings(tmp_path):
    root = tmp_path / "ds"
    w = DatasetWriter.create(root, "u/n", 30, make_features(JOINTS, {"front": (H, W)}),
                             video=VideoSettings(codec="libx264", preset="ultrafast"))
    w.add_episode(_episode(0))
    w.close()

    w = DatasetWriter.open(root)  # no settings given: the dataset's own
    assert (w.video.codec, str(w.video.preset), w.video.crf) == ("libx264", "ultrafast", 30)
    w.add_episode(_episode(1))
    w.close()
    w = DatasetWriter.open(root, video=VideoSettings(codec="libx264", preset="veryslow", crf=18))
    w.add_episode(_episode(2))
    w.close()

    reader = DatasetReader(root)
    files = [e.videos[KEY].path for e in reader.episodes]
    assert files[0] == files[1] and files[2] != files[1], files
    report = validate(root)
    assert report.ok, report.errors
    info = json.loads((root / "meta" / "info.json").read_text())
    assert info["total_episodes"] == 3
