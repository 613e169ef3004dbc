"""The simulated servos of one arm in a child process, as real servos live outside the studio.

On a thread of the studio process the simulation would compete with the GUI and the teleop loop for
the GIL, and a busy machine then stretches every bus transaction (measured by bench/teleop_loop.py
--sim-process vs default: 29 Hz vs 14 Hz achieved at load average 10 on 2 cores). The child runs a
SimServoBus; the parent drives it through a line-based JSON pipe with the same methods (jog, faults,
unplug...). The child exits when the pipe closes, so a killed studio leaves no orphan behind.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

from app.cpu_priority import favour_calling_thread
from app.rig.sim_servo_bus import SimServoBus, _links_dir

_serial = itertools.count()
_ROOT = Path(__file__).resolve().parents[2]


class SimServoProcess:
    """Same surface as SimServoBus for what the studio and the tests need."""

    def __init__(self, role: str = "follower", link: str | Path | None = None, seed: int | None = None):
        self.role = role
        model = SimServoBus(role, seed=seed, start=False)  # same seed: the same servos as the child's
        self._factory = model.factory_calibration()
        model.close()
        self.port = str(link or _links_dir() / f"{os.getpid()}-{role}-p{next(_serial)}")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")])))
        self._proc = subprocess.Popen([sys.executable, "-m", "app.rig.sim_servo_process", role, self.port, str(seed)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1, env=env)
        self._lock = threading.Lock()
        self.pty_path: str | None = None

    def wait_ready(self, timeout: float = 20.0) -> None:
        with self._lock:
            if self.pty_path is None:
                line = self._proc.stdout.readline().split()
                if not line or line[0] != "ready":
                    raise RuntimeError(f"simulated {self.role} servos did not start")
                self.pty_path = line[1]

    def _call(self, method: str, *args):
        self.wait_ready()
        with self._lock:
            self._proc.stdin.write(json.dumps([method, *args]) + "\n")
            reply = json.loads(self._proc.stdout.readline() or '{"error": "the simulation has stopped"}')
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply["result"]

    def factory_calibration(self):
        return dict(self._factory)

    def move_by_hand(self, script: str | None) -> None:
        self._call("move_by_hand", script)

    def jog(self, joint: int, delta: float) -> None:
        self._call("jog", joint, delta)

    def pose(self) -> np.ndarray:
        return np.asarray(self._call("pose"), np.float32)

    def torque_enabled(self) -> list[int]:
        return self._call("torque_enabled")

    def inject(self, fault: str, count: int | None = None) -> None:
        self._call("inject", fault, count)

    def clear_faults(self) -> None:
        self._call("clear_faults")

    def unplug(self) -> None:
        self._call("unplug")

    def replug(self) -> None:
        self._call("replug")

    def close(self) -> None:
        proc = self._proc
        if proc.poll() is None:
            try:
                proc.stdin.close()  # the child's cue to unplug and leave
                proc.wait(3)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait(3)
        proc.stdout.close()


_METHODS = {"move_by_hand", "jog", "pose", "torque_enabled", "inject", "clear_faults", "unplug", "replug"}


def _child(argv: list[str]) -> int:
    role, port, seed = argv[0], argv[1], None if argv[2] == "None" else int(argv[2])
    # before the bus starts its threads: they stand in for hardware, which never waits for a CPU
    favour_calling_thread()
    bus = SimServoBus(role, link=port, seed=seed)
    print("ready", bus.pty_path, flush=True)
    try:
        for line in sys.stdin:
            method, *args = json.loads(line)
            try:
                if method not in _METHODS:
                    raise ValueError(f"unknown method {method!r}")
                result = getattr(bus, method)(*args)
                if isinstance(result, np.ndarray):
                    result = result.tolist()
                print(json.dumps({"result": result}), flush=True)
            except Exception as exc:
                print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
    finally:
        bus.close()
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
