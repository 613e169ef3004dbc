"""The spool: what is appended is read back exactly, a killed writer leaves its complete frames."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from app.recording.spool import Spool, SpoolError, SpoolWriter, scan_spools

CAMS = {"observation.images.front": (48, 64), "observation.images.wrist": (24, 32)}


def _frame(key, i):
    h, w = CAMS[key]
    return np.full((h, w, 3), i % 256, np.uint8) + np.arange(w, dtype=np.uint8)[None, :, None]


def _write(root, n, stop=True):
    w = SpoolWriter(root, "pick", 30, CAMS)
    for i in range(n):
        a = np.full(6, i, np.float32)
        w.append(i, i / 30, a, a + 0.5, {k: _frame(k, i) for k in CAMS})
    return w.stop() if stop else w


def test_roundtrip_exact(tmp_path):
    s = _write(tmp_path, 12)
    assert s.complete and s.length == 12 and s.task == "pick" and s.fps == 30
    assert s.cameras == CAMS
    rows = s.rows()
    assert rows["action"].shape == (12, 6) and rows["action"].dtype == np.float32
    np.testing.assert_array_equal(rows["observation.state"][:, 0], np.arange(12) + 0.5)
    for key in CAMS:
        frames = list(s.frames(key))
        assert len(frames) == 12
        for i, f in enumerate(frames):
            np.testing.assert_array_equal(f, _frame(key, i))
    assert [x.id for x in scan_spools(tmp_path)] == [s.id]
    s.delete()
    assert scan_spools(tmp_path) == []


def test_trim_cuts_head_and_tail(tmp_path):
    s = _write(tmp_path, 10)
    s.set_trim(2, 3)
    s = Spool(s.path)  # trim survives a reload
    assert s.length == 5
    np.testing.assert_array_equal(s.rows()["action"][:, 0], [2, 3, 4, 5, 6])
    np.testing.assert_array_equal(next(s.frames("observation.images.front")), _frame("observation.images.front", 2))
    with pytest.raises(SpoolError):
        s.set_trim(5, 5)


def test_wrong_frame_shape_is_refused(tmp_path):
    w = SpoolWriter(tmp_path, "pick", 30, CAMS)
    with pytest.raises(SpoolError, match="expected"):
        w.append(0, 0.0, np.zeros(6), np.zeros(6), {k: np.zeros((2, 2, 3), np.uint8) for k in CAMS})
    w.discard()
    assert not w.path.exists()


def test_sigkill_mid_write_keeps_complete_frames(tmp_path):
    script = textwrap.dedent(f"""
        import sys, numpy as np
        sys.path.insert(0, {str(os.getcwd())!r})
        from app.recording.spool import SpoolWriter
        cams = {CAMS!r}
        w = SpoolWriter({str(tmp_path)!r}, "pick", 30, cams)
        i = 0
        while True:
            a = np.full(6, i, np.float32)
            w.append(i, i / 30, a, a, {{k: np.full((h, wd, 3), i % 256, np.uint8) for k, (h, wd) in cams.items()}})
            i += 1
            if i == 50:
                print("ready", flush=True)
    """)
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    p.send_signal(signal.SIGKILL)
    p.wait()
    [s] = scan_spools(tmp_path)
    assert not s.complete and s.length >= 50
    rows = s.rows()
    np.testing.assert_array_equal(rows["action"][:, 0], np.arange(s.length))
    last = list(s.frames("observation.images.wrist"))[-1]
    assert (last == (s.length - 1) % 256).all()
    s.mark_stopped("recovered")
    s2 = Spool(s.path)
    assert s2.complete and s2.length == s.length
