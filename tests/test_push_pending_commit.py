"""Push never finishes someone else's commit: with an interrupted commit left in the dataset it refuses
at once, names what to do, and leaves every dataset file as it was (issue 18: read-only commands)."""

from __future__ import annotations

import json

import pytest

from app.hub.push_files import SnapshotError, take_snapshot
from tests.hostile_helpers import listing, make_dataset


def test_push_snapshot_refuses_a_pending_commit_without_touching_it(tmp_path):
    root = make_dataset(tmp_path / "ds")
    (root / "meta" / "payload.txt").write_text("half-committed bytes\n")
    (root / ".studio" / "commit-intent.json").write_text(
        json.dumps({"renames": [["meta/payload.txt", "meta/info.json"]]}))
    before = _dataset_files(root)
    with pytest.raises(SnapshotError) as e:
        take_snapshot(root, attempts=2, wait=0.01)
    assert "interrupted commit is pending" in str(e.value)
    assert "record --resume" in str(e.value)
    assert (root / "meta" / "payload.txt").exists()
    assert _dataset_files(root) == before


def _dataset_files(root):
    """Everything lerobot sees (the studio's own .studio/ folder aside)."""
    return {k: v for k, v in listing(root).items() if "/.studio" not in k}


def test_push_snapshot_of_a_clean_dataset_lists_its_files(tmp_path):
    root = make_dataset(tmp_path / "ds")
    files = take_snapshot(root, attempts=2, wait=0.01)
    assert "meta/info.json" in {f.rel for f in files}
