"""A video file as a camera: AV1 decoded with PyAV, paced at the configured fps, looped at the end;
from a profile and from lerobot's --robot.cameras."""

import time

import av
import numpy as np
import pytest

from app.commands.lerobot_flags import RigFlagError, parse_cameras
from app.rig.camera import CameraError
from app.rig.file_camera import FileCamera
from app.rig.profiles import CameraConfig
from app.rig.rig import camera_from_config

N = 6  # frames in the clip; frame k is a flat grey of level 40 * k


def write_av1_clip(path, n=N, size=64):
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libsvtav1", rate=30)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for k in range(n):
            img = np.full((size, size, 3), 40 * k, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return str(path)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_av1_clip(tmp_path_factory.mktemp("clip") / "scene.mp4")


def test_av1_file_plays_paced_at_the_configured_fps_and_loops(clip):
    cam = camera_from_config(CameraConfig("front", clip, 32, 24, 20))
    assert isinstance(cam, FileCamera)
    cam.open()
    try:
        t0 = time.monotonic()
        levels = [float(cam.grab().mean()) for _ in range(2 * N + 1)]
        elapsed = time.monotonic() - t0
        img = cam.grab()
    finally:
        cam.close()
    assert img.shape == (24, 32, 3) and img.dtype == np.uint8
    assert elapsed >= 2 * N / 20 * 0.9  # 13 frames at 20 fps: paced, not decoded as fast as possible
    assert [round(v / 40) for v in levels] == list(range(N)) * 2 + [0]  # frame order kept, then starts over
    assert cam.loops == 2


def test_file_camera_on_its_capture_thread_is_never_lost_at_the_end(clip):
    cam = FileCamera("front", clip, 32, 24, 60)
    cam.start()
    try:
        deadline = time.monotonic() + 5
        while cam.frames_captured < 3 * N and time.monotonic() < deadline:
            time.sleep(0.02)
        assert cam.frames_captured >= 3 * N and cam.connected and cam.error is None
    finally:
        cam.stop()


def test_missing_or_broken_file_gives_an_error_naming_it(tmp_path):
    with pytest.raises(CameraError, match="cannot open .*nope.mp4"):
        FileCamera("front", str(tmp_path / "nope.mp4")).open()
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    with pytest.raises(CameraError, match="bad.mp4"):
        FileCamera("front", str(bad)).open()


def test_lerobot_camera_dict_syntax(clip):
    cams = parse_cameras(f"{{ front: {{type: opencv, index_or_path: {clip}, width: 320, height: 240, fps: 15}},"
                         " wrist: {type: opencv, index_or_path: 0}}")
    assert [(c.name, c.device, c.width, c.height, c.fps) for c in cams] == [
        ("front", clip, 320, 240, 15), ("wrist", "0", 640, 480, 30)]
    for bad, message in (("{ front: {type: intelrealsense, serial_number_or_name: 1}}", "index_or_path"),
                         ("{ front: {type: intelrealsense, index_or_path: 1}}", "only opencv"),
                         ("[1, 2]", "expected a dict"), ("{ front: {", "not a dict like lerobot")):
        with pytest.raises(RigFlagError, match=message):
            parse_cameras(bad)


def test_rig_setup_dialog_previews_a_video_file_and_saves_it_in_the_profile(qtbot, clip, tmp_path, monkeypatch):
    monkeypatch.setenv("TELEOP_STUDIO_CONFIG_DIR", str(tmp_path / "config"))
    from app.rig import profiles
    from widgets.rig_setup import RigSetupDialog

    dlg = RigSetupDialog()
    qtbot.addWidget(dlg)
    dlg.add_video_file(clip)
    qtbot.waitUntil(lambda: dlg.preview.pixmap() is not None and not dlg.preview.pixmap().isNull(), timeout=10000)
    row = dlg.table.rowCount() - 1
    qtbot.waitUntil(lambda: "64x64 @ 30 fps" in dlg.table.cellWidget(row, 1).text(), timeout=10000)
    assert dlg.table.cellWidget(row, 3).currentText() == "64x64"  # the size the file offers
    dlg.refresh()  # the file stays when devices are listed again
    dlg.profile.setCurrentText("demo")
    row = dlg.table.rowCount() - 1
    dlg.table.cellWidget(row, 0).setChecked(True)
    dlg.table.cellWidget(row, 2).setText("front")
    dlg.save()
    assert [(c.name, c.device) for c in profiles.load_profile("demo").cameras] == [("front", clip)]
