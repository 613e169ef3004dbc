"""Commit recovery is a writer's job only, follows only intents this studio wrote, and never leaves
the dataset root: the attacks of issue 18 (a `meta/v -> ../V` symlink and a planted intent)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from app.dataset import commit
from app.dataset.errors import DatasetError
from app.dataset.reader import DatasetReader
from app.dataset.validate import validate
from app.dataset.writer import DatasetWriter
from app.durable import UnsafePath, confined
from tests.hostile_helpers import listing, make_dataset, run_cli


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("clean") / "ds")


def _copy(src: Path, dst: Path) -> Path:
    import shutil
    shutil.copytree(src, dst, symlinks=True)
    return dst


def _attack(tmp_path: Path, clean: Path, renames, token=None) -> tuple[Path, Path]:
    """The issue's attack: meta/v -> ../V and an intent renaming through it."""
    root = _copy(clean, tmp_path / "ds")
    outside = tmp_path / "V"
    outside.mkdir()
    (outside / "target.txt").write_text("the user's file\n")
    (outside / "secret.txt").write_text("private key\n")
    (root / "meta" / "payload.txt").write_text("attacker's bytes\n")
    os.symlink("../../V", root / "meta" / "v")
    body = {"renames": renames}
    if token is not None:
        body["token"] = token
    (root / ".studio" / "commit-intent.json").write_text(json.dumps(body))
    return root, outside


def test_check_never_follows_a_planted_intent(tmp_path, clean):
    root, outside = _attack(tmp_path, clean, [["meta/payload.txt", "meta/v/target.txt"]])
    before = listing(root, outside)
    r = run_cli("check", str(root))
    assert listing(root, outside) == before, "check modified files"
    s = run_cli("stream", str(root), "--limit", "5")
    assert s.returncode == 0, s.stdout + s.stderr
    assert listing(root, outside) == before, "stream modified files"
    assert (outside / "target.txt").read_text() == "the user's file\n"
    assert "Traceback" not in r.stderr + r.stdout
    assert "interrupted commit is pending" in r.stdout
    assert r.returncode in (0, 1), r.stdout + r.stderr


@pytest.mark.parametrize("renames", [[["meta/payload.txt", "meta/v/target.txt"]],
                                     [["meta/v/secret.txt", "meta/stolen.txt"]],
                                     [["meta/v/.target.txt.studio-tmp", "meta/v/target.txt"]]])
def test_reading_and_streaming_never_recover(tmp_path, clean, renames):
    root, outside = _attack(tmp_path, clean, renames)
    before = listing(root, outside)
    r = DatasetReader(root)
    r.read_episode(0)
    r.frame(0, "observation.images.front", 2)
    r.close()
    validate(root)
    from app.streaming.decoding import EpisodeVideos
    rd = DatasetReader(root)
    v = EpisodeVideos(rd)
    assert len(list(v.frames(1, "observation.images.front"))) == rd.episodes[1].length
    v.close()
    from app.hub.episode_frames import EpisodeFrames
    frames = EpisodeFrames(rd, 0)                     # what the Datasets panel does
    assert frames.rows()["action"].shape[0] == rd.episodes[0].length
    assert frames.prefetch("observation.images.front", 0, 4) == 4
    rd.close()
    assert listing(root, outside) == before


@pytest.mark.parametrize("renames", [[["meta/payload.txt", "meta/v/target.txt"]],
                                     [["meta/v/secret.txt", "meta/stolen.txt"]]])
def test_writer_refuses_an_intent_it_did_not_write(tmp_path, clean, renames):
    root, outside = _attack(tmp_path, clean, renames, token="0" * 32)
    before = listing(outside)
    with pytest.raises(DatasetError, match="did not start"):
        DatasetWriter.open(root)
    assert listing(outside) == before
    assert not (root / "meta" / "stolen.txt").exists()
    assert (outside / "target.txt").read_text() == "the user's file\n"
    # the lock was released: once the user deletes the intent, the dataset opens and appends
    (root / ".studio" / "commit-intent.json").unlink()
    DatasetWriter.open(root).close()


@pytest.mark.parametrize("renames", [[["meta/v/.target.txt.studio-tmp", "meta/v/target.txt"]],
                                     [["meta/v/.secret.txt.studio-tmp", "meta/.stolen.txt"]],
                                     [["meta/payload.txt", "meta/v/target.txt"]],
                                     [["meta/.payload.txt.studio-tmp", "meta/v/target.txt"]]])
def test_even_an_intent_it_wrote_never_crosses_a_symlink(tmp_path, clean, renames):
    """A genuine token (as if this studio had written the intent) still cannot rename through a link."""
    root, outside = _attack(tmp_path, clean, renames)
    (outside / ".target.txt.studio-tmp").write_text("x")
    (outside / ".secret.txt.studio-tmp").write_text("y")
    (root / "meta" / ".payload.txt.studio-tmp").write_text("z")
    token = __import__("secrets").token_hex(16)
    commit._remember(token, root, renames)
    (root / ".studio" / "commit-intent.json").write_text(json.dumps({"token": token, "renames": renames}))
    before = listing(outside)
    with pytest.raises(DatasetError):
        DatasetWriter.open(root)
    assert listing(outside) == before
    assert not (root / "meta" / ".stolen.txt").exists()


def test_stray_temps_behind_a_link_are_not_deleted(tmp_path, clean):
    root = _copy(clean, tmp_path / "ds")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    keep = outside / ".important.studio-tmp"
    keep.write_text("not the studio's")
    os.symlink(outside, root / "meta" / "linked")
    (root / "meta" / ".left.studio-tmp").write_text("stray")
    DatasetWriter.open(root).close()
    assert keep.exists()
    assert not (root / "meta" / ".left.studio-tmp").exists()


def test_writer_refuses_a_symlinked_studio_folder(tmp_path, clean):
    root = _copy(clean, tmp_path / "ds")
    import shutil
    shutil.move(root / ".studio", tmp_path / "studio-elsewhere")
    os.symlink(tmp_path / "studio-elsewhere", root / ".studio")
    with pytest.raises(DatasetError, match="symbolic link"):
        DatasetWriter.open(root)


def test_a_genuine_interrupted_commit_still_rolls_forward(tmp_path, clean, monkeypatch):
    """The crash the protocol exists for: the token file survives, so reopening finishes it."""
    import numpy as np

    from app.dataset.writer import Episode
    root = _copy(clean, tmp_path / "ds")
    w = DatasetWriter.open(root)
    real, calls = os.replace, []

    def crash_after_two(src, dst):
        if len(calls) >= 2:
            raise KeyboardInterrupt
        calls.append(dst)
        real(src, dst)
    monkeypatch.setattr(commit.os, "replace", crash_after_two)
    state = np.zeros((6, 6), np.float32)
    frames = [np.zeros((24, 32, 3), np.uint8)] * 6
    with pytest.raises(KeyboardInterrupt):
        w.add_episode(Episode("t", {"action": state, "observation.state": state},
                                {"observation.images.front": frames}))
    monkeypatch.setattr(commit.os, "replace", real)
    w.close()
    assert (root / ".studio" / "commit-intent.json").exists()
    assert list(commit._token_dir().glob("*.json"))
    w = DatasetWriter.open(root)
    assert w.total_episodes == 3
    w.close()
    assert validate(root).ok


def test_confined_refuses_every_way_out(tmp_path):
    root = tmp_path / "r"
    (root / "a").mkdir(parents=True)
    os.symlink(tmp_path, root / "up")
    (root / "a" / "f").write_text("x")
    os.symlink(root / "a" / "f", root / "a" / "lf")
    assert confined(root, "a/f") == (root / "a" / "f").resolve()
    assert confined(root, root / "a" / "new") == (root / "a" / "new").resolve()
    for bad in ("../x", "up/x", "a/lf", "/etc/passwd", str(tmp_path / "x"), "a/../../x", "a\x00b"):
        with pytest.raises(UnsafePath):
            confined(root, bad)
