"""Seeded random mutations of a dataset's metadata, parquet and mp4 bytes (tests/hostile_fuzz.py),
for a bounded time: every case ends in a clear DatasetError or a report, under 500 MB and 64
threads, with under 20 KB of messages, and nothing is written anywhere."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys

import pytest

from tests.hostile_fuzz import mutate_bytes, mutate_json
from tests.hostile_helpers import ROOT, listing, make_dataset, run_watched

SECONDS = float(os.environ.get("TELEOP_FUZZ_SECONDS", "9"))
SEED = int(os.environ.get("TELEOP_FUZZ_SEED", "18"))


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("fuzz") / "clean", episodes=2, length=8)


def test_random_mutations_end_cleanly(clean, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    untouched = listing(clean)
    res = subprocess.run([sys.executable, "-m", "tests.hostile_fuzz", str(clean), str(tmp_path / "work"),
                          str(SEED), str(SECONDS)], capture_output=True, text=True, timeout=SECONDS + 120,
                         env=env, cwd=ROOT)
    lines = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
    cases = [x for x in lines if "case" in x]
    started = [x["starting"] for x in lines if "starting" in x]
    assert res.returncode == 0, f"the reader process died in case {started[-1] if started else '?'}: " \
                                f"{res.stderr[-2000:]}"
    assert len(cases) >= 10, "the fuzzer barely ran"
    for c in cases:
        assert "escaped" not in c, c             # only a DatasetError may come out of the reader
        assert c["rss_mb"] < 500 and c["threads"] < 64, c
        assert c["chars"] < 20_000, c
        assert not c["wrote"], c
    assert listing(clean) == untouched          # the fuzzer mutates copies only


@pytest.mark.parametrize("k", range(3))
def test_check_command_on_mutations(clean, tmp_path, k):
    rng = random.Random(SEED * 10 + k)
    root = tmp_path / "ds"
    shutil.copytree(clean, root)
    targets = [root / "meta/info.json", root / "meta/stats.json", root / "meta/episodes/chunk-000/file-000.parquet",
               root / "data/chunk-000/file-000.parquet",
               root / "videos/observation.images.front/chunk-000/file-000.mp4"]
    target = targets[k % len(targets)] if k < 2 else rng.choice(targets)
    (mutate_json if target.suffix == ".json" else mutate_bytes)(target, rng)
    files = listing(tmp_path)
    res, peak_mb, peak_threads = run_watched([sys.executable, "-m", "app.cli", "check", str(root)])
    assert listing(tmp_path) == files
    assert res.returncode in (0, 1, 2), res.stderr[-2000:]
    assert "Traceback" not in res.stdout + res.stderr
    assert res.stdout.strip().splitlines()[-1].startswith(("valid", "invalid", "ERROR"))
    assert len(res.stdout) + len(res.stderr) < 20_000
    assert peak_mb < 500 and peak_threads < 64, (peak_mb, peak_threads)
