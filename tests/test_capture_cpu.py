"""Capture keeps OpenCV on the calling thread (issue 16): OpenCV's own pool split each frame's
conversion across the cores and its idle workers spun, doubling the capture's CPU per frame."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONVERT = ("import os, cv2, numpy as np\n"
           "a = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)\n"
           "for _ in range(20):\n"
           "    cv2.cvtColor(a, cv2.COLOR_BGR2RGB); cv2.add(a, a)\n"
           "print(cv2.getNumThreads(), len(os.listdir('/proc/self/task')))\n")


def _threads(first: str) -> tuple[int, int]:
    out = subprocess.run([sys.executable, "-c", first + "\n" + CONVERT], cwd=REPO, capture_output=True,
                         text=True, timeout=60, check=True).stdout.split()
    return int(out[0]), int(out[1])


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
@pytest.mark.parametrize("module", ["app.rig.opencv_camera", "app.rig.synthetic_camera"])
def test_a_camera_module_keeps_opencv_on_one_thread(module):
    opencv_threads, threads = _threads(f"import {module}")
    assert opencv_threads == 1
    default_threads, default_count = _threads("")
    if (os.cpu_count() or 1) > 1:  # OpenCV alone starts a worker per extra core; not once a camera is imported
        assert default_threads > 1 and threads < default_count
