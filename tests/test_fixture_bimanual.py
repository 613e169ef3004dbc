"""The lerobot-made bimanual fixture (bi_so_follower, written by tests/compat/make_bimanual_fixture.py)
reads back through our reader and passes our validator: the layout a bimanual studio dataset must match."""

from __future__ import annotations

import json

import numpy as np

from app.dataset.reader import DatasetReader
from app.dataset.validate import validate

NAME = "lerobot_bi_so101_2ep"


def test_bimanual_fixture_reads_and_validates(fixtures_dir):
    exp = json.loads((fixtures_dir / f"{NAME}.expected.json").read_text())
    assert validate(fixtures_dir / NAME).ok
    r = DatasetReader(fixtures_dir / NAME)
    try:
        assert r.info["robot_type"] == exp["robot_type"] == "bi_so_follower"
        assert list(r.features) == list(exp["features"])
        names = r.features["action"]["names"]
        assert names[:6] == [f"left_{j}.pos" for j in ("shoulder_pan", "shoulder_lift", "elbow_flex",
                                                       "wrist_flex", "wrist_roll", "gripper")]
        assert names[6:] == [n.replace("left_", "right_") for n in names[:6]]
        assert [e.length for e in r.episodes] == exp["lengths"]
        for key in ("observation.images.left_wrist", "observation.images.top", "observation.images.right_wrist"):
            img = r.frame(1, key, 3)
            assert img.shape == (96, 128, 3) and img.dtype == np.uint8
    finally:
        r.close()
