"""Spool, journal and trash recovery never delete, move or write anything outside the dataset (issue 18).

Each case plants what an attacker (or a stray tool) could leave in a dataset folder: a journal entry
naming a folder outside, take folders or the trash as symlinks to folders outside, ids with `..`.
The outside folder's listing with mtimes is compared before and after.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from app.durable import UnsafePath
from app.encoding.journal import FAILED, JournalError
from app.encoding.queue import EncodeQueue
from app.recording import trash
from app.recording.recovery import recover
from app.recording.spool import Spool, scan_spools, spool_root
from tests.encoding_helpers import X264, make_dataset, record_take


def listing(folder: Path) -> dict:
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = os.lstat(p)
            out[str(p.relative_to(folder))] = (st.st_mtime_ns, st.st_size)
    return out


class Sink:
    def __init__(self):
        self.got = []

    def submit(self, spool):
        self.got.append(spool.id)


@pytest.fixture
def victim(tmp_path):
    """A folder outside the dataset holding a complete take and a precious file."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me")
    take = record_take(tmp_path / "elsewhere", 4)
    shutil.move(str(take.path), outside / take.id)
    return outside, take.id


def test_a_planted_journal_entry_cannot_make_a_commit_delete_outside(tmp_path, victim):
    outside, _ = victim
    root = tmp_path / "ds"
    w = make_dataset(root)
    take = record_take(root, 4)
    copy = outside / "copy"
    shutil.copytree(take.path, copy)  # a take outside: encoding it would delete it after the commit
    before = listing(outside)
    journal = root / ".studio" / "queue.json"
    for planted in (str(copy), f"{take.path}/../../../../outside/copy"):
        entry = {"id": take.id, "spool": planted, "task": "pick", "cameras": list(take.cameras),
                 "length": take.length, "fps": take.fps, "state": "pending", "order": 1.0}
        journal.write_text(json.dumps({"version": 1, "entries": [entry]}))
        q = EncodeQueue(root, w, settings=X264)
        q.process_all()
        row = q.row(take.id)
        assert row is not None and row.state == FAILED, row
        assert "refusing the take's spool folder" in q._journal.entries[take.id].error
        assert listing(outside) == before
        assert w.total_episodes == 0 and take.path.is_dir()  # the real take is kept, for Retry
        q.close()
    w.close()


def test_symlinked_take_folders_are_neither_recovered_nor_deleted(tmp_path, victim):
    outside, take_id = victim
    root = tmp_path / "ds"
    spools = spool_root(root)
    spools.mkdir(parents=True)
    (spools / take_id).symlink_to(outside / take_id, target_is_directory=True)
    (spools / "empty").symlink_to(outside, target_is_directory=True)  # an "orphan" folder
    before = listing(outside)
    sink = Sink()
    report = recover(root, sink, committed={take_id})  # "already committed" would delete it
    assert report.empty and sink.got == [] and scan_spools(root) == []
    assert listing(outside) == before
    # the whole spool folder as a link
    shutil.rmtree(root / ".studio")
    (root / ".studio").mkdir()
    os.symlink(outside, spools, target_is_directory=True)
    assert recover(root, sink, committed={take_id}).empty and listing(outside) == before
    # a Spool object pointed outside refuses to delete itself
    with pytest.raises(UnsafePath):
        Spool(outside / take_id).delete()
    assert listing(outside) == before


def test_trash_never_moves_or_empties_outside(tmp_path, victim):
    outside, take_id = victim
    root = tmp_path / "ds"
    (root / ".studio" / "trash").mkdir(parents=True)
    (root / ".studio" / "trash" / take_id).symlink_to(outside / take_id, target_is_directory=True)
    before = listing(outside)
    assert trash.trashed(root) == [] and trash.empty_trash(root) == 0
    for bad in (take_id, "../../outside/" + take_id, str(outside / take_id), ".."):
        with pytest.raises((UnsafePath, FileNotFoundError)) as err:
            trash.restore(root, bad)
        assert "link" in str(err.value) or "not" in str(err.value)
    assert listing(outside) == before
    assert scan_spools(root) == []
    # a trash folder that is a link: moving a take there is refused, the take stays where it was
    shutil.rmtree(root / ".studio" / "trash")
    os.symlink(outside, root / ".studio" / "trash", target_is_directory=True)
    take = record_take(root, 3)
    with pytest.raises(UnsafePath):
        trash.move_to_trash(root, take)
    assert take.path.is_dir() and listing(outside) == before
    # the ordinary way still works
    os.unlink(root / ".studio" / "trash")
    dest = trash.move_to_trash(root, take)
    assert dest.parent == (root / ".studio" / "trash").resolve() and not take.path.exists()
    assert trash.restore(root, take.id).id == take.id and trash.empty_trash(root) == 0


def test_a_journal_reached_through_a_link_is_refused_and_left_alone(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "queue.json").write_text("{damaged")
    root = tmp_path / "ds"
    w = make_dataset(root)
    shutil.rmtree(root / ".studio", ignore_errors=True)
    os.symlink(outside, root / ".studio", target_is_directory=True)
    before = listing(outside)
    with pytest.raises(JournalError, match="link"):
        EncodeQueue(root, w, settings=X264)
    assert listing(outside) == before  # not renamed to queue.broken-*.json outside
    w.close()


def test_a_new_take_is_never_written_through_a_linked_studio_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "ds"
    root.mkdir()
    os.symlink(outside, root / ".studio", target_is_directory=True)
    with pytest.raises(UnsafePath):
        record_take(root, 2)
    assert listing(outside) == {}
