"""find-port (unplug and replug a simulated arm's port) and find-cameras (devices and video files)."""

import argparse

from app.commands import find_cameras, find_port
from app.rig.sim_servo_bus import SimServoBus
from tests.test_rig_file_camera import write_av1_clip


def test_find_port_names_the_port_that_disappears_and_sees_it_come_back(tmp_path, capsys):
    buses = [SimServoBus(r, link=tmp_path / f"ttyACM{k}") for k, r in enumerate(("leader", "follower"))]
    try:
        steps = iter([buses[1].unplug, buses[1].replug])
        args = argparse.Namespace(glob=str(tmp_path / "tty*"))
        assert find_port.run(args, ask=lambda _: next(steps)()) == 0
        out = capsys.readouterr().out
        assert f"The port of this arm is {tmp_path / 'ttyACM1'}." in out and "is back" in out
        assert find_port.run(args, ask=lambda _: "") == 1  # nothing unplugged
        assert "no port disappeared" in capsys.readouterr().err

        def pull_both(_):
            for b in buses:
                b.unplug()
        assert find_port.run(args, ask=pull_both) == 1
        assert "2 ports disappeared" in capsys.readouterr().err
    finally:
        for b in buses:
            b.close()


def test_find_cameras_lists_sizes_and_rates(tmp_path, capsys):
    clip = write_av1_clip(tmp_path / "scene.mp4")
    assert find_cameras.run(argparse.Namespace(files=[clip])) == 0
    out = capsys.readouterr().out
    assert f"{clip}  video file (libdav1d)" in out or f"{clip}  video file (av1)" in out, out
    assert "64x64 @ 30 fps" in out
    assert find_cameras.run(argparse.Namespace(files=[str(tmp_path / "none.mp4")])) == 1
    assert "cannot be read" in capsys.readouterr().out


def test_rig_setup_finds_a_port_by_unplugging(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("TELEOP_STUDIO_CONFIG_DIR", str(tmp_path / "config"))
    from widgets.rig_setup import RigSetupDialog

    bus = SimServoBus("follower", link=tmp_path / "ttyACM3")
    try:
        dlg = RigSetupDialog()
        qtbot.addWidget(dlg)
        dlg.follower.port_pattern = str(tmp_path / "tty*")
        steps = iter([bus.unplug, bus.replug])
        dlg.follower._find_by_unplugging(confirm=lambda text: next(steps)() or True)
        assert dlg.follower.path() == str(tmp_path / "ttyACM3") and "is back" in dlg.follower.result.text()
        dlg.follower._find_by_unplugging(confirm=lambda text: True)  # nothing pulled
        assert "no port disappeared" in dlg.follower.result.text()
    finally:
        bus.close()
