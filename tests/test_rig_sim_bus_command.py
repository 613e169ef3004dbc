"""`teleop-studio sim-bus` in its own process: ports printed, answered by our driver, jogged from stdin."""

import subprocess
import sys

from app.rig.feetech_bus import FeetechBus
from tests.conftest import ROOT


def test_sim_bus_command_serves_ports_and_takes_jogs(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "app", "sim-bus", "--link-dir", str(tmp_path), "--seconds", "20"],
                            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(2)]
        ports = dict(line.split(":")[0:2] for line in lines)
        assert set(ports) == {"leader", "follower"}
        leader_port = ports["leader"].split()[0]
        assert leader_port == str(tmp_path / "leader")
        with FeetechBus(leader_port, timeout=0.05) as bus:
            assert bus.scan() == [1, 2, 3, 4, 5, 6]
            proc.stdin.write("hold\n")
            proc.stdin.flush()
            while "ok" not in proc.stdout.readline():
                pass
            before = bus.read(1, "Present_Position")
            proc.stdin.write("1 30\n")
            proc.stdin.flush()
            while "ok" not in proc.stdout.readline():
                pass
            moved = bus.read(1, "Present_Position") - before
            assert abs(moved - 30 * 4096 / 360) < 3, moved
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        assert proc.wait(10) == 0
        assert not (tmp_path / "leader").exists()  # the port goes away with the simulation
    finally:
        proc.kill()
