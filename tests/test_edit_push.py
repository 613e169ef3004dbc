"""`edit --push` uploads the edited dataset; an exported review file at a dataset root travels with
`push` (outside .studio/), against the writable Hub stand-in."""

from __future__ import annotations

import shutil

from app.dataset.reader import DatasetReader
from app.hub.push_files import committed_files
from app.review.exchange import DATASET_FILE, export
from app.review.state import REJECTED, ReviewState
from tests.hub_server_write import WriteHubServer
from tests.push_helpers import remote_files
from tests.test_push_cli import cli


def test_edit_push_and_review_file_travel(tmp_path, fixtures_dir):
    src = tmp_path / "so101"
    shutil.copytree(fixtures_dir / "lerobot_so101_3ep", src)
    review = ReviewState.for_reader(DatasetReader(src), src)
    review.set_state(1, REJECTED)
    export(review, src / DATASET_FILE)
    with WriteHubServer(tmp_path / "hub") as hub:
        r = cli(hub, tmp_path, "edit", "delete-episodes", str(src), "--episodes", "1", "--out", str(tmp_path / "out"),
                "--push", "studio/edited")
        assert r.returncode == 0, r.stderr
        remote = remote_files(hub, "studio/edited")
        assert all(remote[k] == p.read_bytes() for k, p in committed_files(tmp_path / "out").items())
        assert "meta/info.json" in remote and not any(k.startswith(".studio") for k in remote)
        r = cli(hub, tmp_path, "push", str(src), "--repo-id", "studio/reviewed")
        assert r.returncode == 0, r.stderr
        remote = remote_files(hub, "studio/reviewed")
        assert remote[DATASET_FILE] == (src / DATASET_FILE).read_bytes()
        assert not any(k.startswith(".studio") for k in remote)     # the working review copy stays local
