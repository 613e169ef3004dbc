"""The benchmarks tell the truth: a reference that cannot run shows as "not measured" (never a constant,
never a pass), and the camera-like content is what it claims (deterministic, moving, sigma-3 noise)."""

from __future__ import annotations

import numpy as np

from bench import scoreboard as sb
from bench.camera_like import NOISE_SIGMA, CameraLikeClip, HandheldPath, scene


def _outcome(bench: sb.Bench, stdout: str) -> dict:
    o = sb.Outcome(bench.name, "quick", True, 0, 1.0, sb.parse(bench, stdout, {}), when="now")
    return {bench.name: o.__dict__}


def test_absent_lerobot_reference_is_not_measured_not_a_pass():
    cpu = next(b for b in sb.BENCHES if b.name == "cpu_per_frame")
    out = ("pipeline / bare encode, whole machine: 1.10x (median of 3)\n"
           "pipeline / lerobot 0.6.1 streaming_encoding: not measured (no compat venv (make compat))\n")
    rows = {r[1]: r for r in sb.rows(_outcome(cpu, out))}
    lerobot = rows["pipeline / lerobot 0.6.1 streaming_encoding (whole machine)"]
    assert lerobot[3:5] == ("not measured", "not measured")
    ratio = rows["pipeline CPU per camera-frame / bare PyAV encode (whole machine, median of 3)"]
    assert ratio[3:5] == ("1.10x", "pass")
    # a line that changed shape is "NO FIGURE", not "not measured" and not a pass
    rows = {r[1]: r for r in sb.rows(_outcome(cpu, "pipeline / lerobot: 3x\n"))}
    assert rows["pipeline / lerobot 0.6.1 streaming_encoding (whole machine)"][4].startswith("NO FIGURE")


def test_no_bench_figure_is_derived_from_a_constant():
    for b in sb.BENCHES:
        for f in b.figures:
            if f.derive is not None:  # a derived figure must come only from the bench's own figures
                assert f.derive({}) is None, f.key


def test_camera_like_frames_are_deterministic_moving_and_noisy():
    a, b = CameraLikeClip(160, 120, seed=3).frames(20), CameraLikeClip(160, 120, seed=3).frames(20)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], CameraLikeClip(160, 120, seed=4).next())
    assert a[0].shape == (120, 160, 3) and a[0].dtype == np.uint8
    # the view pans: frame 19 is far from frame 0, much more than the noise alone would make it
    assert np.abs(a[19].astype(int) - a[0].astype(int)).mean() > 8
    # sensor noise: a frame minus the scene under it has sigma ~3 (saturation at 0/255 aside)
    clip = CameraLikeClip(160, 120, seed=5)
    same_path = HandheldPath(clip.margin[0] - 2, clip.margin[1] - 2, seed=5, fps=30.0)
    x, y = same_path.step()
    x0, y0 = clip.margin[0] + int(round(x)), clip.margin[1] + int(round(y))
    under = scene(clip.scene.shape[1], clip.scene.shape[0], 5)[y0:y0 + 120, x0:x0 + 160].astype(int)
    noise = clip.next().astype(int) - under
    assert abs(noise.mean()) < 0.2 and abs(noise.std() - NOISE_SIGMA) < 0.3, (noise.mean(), noise.std())
