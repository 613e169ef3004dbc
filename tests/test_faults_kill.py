"""A handful of the bench's SIGKILL trials in the default suite (bench/kill_trials.py runs 100): the
`record` CLI killed once in a take, once in a reset, once while encoding; after each relaunch every
stopped take is in the dataset exactly once and `teleop-studio check` passes.

The kill tests of each layer stay where they are (tests/test_dataset_kill.py: writer;
tests/test_record_cli.py: mid-recording/mid-reset with exact lengths; tests/test_encoding_crash.py:
mid-encode/verify); this one runs the harness itself, so its checks are exercised too."""

from __future__ import annotations

import pytest

from bench.kill_trials import PHASES, run_trials, summary


@pytest.mark.slow
def test_three_kill_trials_one_per_phase(tmp_path):
    trials = run_trials(len(PHASES), seed=7, work=tmp_path, series=len(PHASES), cli_check_every=len(PHASES),
                        progress=lambda s: None)
    assert [t.target for t in trials] == list(PHASES)
    failures = [(t.number, t.hit, t.problems) for t in trials if not t.ok]
    assert not failures, failures
    s = summary(trials)
    assert s["passed"] == 3 and trials[-1].episodes_after >= 3
