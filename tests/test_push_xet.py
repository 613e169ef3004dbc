"""The default install (hf-xet present, Xet not switched off) against a Hub whose Xet storage cannot be
reached: the push says so once, finishes over LFS with byte progress, can be cancelled and resumes without
re-sending a finished file. The same on the LFS path (HF_HUB_DISABLE_XET), which never asks for Xet."""

from __future__ import annotations

import pytest

from app.hub.push import Push, PushCancelled, PushOptions
from app.hub.push_files import committed_files
from app.hub.push_transfer import xet_enabled
from tests.push_helpers import make_dataset, remote_files, whub, whub_lfs  # noqa: F401

REPO = "studio/xet"


def asked_xet(hub, since=0) -> bool:
    return any(("xet-write-token" in r.path and r.status == 404) for r in hub.log[since:])


def test_default_install_falls_back_to_lfs_with_byte_progress(whub, tmp_path):  # noqa: F811
    pytest.importorskip("hf_xet")                  # part of huggingface_hub's default install since 0.32
    assert xet_enabled()
    root = make_dataset(tmp_path / "ds", episodes=2)
    seen = []
    p = Push(PushOptions(root, REPO, endpoint=whub.endpoint, workers=1, sleep=lambda s: None),
             on_progress=seen.append)
    r = p.run()
    assert asked_xet(whub)                         # Xet was tried first, as huggingface_hub does by default
    assert all(remote_files(whub, REPO)[k] == f.read_bytes() for k, f in committed_files(root).items())
    notices = {s.notice for s in seen if s.notice}
    assert len(notices) == 1 and "Xet storage could not be reached" in notices.pop()
    up = [s for s in seen if s.phase == "uploading"]
    assert len({s.bytes_done for s in up}) >= 5 and up[-1].bytes_done == up[-1].bytes_total > 50_000
    assert any(s.eta is not None and s.eta > 0 for s in up)
    assert p.progress.transport == "LFS" and r.uploaded and r.bytes_sent == p.progress.bytes_total


@pytest.mark.parametrize("fixture", ["whub", "whub_lfs"])
def test_cancel_then_push_again_resends_no_finished_file(fixture, request, tmp_path):
    hub = request.getfixturevalue(fixture)
    root = make_dataset(tmp_path / "ds", episodes=3)
    holder = {}

    def cancel_after_two_uploads(p):
        if len(hub.uploads()) >= 2:
            holder["push"].cancel()

    holder["push"] = Push(PushOptions(root, REPO, endpoint=hub.endpoint, workers=1, sleep=lambda s: None),
                          on_progress=cancel_after_two_uploads)
    with pytest.raises(PushCancelled, match="push again to resume"):
        holder["push"].run()
    first = {r.path for r in hub.uploads()}
    first_bytes = sum(r.bytes for r in hub.uploads())
    assert len(first) >= 2 and hub.commits == [] and holder["push"].progress.phase == "cancelled"
    assert asked_xet(hub) == (fixture == "whub")
    mark = len(hub.log)
    p = Push(PushOptions(root, REPO, endpoint=hub.endpoint, workers=2, sleep=lambda s: None))
    r = p.run()
    again = {x.path for x in hub.uploads(mark)}
    assert again and not (again & first)               # the server log: nothing sent twice
    assert r.resumed == len(first) == p.progress.resumed
    remote = remote_files(hub, REPO)
    assert all(remote[k] == f.read_bytes() for k, f in committed_files(root).items())
    # what this push counted: every file but the ones sent before the cancel
    assert p.progress.bytes_done == p.progress.bytes_total == sum(map(len, remote.values())) - first_bytes
    assert not (root / ".studio" / "push" / "sent.json").exists()      # committed: nothing left to resume


def test_lfs_path_never_asks_for_xet(whub_lfs, tmp_path):  # noqa: F811
    root = make_dataset(tmp_path / "ds", episodes=1)
    p = Push(PushOptions(root, REPO, endpoint=whub_lfs.endpoint, sleep=lambda s: None))
    p.run()
    assert not asked_xet(whub_lfs) and p.progress.notice == "" and p.progress.transport == "LFS"
    assert all(remote_files(whub_lfs, REPO)[k] == f.read_bytes() for k, f in committed_files(root).items())
