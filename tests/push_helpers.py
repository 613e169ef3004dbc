"""Shared set-up for the push tests: a tiny recorded dataset, the writable Hub stand-in, a token.

`whub` leaves huggingface_hub as installed: with hf-xet present (the default install) pushes try Xet,
which the stand-in refuses, and fall back to LFS. `whub_lfs` switches Xet off as HF_HUB_DISABLE_XET=1 does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.dataset.features import make_features  # noqa: E402
from app.dataset.video import VideoSettings  # noqa: E402
from app.dataset.writer import DatasetWriter, Episode  # noqa: E402
from tests.dataset_helpers import JOINTS, H, W, frames, joints  # noqa: E402
from tests.hub_server_write import DEFAULT_TOKEN, WriteHubServer  # noqa: E402

TOKEN = DEFAULT_TOKEN
CAMS = {"front": (H, W), "wrist": (H, W)}


def episode(ep: int, length: int = 12, task: str = "pick the cube") -> Episode:
    action, state = joints(ep, length)
    vids = {f"observation.images.{c}": frames(ep, length, n) for n, c in enumerate(CAMS)}
    return Episode(task, {"action": action, "observation.state": state}, vids)


def make_dataset(root: Path, episodes: int = 2, repo_id: str = "studio/pushed") -> Path:
    w = DatasetWriter.create(root, repo_id, 30, make_features(JOINTS, CAMS), video=VideoSettings(codec="libx264"))
    for ep in range(episodes):
        w.add_episode(episode(ep, task=["pick the cube", "place the cube"][ep % 2]))
    w.close()
    (root / "images").mkdir(exist_ok=True)
    (root / "images" / "scratch.png").write_bytes(b"not for the hub")
    return root


def append_episode(root: Path, ep: int) -> None:
    w = DatasetWriter.open(root, video=VideoSettings(codec="libx264"))
    w.add_episode(episode(ep))
    w.close()


def remote_files(hub: WriteHubServer, repo_id: str) -> dict[str, bytes]:
    folder = hub.repos[repo_id].folder
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _serve(tmp_path, monkeypatch, disable_xet: bool):
    import huggingface_hub.constants as c
    import huggingface_hub.utils._http as http

    monkeypatch.setattr(c, "HF_HUB_DISABLE_XET", disable_xet, raising=False)
    monkeypatch.setattr(http.time, "sleep", lambda s: None)     # huggingface_hub's own back-off
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    server = WriteHubServer(tmp_path / "hubroot")
    monkeypatch.setattr(c, "ENDPOINT", server.endpoint)         # as HF_ENDPOINT would (1.x parses urls with it)
    return server


@pytest.fixture
def whub(tmp_path, monkeypatch):
    with _serve(tmp_path, monkeypatch, disable_xet=False) as server:
        yield server


@pytest.fixture
def whub_lfs(tmp_path, monkeypatch):
    with _serve(tmp_path, monkeypatch, disable_xet=True) as server:
        yield server
