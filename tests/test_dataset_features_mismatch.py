"""A take that does not fit its dataset is described by what differs, not by two lists of names."""

from __future__ import annotations

from app.dataset.features import describe_mismatch, make_features

JOINTS = ["a.pos", "b.pos"]


def test_camera_size_difference_is_named():
    dataset = make_features(JOINTS, {"front": (480, 640), "wrist": (240, 320)})
    take = make_features(JOINTS, {"front": (240, 320), "wrist": (240, 320)})
    msg = describe_mismatch(dataset, take)
    assert msg == ("observation.images.front is a 640x480 camera in the dataset, "
                   "the take would record a 320x240 camera")


def test_missing_extra_and_joint_counts():
    dataset = make_features(JOINTS, {"front": (480, 640), "wrist": (240, 320)})
    take = make_features(JOINTS + ["c.pos"], {"front": (480, 640), "top": (240, 320)})
    msg = describe_mismatch(dataset, take)
    assert "action is 2 values in the dataset, the take would record 3 values" in msg
    assert "observation.images.top (a 320x240 camera) is not in the dataset" in msg
    assert "observation.images.wrist (a 320x240 camera) is in the dataset but not chosen" in msg
    assert describe_mismatch(dataset, dataset) is None
