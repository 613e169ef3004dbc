"""The bridge hands device data to the GUI thread even when the GUI connects late."""

from __future__ import annotations

import time

from app.qtbridge import RigBridge
from app.rig.rig import build_sim_rig


def test_late_receiver_still_gets_frames_and_ticks(qtbot):
    rig = build_sim_rig(n_cameras=1, width=64, height=48)
    bridge = RigBridge(rig)
    rig.start()
    try:
        time.sleep(0.3)  # signals go out before anything is connected
        got = {"frames": 0, "ticks": 0}
        bridge.frames_ready.connect(lambda: got.__setitem__("frames", got["frames"] + len(bridge.take_frames())))
        bridge.ticks_ready.connect(lambda: got.__setitem__("ticks", got["ticks"] + len(bridge.take_ticks())))
        qtbot.waitUntil(lambda: got["frames"] > 0 and got["ticks"] > 0, timeout=3000)
        first = dict(got)
        qtbot.waitUntil(lambda: got["ticks"] > first["ticks"] + 5, timeout=3000)  # and it keeps flowing
    finally:
        bridge.detach()
        rig.stop()
