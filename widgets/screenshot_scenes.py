"""Scenes for `make screenshots` (widgets/screenshots.py) beyond the main window: the Datasets panel
reviewing a dataset written on the fly, the encoding queue with rows in every state, rig setup, the
calibration wizard, and the push dialog. Each is a function(window) -> QWidget to grab; everything
runs in the studio's own window and style, on simulated devices."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QDialog, QWidget

from app.rig.samples import FEATURE_NAMES

FPS = 30


def _close_dialogs(window) -> None:
    for dialog in window.findChildren(QDialog):
        if dialog.isVisible():
            dialog.reject()


def _frames(name: str, poses: np.ndarray, hue: int, size=(320, 240)) -> np.ndarray:
    """What the simulated camera films for these follower poses (no pacing: drawn as fast as it goes)."""
    from app.rig.synthetic_camera import SyntheticCamera

    pose = {"now": poses[0]}
    cam = SyntheticCamera(name, *size, FPS, pose=lambda: pose["now"], hue=hue)
    out = np.empty((len(poses), size[1], size[0], 3), np.uint8)
    for i, p in enumerate(poses):
        pose["now"] = p
        img = cam._background.copy()
        cam._draw(img, i)
        out[i] = img
    return out


def _poses(seed: int, n: int) -> np.ndarray:
    """A pick-like motion: each joint eases between two random poses and back."""
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(-40, 40, 6), rng.uniform(-40, 40, 6)
    a[5], b[5] = 5, 85  # gripper: open, closed
    s = (1 - np.cos(np.linspace(0, 2 * np.pi, n)))[:, None] / 2
    return (a + s * (b - a)).astype(np.float32)


def write_review_dataset(root: Path, episodes: int = 6) -> Path:
    from app.dataset.features import make_features
    from app.dataset.video import VideoSettings
    from app.dataset.writer import DatasetWriter, Episode

    cams = {"front": (240, 320), "wrist": (240, 320)}
    w = DatasetWriter.create(root, "lab/so101_pick_cube", FPS, make_features(list(FEATURE_NAMES), cams),
                             video=VideoSettings(codec="h264"))
    for ep in range(episodes):
        n = 90 + 15 * (ep % 3)
        state = _poses(ep, n)
        action = state + np.float32(1.5)  # the leader runs a little ahead of the follower
        w.add_episode(Episode(task="pick the red cube" if ep % 2 == 0 else "put the cube in the box",
                              data={"action": action, "observation.state": state},
                              videos={f"observation.images.{k}": _frames(k, state, 60 * i)
                                      for i, k in enumerate(cams)}))
    w.close()
    return root


def browser(window) -> QWidget:
    """The Datasets panel over the whole window: a dataset open, episodes reviewed, one scrubbed."""
    from widgets.browser_panel import review_layout
    from widgets.screenshots import settle

    _close_dialogs(window)
    if window.studio.session is not None:
        window.studio.leave_session()
    root = write_review_dataset(Path(tempfile.mkdtemp()) / "so101_pick_cube")
    review_layout(window)
    panel = window.panels["datasets"]
    panel.open_local(str(root))
    _wait(lambda: panel.reader is not None and panel.current == 0)
    panel.refresh_local()  # the dataset just opened is listed under recent folders
    for ep, verdict in ((0, "accepted"), (1, "accepted"), (2, "rejected"), (3, "accepted")):
        panel.table.selectRow(ep)
        _wait(lambda ep=ep: panel.current == ep)
        panel.set_verdict(verdict)
    panel.table.selectRow(4)
    _wait(lambda: panel.current == 4 and panel.viewer.episode is not None)
    settle(1.0)
    panel.viewer.seek(52)  # scrubbed to the grasp
    _wait(lambda: all(v.index == 52 for v in panel.viewer.views.values()))
    settle(0.5)
    return window


def encode_panel(window) -> QWidget:
    """The encoding queue with done, failed, encoding and pending rows (as bench/encode_queue.py
    --screenshot showed it), in a queue of its own so the window's session is left alone."""
    from app.dataset.features import make_features
    from app.dataset.video import VideoSettings
    from app.dataset.writer import DatasetWriter
    from app.encoding.queue import EncodeQueue
    from app.encoding.workers import EncodeWorkers
    from app.recording.spool import SpoolWriter
    from widgets.encode_panel import EncodePanel
    from widgets.screenshots import settle

    _close_dialogs(window)
    root = Path(tempfile.mkdtemp()) / "so101_pick_cube"
    cams = {"observation.images.front": (480, 640), "observation.images.wrist": (480, 640)}
    settings = VideoSettings(codec="h264")
    w = DatasetWriter.create(root, "lab/so101_pick_cube", FPS, make_features(list(FEATURE_NAMES), cams),
                             video=settings)
    takes = []
    for seed in range(6):
        poses = _poses(seed, 150)
        sw = SpoolWriter(root, "pick the red cube", FPS, cams)
        frames = {k: _frames(k.rsplit(".", 1)[1], poses, 60 * i, (640, 480)) for i, k in enumerate(cams)}
        for i, p in enumerate(poses):
            sw.append(i, i / FPS, p, p, {k: f[i] for k, f in frames.items()})
        takes.append(sw.stop())
    (takes[2].path / "observation.images.wrist.raw").unlink()  # a damaged take: its row fails and says why
    q = EncodeQueue(root, w, batch_size=1, settings=settings)
    for t in takes[:3]:
        q.submit(t)
    q.process_all()  # two committed, one failed
    for t in takes[3:]:
        q.submit(t)
    panel = EncodePanel(q)
    panel.setWindowTitle("Encoding queue")
    panel.resize(1000, 320)
    panel.show()
    workers = EncodeWorkers(q)
    workers.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # the first moment every state is on screen
        settle(0.01)
        if {"done", "failed", "pending", "encoding"} <= {r.state for r in q.rows()} and any(
                r.state == "encoding" and r.progress > 0.3 and r.encode_fps for r in q.rows()):
            q.pause()  # the pending ones stay pending
            break
    panel.refresh()
    settle(0.3)
    window._screenshot_cleanup = lambda: (workers.stop(), panel.set_queue(None), panel.close(),
                                          panel.deleteLater())
    return panel


def rig_setup(window) -> QWidget:
    """Rig > Rig setup… on the simulated buses: both arms answering, cameras picked, one unplugged."""
    from widgets.rig_setup import demo_dialog
    from widgets.screenshots import settle

    _close_dialogs(window)
    from app.rig.sim_servo_bus import SimServoBus

    buses = {role: SimServoBus(role) for role in ("leader", "follower")}  # the rig's own are busy teleoperating
    dlg = demo_dialog(buses, parent=window)
    settle(2.0)
    window._screenshot_cleanup = lambda: (dlg.reject(), [b.close() for b in buses.values()])
    return dlg


def calibration_wizard(window) -> QWidget:
    """Rig > Calibrate an arm… on a simulated follower of its own, mid-sweep (the range bars filling).
    The calibration file goes to a temporary folder, not this machine's calibration folder."""
    import os

    from app.rig.sim_servo_bus import SimServoBus
    from widgets.calibration_wizard import CalibrationWizard
    from widgets.screenshots import settle

    _close_dialogs(window)
    os.environ["HF_LEROBOT_CALIBRATION"] = tempfile.mkdtemp()
    sim = SimServoBus("follower")
    sim.move_by_hand("middle")
    dlg = CalibrationWizard("follower", sim.port, "so101_follower", parent=window,
                            extra_ports=[(f"{sim.port}  [simulated follower]", sim.port)])
    dlg.show()
    settle(0.3)
    dlg._advance()  # connect
    dlg._advance()  # the middle pose is set
    sim.move_by_hand("sweep")
    settle(1.1)
    window._screenshot_cleanup = lambda: (dlg.reject(), sim.close())
    return dlg


def push_panel(window) -> QWidget:
    """File > Push to Hub… pushing a dataset mid-upload, to the Hub stand-in of the tests on 127.0.0.1
    (tests/hub_server_write.py, with a little latency per request so the upload is seen going)."""
    import huggingface_hub.constants as hub_constants

    from app.hub.push import PushOptions
    from tests.hub_server_write import DEFAULT_TOKEN, WriteHubServer
    from widgets.push_panel import PushDialog
    from widgets.screenshots import settle

    _close_dialogs(window)
    tmp = Path(tempfile.mkdtemp())
    root = write_review_dataset(tmp / "so101_pick_cube", episodes=4)
    hub = WriteHubServer(tmp / "hub", latency=0.15, user="lab")
    hub.start()
    old = hub_constants.ENDPOINT, getattr(hub_constants, "HF_HUB_DISABLE_XET", None)
    hub_constants.ENDPOINT, hub_constants.HF_HUB_DISABLE_XET = hub.endpoint, True
    dlg = PushDialog(root, "lab/so101_pick_cube", None, window, endpoint=hub.endpoint)
    dlg.show()
    for w in (dlg.repo_edit, dlg.visibility, dlg.branch_edit, dlg.push_button):  # as Push does
        w.setEnabled(False)
    dlg.panel.show()
    dlg.resize(600, 430)
    push = dlg.panel.start(PushOptions(root, "lab/so101_pick_cube", endpoint=hub.endpoint, token=DEFAULT_TOKEN,
                                       workers=2))
    _wait(lambda: push.done.is_set() or (push.progress.phase == "uploading" and push.progress.bytes_total
                                         and push.progress.bytes_done > 0.4 * push.progress.bytes_total), 60)
    settle(0.3)

    def cleanup():
        push.done.wait(60)  # let it finish: a cancelled upload only adds noise
        dlg.done(0)
        hub.stop()
        hub_constants.ENDPOINT, hub_constants.HF_HUB_DISABLE_XET = old

    window._screenshot_cleanup = cleanup
    return dlg


def _wait(cond, timeout: float = 30.0) -> None:
    from widgets.screenshots import settle

    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        settle(0.05)
