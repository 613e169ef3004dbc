"""Encoder child processes: cameras side by side between takes, one at a time while a take records,
the same bitstream as an in-process encode, and a verdict awaited before anything is committed."""

from __future__ import annotations

import os

import numpy as np
import pytest

from app.dataset.video import VideoSettings
from app.encoding import child
from app.encoding.budget import synthetic_clip
from app.encoding.queue import CANCELLED_MSG, EncodeQueue
from app.recording.spool import Spool, SpoolWriter
from tests.encoding_helpers import FPS, make_dataset, record_take

AV1 = VideoSettings()  # SVT-AV1 writes the same bitstream whatever its thread count
BIG = {"observation.images.front": (120, 160), "observation.images.wrist": (120, 160)}
VGA = {"observation.images.front": (480, 640), "observation.images.wrist": (480, 640)}

pytestmark = pytest.mark.skipif(not child.available(), reason="needs the forkserver start method")


def _noisy_take(root, n: int) -> Spool:
    w = SpoolWriter(root, "pick the cube", FPS, VGA)
    for i, img in enumerate(synthetic_clip(640, 480, n)):
        a = np.full(6, i, np.float32)
        w.append(i, i / FPS, a, a, {k: img for k in VGA})
    return w.stop()


def _segments(take: Spool) -> dict:
    return {k: take.path / f"{k}.mp4" for k in take.cameras}


def _encoding_at_once(take: Spool, throttled: bool) -> int:
    most = 0

    def progress(_frames: int) -> None:
        nonlocal most
        with child._lock:
            most = max(most, sum(1 for c in child._live if not c.encoded))

    cams = child.encode_take(take, _segments(take), AV1, throttled=lambda: throttled, progress=progress)
    for c in cams.values():
        assert c.result().frames == take.length
    return most


def test_cameras_encode_side_by_side_between_takes_and_one_at_a_time_while_recording(tmp_path):
    take = record_take(tmp_path, 30, cameras=BIG)  # big enough that both are still encoding at the first poll
    assert _encoding_at_once(take, throttled=True) == 1
    if (os.cpu_count() or 1) >= 2:
        assert _encoding_at_once(take, throttled=False) == 2
    assert not child._live  # every child is gone once its verdict is in


def test_child_encodes_write_the_bytes_an_in_process_encode_writes(tmp_path, monkeypatch):
    videos = {}
    for mode in ("child", "in-process"):
        if mode == "in-process":
            monkeypatch.setenv("TELEOP_STUDIO_ENCODE_IN_PROCESS", "1")
        root = tmp_path / mode
        w = make_dataset(root, settings=AV1)
        q = EncodeQueue(root, w, settings=AV1)
        for s in range(2):
            q.submit(record_take(root, 12, seed=s))
        q.process_all()
        assert w.total_episodes == 2 and all(r.state == "done" for r in q.rows())
        w.close()
        videos[mode] = {p.relative_to(root): p.read_bytes() for p in sorted((root / "videos").rglob("*.mp4"))}
    assert len(videos["child"]) == 2 and videos["child"] == videos["in-process"]


def test_cancel_while_the_children_verify_keeps_the_spool_and_leaves_no_child(tmp_path):
    root = tmp_path / "ds"
    w = make_dataset(root, settings=AV1, cameras=VGA)
    q = EncodeQueue(root, w, settings=AV1)
    take = _noisy_take(root, 30)  # its decode takes ~0.1 s: still running when the cancel comes
    q.submit(take)
    q.run(q.claim(timeout=0))  # encoded: the children now decode their segments back
    assert q.row(take.id).state == "verifying"
    q.cancel(take.id)
    q.process_all()  # the commit stage sees the cancel: kills the children, removes the segments
    row = q.row(take.id)
    assert row.state == "failed" and row.error == CANCELLED_MSG
    assert w.total_episodes == 0 and take.path.is_dir() and not list(take.path.glob("*.mp4"))
    assert not child._live
    w.close()
