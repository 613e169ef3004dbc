"""A station whose token cannot write a lab's dataset contributes by Hub pull request: the refused push
offers it, `create_pr` sends the files without touching main and reports the pull request's URL."""

from __future__ import annotations

import pytest

from app.hub.push import Push, PushError, PushOptions
from app.hub.push_files import committed_files
from tests.push_helpers import make_dataset, remote_files, whub  # noqa: F401
from tests.test_push_cli import cli

MAINTAINER = "hf_maintainertokenEEEEEEEEEE"
REPO = "lab/shared"


def lab_dataset(hub, tmp_path):
    hub.add_user(MAINTAINER, "boss", orgs=["lab"])
    first = make_dataset(tmp_path / "lab", episodes=1)
    Push(PushOptions(first, REPO, endpoint=hub.endpoint, token=MAINTAINER, sleep=lambda s: None)).run()
    return remote_files(hub, REPO)


def test_refused_push_offers_a_pull_request_that_carries_the_files(whub, tmp_path):  # noqa: F811
    main_before = lab_dataset(whub, tmp_path)
    root = make_dataset(tmp_path / "station", episodes=2)
    with pytest.raises(PushError, match="cannot write to lab/shared.*pull request") as info:
        Push(PushOptions(root, REPO, endpoint=whub.endpoint, sleep=lambda s: None)).run()
    assert info.value.can_open_pr and whub.pull_requests == []
    p = Push(PushOptions(root, REPO, endpoint=whub.endpoint, create_pr=True, sleep=lambda s: None))
    r = p.run()
    assert r.pr_url == f"{whub.endpoint}/datasets/{REPO}/discussions/1" and r.pr_url in p.progress.message
    assert remote_files(whub, REPO) == main_before                       # main untouched
    repo, num, author, files = whub.pull_requests[0]
    assert (repo, num, author) == (REPO, 1, "studio")
    local = {k: f.read_bytes() for k, f in committed_files(root).items()}
    for path, data in local.items():                                     # each file: in the PR, or same on main
        assert files.get(path, main_before.get(path)) == data, path
    assert set(files) == {k for k, v in local.items() if main_before.get(k) != v} | {"README.md"}
    assert "| 2 | 24 |" in files["README.md"].decode()
    mark = len(whub.log)                       # the lab's own files again: nothing to propose, nothing tagged
    same = Push(PushOptions(tmp_path / "lab", REPO, endpoint=whub.endpoint, create_pr=True, sleep=lambda s: None))
    assert same.run().pr_url is None and "Nothing to propose" in same.progress.message
    assert len(whub.pull_requests) == 1 and not any("/tag/" in x.path for x in whub.log[mark:])


def test_no_pull_request_offered_for_a_repo_that_does_not_exist(whub, tmp_path):  # noqa: F811
    whub.add_user(MAINTAINER, "boss", orgs=["lab"])
    root = make_dataset(tmp_path / "station", episodes=1)
    with pytest.raises(PushError, match="cannot write to lab/new") as info:
        Push(PushOptions(root, "lab/new", endpoint=whub.endpoint, sleep=lambda s: None)).run()
    assert not info.value.can_open_pr and "pull request" not in str(info.value)
    with pytest.raises(PushError, match="does not exist"):
        Push(PushOptions(root, "lab/new", endpoint=whub.endpoint, create_pr=True, sleep=lambda s: None)).run()


def test_command_line_suggests_then_opens_the_pull_request(whub, tmp_path):  # noqa: F811
    root = make_dataset(tmp_path / "station", episodes=2)
    lab_dataset(whub, tmp_path)
    refused = cli(whub, tmp_path, "push", str(root), "--repo-id", REPO)
    opened = cli(whub, tmp_path, "push", str(root), "--repo-id", REPO, "--create-pr")
    assert refused.returncode == 1 and "--create-pr" in refused.stderr and "Traceback" not in refused.stderr
    assert opened.returncode == 0, opened.stderr
    assert f"/datasets/{REPO}/discussions/1" in opened.stdout and "pull request" in opened.stdout
    assert len(whub.pull_requests) == 1
