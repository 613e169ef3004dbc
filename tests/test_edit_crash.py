"""A crash (kill -9) or a cancel mid-edit leaves the source untouched and nothing that looks like a
dataset; the next edit cleans up. An interrupted in-place swap is finished on the next open."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest

from app.edit import delete
from app.edit.build import EditCancelled, build, partial_path
from app.edit.inplace import NEW, OLD, recover_swap
from app.edit.source import open_source
from tests.conftest import ROOT
from tests.edit_helpers import check_output, write_studio


def tree_hash(root) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and ".studio" not in p.parts:
            h.update(str(p.relative_to(root)).encode() + p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    root = tmp_path_factory.mktemp("studio") / "ds"
    write_studio(root, lengths=(6, 5, 7, 4, 6, 5))
    return root


def test_kill_9_mid_edit_leaves_source_and_no_valid_output(studio, tmp_path):
    before = tree_hash(studio)
    out = tmp_path / "out"
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from app.edit import delete
        from app.edit.build import build
        from app.edit.source import open_source
        def progress(done, total, what):
            if done == 3:
                print("half", flush=True)
                time.sleep(60)
        build(delete.plan(open_source({str(studio)!r}), "0"), {str(out)!r}, progress=progress)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "half"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    assert tree_hash(studio) == before
    assert not out.exists()
    partial = partial_path(out)
    assert partial.is_dir() and list(partial.rglob("*.parquet"))           # work was under way
    assert not (partial / "meta" / "info.json").exists()                    # but it is no dataset
    build(delete.plan(open_source(str(studio)), "0"), out)                   # the next edit cleans up
    assert not partial.exists()
    check_output(out, studio, {0: 1, 4: 5})


def test_cancel_removes_everything(studio, tmp_path):
    before = tree_hash(studio)
    out = tmp_path / "out"
    calls = []
    with pytest.raises(EditCancelled):
        build(delete.plan(open_source(str(studio)), "1"), out, cancel=lambda: calls.append(1) or len(calls) > 2)
    assert tree_hash(studio) == before
    assert not out.exists() and not partial_path(out).exists()


@pytest.mark.parametrize("stage", ["new-beside-old-source", "new-and-old", "old-beside-new-source", "old-alone"])
def test_interrupted_swap_is_finished(studio, tmp_path, stage):
    root = tmp_path / "ds"
    shutil.copytree(studio, root)
    edited = tmp_path / "edited"
    build(delete.plan(open_source(str(studio)), "0-2"), edited)
    new, old = root.with_name(root.name + NEW), root.with_name(root.name + OLD)
    if stage == "new-beside-old-source":      # crashed right after the new copy was complete
        edited.rename(new)
    elif stage == "new-and-old":             # crashed between the two renames
        edited.rename(new)
        root.rename(old)
    elif stage == "old-beside-new-source":   # crashed before the old copy was deleted
        root.rename(old)
        edited.rename(root)
    else:                                    # the new copy never got its name: keep the source
        root.rename(old)
    open_source(str(root)).close()           # any open of the source finishes the swap
    assert not new.exists() and not old.exists()
    expect = {0: 0, 1: 1} if stage == "old-alone" else {0: 3, 1: 4, 2: 5}
    r = check_output(root, studio, expect)
    assert len(r.episodes) == (6 if stage == "old-alone" else 3)
    assert recover_swap(root) is None
