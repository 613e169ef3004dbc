"""A bimanual take's spool: rows twelve joints wide (meta.json says so; a single pair's meta is as
before, without the key), read back whole after a stop and up to the last complete row after a crash."""

from __future__ import annotations

import json

import numpy as np

from app.recording.spool import ROW_DTYPE, Spool, SpoolWriter, row_dtype, scan_spools


def test_twelve_joint_rows_round_trip_and_survive_a_crash(tmp_path):
    cams = {"observation.images.top": (8, 10)}
    w = SpoolWriter(tmp_path, "hand over", 30, cams, joints=12)
    assert json.loads((w.path / "meta.json").read_text())["joints"] == 12
    img = np.zeros((8, 10, 3), np.uint8)
    for i in range(5):
        state = np.arange(12, dtype=np.float32) + i
        w.append(i, i / 30, np.full(12, i, np.float32), state, {"observation.images.top": img})
    w._rows.write(b"\0" * 7)  # a crash in the middle of the sixth row
    w._close_files()
    [s] = scan_spools(tmp_path)
    assert not s.complete and s.length == 5
    rows = s.rows()
    assert rows["action"].shape == rows["observation.state"].shape == (5, 12)
    assert np.array_equal(rows["observation.state"][4], np.arange(12, dtype=np.float32) + 4)
    assert s.row_dtype == row_dtype(12) and row_dtype(12).itemsize == 16 + 2 * 4 * 12


def test_a_single_pair_spool_is_as_before(tmp_path):
    w = SpoolWriter(tmp_path, "pick", 30, {})
    assert "joints" not in json.loads((w.path / "meta.json").read_text())
    w.append(0, 0.0, np.ones(6, np.float32), np.zeros(6, np.float32), {})
    s = w.stop()
    assert Spool(s.path).row_dtype == ROW_DTYPE and (s.path / "rows.bin").stat().st_size == ROW_DTYPE.itemsize
    assert s.rows()["action"].shape == (1, 6)
