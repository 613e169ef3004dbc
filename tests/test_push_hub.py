"""Push to the writable Hub stand-in: bytes, card, tag, append, resume after a cut, retries, errors, token."""

from __future__ import annotations

import logging

import pytest

from app.hub.card import front_matter
from app.hub.push import TAG, Push, PushCancelled, PushError, PushOptions
from app.hub.push_files import committed_files, hash_file
from tests.push_helpers import TOKEN, append_episode, make_dataset, remote_files, whub  # noqa: F401

REPO = "studio/pushed"


def push(hub, root, repo=REPO, **kw):  # noqa: F811
    kw.setdefault("sleep", lambda s: None)
    p = Push(PushOptions(root, repo, endpoint=hub.endpoint, **kw))
    return p, p.run()


def local_bytes(root):
    return {k: v.read_bytes() for k, v in committed_files(root).items()}


def parse_front_matter(text: str) -> dict:
    """The flat YAML lerobot cards use: `key: value`, `key:` then `- item` lists, one nested list of maps."""
    out, key = {}, None
    for line in front_matter(text).splitlines():
        if line.startswith("- ") and key:
            out[key].append(line[2:].strip().strip('"'))
        elif line.startswith("  ") and key:
            k, v = line.strip().split(":", 1)
            out[key][-1] = {"name": out[key][-1], k: v.strip()}
        else:
            key, _, value = line.partition(":")
            out[key] = value.strip().strip('"') if value.strip() else []
    return out


def refs(hub, repo=REPO):  # noqa: F811
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.endpoint, token=TOKEN).list_repo_refs(repo, repo_type="dataset")


def test_push_is_byte_equal_with_card_and_tag_then_nothing_to_resend(whub, tmp_path):  # noqa: F811
    root = make_dataset(tmp_path / "ds")
    (root / ".studio" / "queue.json").write_text("{}")
    p, r = push(whub, root)
    remote = remote_files(whub, REPO)
    local = local_bytes(root)
    assert set(remote) == set(local) | {"README.md"}
    assert all(remote[k] == v for k, v in local.items())
    assert not any(k.startswith((".studio", "images")) for k in remote)
    card = remote["README.md"].decode()
    meta = parse_front_matter(card)
    assert meta["license"] == "apache-2.0" and meta["task_categories"] == ["robotics"]
    assert meta["tags"][0] == "LeRobot" and meta["robot_type"] == "so_follower"
    assert meta["configs"] == [{"name": "config_name: default", "data_files": "data/*/*.parquet"}]
    assert "| 2 | 24 | 30 | so_follower |" in card and "pick the cube; place the cube" in card
    tags = {t.name: t.target_commit for t in refs(whub).tags}
    assert tags == {TAG: r.commit}
    assert p.progress.phase == "done" and p.progress.bytes_done == p.progress.bytes_total > 0
    assert not (root / ".studio" / "push" / "snapshot").exists()
    mark = len(whub.log)
    _, again = push(whub, root)
    assert again.committed == [] and again.unchanged == len(local) + 1
    assert whub.uploads(mark) == [] and not any("/commit/" in x.path for x in whub.log[mark:])


def test_card_front_matter_reads_with_huggingface_hub(whub, tmp_path):  # noqa: F811
    from huggingface_hub import DatasetCard

    root = make_dataset(tmp_path / "ds", episodes=1)
    push(whub, root, tags=("so101", "tabletop"))
    card = DatasetCard(remote_files(whub, REPO)["README.md"].decode())
    assert card.data.license == "apache-2.0" and card.data.tags[:3] == ["LeRobot", "so101", "tabletop"]
    assert card.data.configs[0]["data_files"] == "data/*/*.parquet"


def test_append_uploads_only_changed_files_and_moves_the_tag(whub, tmp_path):  # noqa: F811
    root = make_dataset(tmp_path / "ds")
    _, first = push(whub, root)
    before = {k: hash_file(p, False)[0] for k, p in committed_files(root).items()}
    append_episode(root, 2)
    after = {k: hash_file(p, False)[0] for k, p in committed_files(root).items()}
    changed = {k for k in after if before.get(k) != after[k]}
    mark = len(whub.log)
    _, second = push(whub, root)
    assert set(second.committed) == changed | {"README.md"}
    sent = {x.path.rsplit("/", 1)[-1] for x in whub.uploads(mark)}
    assert sent == {after[k] for k in changed if not k.endswith(".json")}
    assert all(remote_files(whub, REPO)[k] == v for k, v in local_bytes(root).items())
    assert "| 3 | 36 |" in remote_files(whub, REPO)["README.md"].decode()
    assert {t.name: t.target_commit for t in refs(whub).tags} == {TAG: second.commit} != {TAG: first.commit}


def test_cut_connection_mid_file_then_push_again_resends_no_finished_file(whub, tmp_path):  # noqa: F811
    root = make_dataset(tmp_path / "ds", episodes=3)
    whub.drop_upload_after(2000, times=100, skip=2)        # 2 big files get through, then the network "dies"
    with pytest.raises(PushError, match="push again to resume"):
        push(whub, root, workers=1, retries=1)
    first_ok = {x.path for x in whub.uploads()}
    cut = [x for x in whub.log if x.method == "PUT" and x.status == -1]
    assert len(first_ok) >= 2 and cut and all(0 < x.bytes < 70000 for x in cut)
    assert whub.commits == [] and REPO not in [c[0] for c in whub.commits]
    whub._drops.clear()
    mark = len(whub.log)
    p, r = push(whub, root, workers=1)
    second_ok = {x.path for x in whub.uploads(mark)}
    assert second_ok and not (second_ok & first_ok)          # the server log: nothing sent twice
    assert r.resumed == len(first_ok) == p.progress.resumed
    assert all(remote_files(whub, REPO)[k] == v for k, v in local_bytes(root).items())


def test_server_errors_are_retried_with_backoff(whub, tmp_path):  # noqa: F811
    root = make_dataset(tmp_path / "ds", episodes=1)
    waits = []
    whub.fail_next("POST", "/commit/", 503, times=2)
    _, r = push(whub, root, sleep=waits.append)
    assert waits == [2.0, 4.0] and r.commit and TAG in {t.name for t in refs(whub).tags}
    whub.fail_next("POST", "/commit/", 500, times=99)
    append_episode(root, 1)
    with pytest.raises(PushError, match="server error 500.*push again"):
        push(whub, root, retries=2)


@pytest.mark.parametrize("case, match", [
    ("missing", "No Hugging Face token found.*hf auth login"),
    ("bad", "token was refused"),
    ("read-only", "read-only"),
    ("no-org", "'nosuch' is not a user or organisation"),
    ("other-org", "cannot write to otherlab/x"),
])
def test_token_and_namespace_errors_are_clear_and_never_show_the_token(whub, tmp_path, monkeypatch, caplog,
                                                                      case, match):  # noqa: F811
    root = make_dataset(tmp_path / "ds", episodes=1)
    whub.add_user("hf_readonlytokenBBBBBBBBBBBB", "reader", role="read")
    whub.add_user("hf_othertokenCCCCCCCCCCCCCC", "other", orgs=["otherlab"])
    repo, token = REPO, TOKEN
    if case == "missing":
        monkeypatch.delenv("HF_TOKEN")
        monkeypatch.setenv("HF_HOME", str(tmp_path / "empty_hf_home"))
        token = None
    elif case == "bad":
        token = "hf_wrongtokenDDDDDDDDDDDDDDD"
        monkeypatch.setenv("HF_TOKEN", token)
    elif case == "read-only":
        token = "hf_readonlytokenBBBBBBBBBBBB"
    elif case == "no-org":
        repo = "nosuch/x"
    else:
        repo = "otherlab/x"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PushError, match=match) as info:
        push(whub, root, repo=repo, token=token if case != "bad" else None)
    assert "Traceback" not in str(info.value)
    for secret in filter(None, (token, TOKEN)):
        assert secret not in str(info.value) and secret not in caplog.text
        assert all(secret not in f.read_text(errors="ignore") for f in (root / ".studio").rglob("*") if f.is_file())
    assert whub.commits == []


def test_local_file_changed_during_upload_commits_nothing(whub, tmp_path):  # noqa: F811
    root = make_dataset(tmp_path / "ds")
    victim = root / "videos" / "observation.images.wrist" / "chunk-000" / "file-000.mp4"
    original = victim.read_bytes()

    def edit_in_place(p):
        if p.phase == "uploading" and p.bytes_done and victim.read_bytes() == original:
            with open(victim, "ab") as fh:       # same inode: the snapshot sees it too
                fh.write(b"\0" * 10)

    with pytest.raises(PushError, match="changed on disk while it was being uploaded"):
        Push(PushOptions(root, REPO, endpoint=whub.endpoint, workers=1, sleep=lambda s: None),
             on_progress=edit_in_place).run()
    assert whub.commits == []
    assert committed_files(root).keys() == local_bytes(root).keys()  # nothing added or removed locally


def test_cancel_then_push_again(whub, tmp_path):  # noqa: F811
    root = make_dataset(tmp_path / "ds")
    holder = {}

    def cancel_on_bytes(p):
        if p.bytes_done:
            holder["push"].cancel()

    holder["push"] = Push(PushOptions(root, REPO, endpoint=whub.endpoint, workers=1), on_progress=cancel_on_bytes)
    with pytest.raises(PushCancelled):
        holder["push"].run()
    assert holder["push"].progress.phase == "cancelled" and whub.commits == []
    _, r = push(whub, root)
    assert all(remote_files(whub, REPO)[k] == v for k, v in local_bytes(root).items())
    assert {t.name for t in refs(whub).tags} == {TAG} and r.commit
