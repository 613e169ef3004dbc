"""Review state: saved on every change, survives kill -9, round-trips through export/import with
conflicts shown, and drives keep-accepted."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest

from app.cli import main
from app.dataset.reader import DatasetReader
from app.review.exchange import DATASET_FILE, export, import_file
from app.review.state import ACCEPTED, REJECTED, UNREVIEWED, ReviewError, ReviewState, review_path
from tests.conftest import ROOT
from tests.edit_helpers import check_output


@pytest.fixture
def dataset(fixtures_dir, tmp_path):
    root = tmp_path / "so101"
    shutil.copytree(fixtures_dir / "lerobot_so101_3ep", root)
    return root


def state_for(root) -> ReviewState:
    return ReviewState.for_reader(DatasetReader(root), root)


def test_changes_are_saved_and_reloaded(dataset):
    s = state_for(dataset)
    assert s.path.parent == dataset / ".studio" / "review"
    s.set_state(0, ACCEPTED)
    s.set_state(1, REJECTED)
    s.set_note(1, "  gripper slipped  ")
    s.add_marker(1, 30, "slip")
    again = state_for(dataset)
    assert [again.state(e) for e in range(3)] == [ACCEPTED, REJECTED, UNREVIEWED]
    assert again.get(1).note == "gripper slipped" and again.get(1).markers == {30: "slip"}
    assert again.counts(3) == {"unreviewed": 1, "accepted": 1, "rejected": 1}
    with pytest.raises(ReviewError):
        s.set_state(0, "maybe")


def test_hub_review_lives_in_the_cache(dataset):
    r = DatasetReader(dataset)
    p = review_path(r, None, "lab/arm", "abc123")
    assert p.parts[-3:] == ("review", "lab--arm", "abc123.json")
    assert ".studio" not in p.parts


def test_export_import_round_trip_with_conflicts(dataset, tmp_path):
    a = state_for(dataset)
    a.set_state(0, ACCEPTED)
    a.set_state(1, REJECTED)
    a.set_note(1, "slipped")
    a.add_marker(2, 5, "camera bumped")
    exported = export(a, dataset / DATASET_FILE)
    b = ReviewState(tmp_path / "b.json", fp=a.fingerprint)       # a second reviewer
    b.set_state(1, ACCEPTED)
    b.set_note(1, "fine to me")
    b.add_marker(2, 9, "late grasp")
    res = import_file(b, exported)
    assert sorted((c.episode, c.what) for c in res.conflicts) == [(1, "note"), (1, "state")]
    assert b.state(0) == ACCEPTED                        # only in the file: taken
    assert b.state(1) == ACCEPTED and b.get(1).note == "fine to me"   # conflicts: left as they were
    assert b.get(2).markers == {5: "camera bumped", 9: "late grasp"}
    res = import_file(b, exported, prefer="theirs")
    assert b.state(1) == REJECTED and b.get(1).note == "slipped"
    # round trip: exporting b and importing into a fresh state gives the same verdicts
    c = ReviewState(tmp_path / "c.json", fp=a.fingerprint)
    import_file(c, export(b, tmp_path / "b-export.json"))
    assert c.to_json()["episodes"] == json.loads((tmp_path / "b-export.json").read_text())["episodes"]
    other = ReviewState(tmp_path / "d.json", fp="0000")
    with pytest.raises(ReviewError, match="another version"):
        import_file(other, exported)


def test_survives_kill_9_mid_write(dataset):
    path = state_for(dataset).path
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from app.dataset.reader import DatasetReader
        from app.review.state import ReviewState
        from pathlib import Path
        root = Path({str(dataset)!r})
        s = ReviewState.for_reader(DatasetReader(root), root)
        n = 0
        while True:
            n += 1
            s.set_note(n % 3, "note " + str(n) * 200)
            s.add_marker(n % 3, n, "m")
            if n == 50:
                print("going", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "going"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    s = state_for(dataset)                      # parses: a whole file, before or after some change
    assert len(s.get(0).markers) + len(s.get(1).markers) + len(s.get(2).markers) >= 50
    assert [p.name for p in path.parent.iterdir()] == [path.name]     # a cut save's temp is cleaned


def test_review_drives_keep_accepted(dataset, tmp_path, capsys):
    s = state_for(dataset)
    assert main(["edit", "keep-accepted", str(dataset), "--out", str(tmp_path / "none")]) == 1
    assert "no episode is accepted" in capsys.readouterr().err
    s.set_state(0, ACCEPTED)
    s.set_state(1, REJECTED)
    s.set_state(2, ACCEPTED)
    assert main(["edit", "keep-accepted", str(dataset), "--out", str(tmp_path / "kept")]) == 0
    r = check_output(tmp_path / "kept", dataset, {0: 0, 1: 2})
    assert len(r.episodes) == 2
    # a review file from elsewhere drives it too
    f = tmp_path / "theirs.json"
    other = ReviewState(None, fp=s.fingerprint)
    other.set_state(1, ACCEPTED)
    export(other, f)
    assert main(["edit", "keep-accepted", str(dataset), "--review", str(f), "--out", str(tmp_path / "one")]) == 0
    check_output(tmp_path / "one", dataset, {0: 1})
