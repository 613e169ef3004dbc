"""Camera view and grid: scaled painting, aspect ratio, overlays, frame age, automatic tiling."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QRectF

from app.rig.samples import Frame
from widgets.camera_view import CameraGrid, CameraView, best_columns


def make_frame(name="front", w=64, h=48, index=0, age=0.0, value=200) -> Frame:
    img = np.full((h, w, 3), value, np.uint8)
    img[:, : w // 2, 0] = 30  # not uniform, so painting it shows
    img.setflags(write=False)
    return Frame(name, img, index, time.monotonic() - age)


def test_view_shows_the_frame_scaled_with_its_colours(qtbot):
    view = CameraView("front")
    qtbot.addWidget(view)
    view.resize(640, 480)
    view.show_overlay = False
    view.set_frame(make_frame(w=64, h=48))
    shot = view.grab().toImage()
    left, right = shot.pixelColor(100, 240), shot.pixelColor(540, 240)
    assert (left.red(), left.green(), left.blue()) == (30, 200, 200)  # channel order kept
    assert (right.red(), right.green(), right.blue()) == (200, 200, 200)
    assert view.frames_received == 1 and view.last_index == 0


def test_picture_keeps_its_aspect_ratio_and_is_centred(qtbot):
    view = CameraView("front")
    qtbot.addWidget(view)
    view.resize(400, 400)
    view.set_frame(make_frame(w=64, h=48))
    assert view.image_rect() == QRectF(0, 50, 400, 300)
    view.resize(800, 300)
    assert view.image_rect() == QRectF(200, 0, 400, 300)


def test_painting_reports_frame_age_and_draws_the_overlay(qtbot):
    view = CameraView("front")
    qtbot.addWidget(view)
    view.resize(320, 240)
    view.set_frame(make_frame(age=0.25))
    with_overlay = view.grab().toImage()
    assert view.paint_count >= 1
    assert view.last_age_ms >= 250  # captured 250 ms before it was painted
    view.show_overlay = False
    without = view.grab().toImage()
    # the name chip sits in the top-left corner, the fps/age chip in the top-right
    assert with_overlay.pixelColor(8, 8) != without.pixelColor(8, 8)
    assert with_overlay.pixelColor(312, 8) != without.pixelColor(312, 8)
    assert with_overlay.pixelColor(160, 200) == without.pixelColor(160, 200)


def test_view_measures_the_frame_rate_it_shows(qtbot):
    view = CameraView("front")
    qtbot.addWidget(view)
    t0 = time.monotonic()
    for i in range(11):
        img = np.zeros((48, 64, 3), np.uint8)
        view.set_frame(Frame("front", img, i, t0 - 1.0 + i * 0.1))  # 10 fps, last one just now
    assert view.shown_fps == pytest.approx(10.0, rel=0.01)


def test_view_without_frames_says_it_is_waiting(qtbot):
    view = CameraView("side")
    qtbot.addWidget(view)
    view.resize(200, 150)
    view.grab()
    assert view.is_stale() and view.paint_count == 1 and view.shown_fps == 0.0


@pytest.mark.parametrize("n, w, h, cols", [(1, 800, 600, 1), (2, 1000, 400, 2), (2, 400, 800, 1),
                                           (3, 1200, 300, 3), (4, 800, 600, 2), (6, 1600, 600, 3)])
def test_best_columns(n, w, h, cols):
    assert best_columns(n, w, h) == cols


def test_grid_tiles_cameras_and_adds_new_ones(qtbot):
    grid = CameraGrid(["front", "wrist", "top", "side"])
    qtbot.addWidget(grid)
    grid.resize(800, 600)
    grid.show()
    qtbot.waitExposed(grid)
    positions = {n: (v.x(), v.y()) for n, v in grid.views.items()}
    assert len({y for _, y in positions.values()}) == 2  # 2 x 2
    assert len({x for x, _ in positions.values()}) == 2
    grid.set_frames({"front": make_frame("front"), "extra": make_frame("extra")})
    assert set(grid.views) == {"front", "wrist", "top", "side", "extra"}
    assert grid.views["front"].frames_received == 1 and grid.views["extra"].frames_received == 1
    grid.set_overlay_visible(False)
    assert not any(v.show_overlay for v in grid.views.values())
