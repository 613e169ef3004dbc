"""The simulated cameras deliver their frames between two ticks of the teleop loop, whenever it started."""

from __future__ import annotations

import statistics
import time

from app.rig.rig import build_sim_rig
from app.rig.synthetic_camera import BetweenTicks


def _phases(stamps: list[float], origin: float, period: float) -> list[float]:
    return [((t - origin) / period) % 1.0 for t in stamps]


def _wait_for_origin(loop, old=None) -> float:
    end = time.monotonic() + 20
    while loop.origin in (None, old) and time.monotonic() < end:
        time.sleep(0.005)
    return loop.origin


def test_frames_fall_half_a_period_after_the_ticks_even_after_the_loop_restarts():
    rig = build_sim_rig(n_cameras=1, width=64, height=48, fps=30)
    stamps: list[float] = []
    cam = next(iter(rig.cameras.values()))
    cam.add_listener(lambda frame: stamps.append(frame.t_capture))
    rig.start()
    phases = []
    try:
        origin = _wait_for_origin(rig.teleop)
        for shift in (0.0, 0.011, 0.023):  # the loop started again (replay, motor wizard), cameras running
            if shift:
                rig.teleop.stop(disconnect=False)
                time.sleep(shift)
                rig.teleop.start()
                origin = _wait_for_origin(rig.teleop, origin)
            time.sleep(0.2)  # the camera moves to the loop's grid at its next frame
            stamps.clear()
            time.sleep(1.0)
            phases.append(statistics.median(_phases(list(stamps), origin, 1 / 30)))
    finally:
        rig.stop()
    # a frame near 0 or 1 races the tick that takes it: a duplicate, then a lost frame
    assert all(0.42 < p < 0.8 for p in phases), phases


def test_the_clock_moves_to_a_loop_that_starts_later():
    class Loop:
        origin = None

    loop, clock = Loop(), BetweenTicks(100.0)
    clock.loop = loop
    clock.start()
    clock.wait()
    before = ((clock._next - time.monotonic()) / 0.01) % 1.0
    loop.origin = time.monotonic() - 0.0037  # slots of a loop that started meanwhile, 3.7 ms ago
    due = []
    for _ in range(5):
        clock.wait()
        due.append(clock._next)  # when this frame was due
    assert all(abs(p - 0.5) < 1e-6 for p in _phases(due, loop.origin, 0.01)), (before, due)
    assert all(abs((b - a) - 0.01) < 1e-6 for a, b in zip(due, due[1:]))
