"""Crash safety: SIGKILL a writer subprocess at random moments; the dataset must always read and
validate (after the documented recovery, which opening it for writing runs), and hold every episode the child reported as committed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.dataset.reader import DatasetReader
from app.dataset.validate import validate
from app.dataset.writer import DatasetWriter

TRIALS = 24
CHILD = r"""
import sys, numpy as np
from pathlib import Path
from app.dataset.features import make_features
from app.dataset.writer import DatasetWriter, Episode
root = Path(sys.argv[1])
joints = ["a.pos", "b.pos", "c.pos", "d.pos", "e.pos", "gripper.pos"]
if (root / "meta/info.json").exists() or (root / ".studio/commit-intent.json").exists():
    w = DatasetWriter.open(root)
else:
    w = DatasetWriter.create(root, "me/kill", 30, make_features(joints, {"front": (24, 32)}),
                             data_files_size_in_mb=0.01, video_files_size_in_mb=0.01, chunks_size=3)
print("ready", w.total_episodes, flush=True)
i = w.total_episodes
while True:
    n = 3 + i % 4
    state = np.full((n, 6), i, np.float32) + np.arange(n, dtype=np.float32)[:, None]
    frames = [np.full((24, 32, 3), (i * 20 + k) % 256, np.uint8) for k in range(n)]
    idx = w.add_episode(Episode(f"task {i % 3}", {"action": state + 1, "observation.state": state},
                                {"observation.images.front": frames}), source_id=f"take-{i}")
    print("committed", idx, flush=True)
    i += 1
"""


def _run_and_kill(root: Path, rng: random.Random) -> int:
    """Start the child, kill it at a random moment, return the highest episode it reported committed."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    p = subprocess.Popen([sys.executable, "-c", CHILD, str(root)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, env=env)
    line = p.stdout.readline()
    assert line.startswith("ready"), f"child did not start: {line!r}"
    time.sleep(rng.uniform(0.0, 0.35))
    p.send_signal(signal.SIGKILL)
    out, _ = p.communicate(timeout=30)
    committed = [int(x.split()[1]) for x in out.splitlines() if x.startswith("committed")]
    return max(committed) if committed else -1


@pytest.mark.slow
def test_sigkill_never_breaks_the_dataset(tmp_path):
    rng = random.Random(4)
    root = tmp_path / "ds"
    reported = -1
    for trial in range(TRIALS):
        reported = max(reported, _run_and_kill(root, rng))
        if not (root / "meta/info.json").exists():
            continue  # killed before create() finished: nothing was promised yet
        DatasetWriter.open(root).close()     # recovery runs when the dataset is opened for writing
        if trial % 2:
            rep = validate(root)
            assert rep.ok, (trial, rep.lines())
        r = DatasetReader(root)
        assert len(r.episodes) == r.info["total_episodes"] >= reported + 1, (trial, reported)
        if r.episodes:
            last = r.episodes[-1]
            assert r.read_episode(last.index).num_rows == last.length
            r.frame(last.index, "observation.images.front", last.length - 1)
        r.close()
        assert not list(root.rglob("*.studio-tmp")) and not (root / ".studio/commit-intent.json").exists()
    assert reported >= 5, "the child never got far enough to make the test meaningful"
    rep = validate(root)
    assert rep.ok, rep.lines()


class _Crash(Exception):
    pass


@pytest.mark.parametrize("renames_before_crash", [0, 1, 2, 4, 6])
def test_crash_between_renames_rolls_forward(tmp_path, monkeypatch, renames_before_crash):
    """Deterministic fault injection in the apply phase: the intent decides the outcome."""
    import numpy as np

    import app.dataset.commit as commit
    from app.dataset.features import make_features
    from app.dataset.writer import Episode

    root = tmp_path / "ds"
    w = DatasetWriter.create(root, "me/crash", 30, make_features(["a", "b", "c", "d", "e", "f"], {"front": (24, 32)}))
    state = np.zeros((4, 6), np.float32)
    frames = [np.full((24, 32, 3), 9 * k, np.uint8) for k in range(4)]
    w.add_episode(Episode("one", {"action": state, "observation.state": state}, {"observation.images.front": frames}))
    real_replace, calls = os.replace, []

    def replace(src, dst):
        # the first os.replace of a commit puts the intent in place; then come the renames
        if len(calls) >= renames_before_crash:
            raise _Crash()
        calls.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(commit.os, "replace", replace)
    with pytest.raises(_Crash):
        w.add_episode(Episode("two", {"action": state + 1, "observation.state": state + 1},
                              {"observation.images.front": frames}), source_id="take-2")
    monkeypatch.setattr(commit.os, "replace", real_replace)
    w.close()
    intent_written = renames_before_crash >= 1
    assert (root / ".studio/commit-intent.json").exists() == intent_written
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    validate(root)                           # reading never finishes (or touches) the commit
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == before
    DatasetWriter.open(root).close()         # opening for writing does
    assert not (root / ".studio/commit-intent.json").exists()
    rep = validate(root)
    assert rep.ok, rep.lines()
    r = DatasetReader(root)
    assert len(r.episodes) == (2 if intent_written else 1)
    assert not list(root.rglob("*.studio-tmp"))
    w = DatasetWriter.open(root)
    assert ("take-2" in w.committed_sources()) == intent_written
    w.close()
