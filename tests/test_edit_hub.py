"""An edit whose source is a Hub repo id: read through the range reader (no snapshot), output equal
to the same edit of the local copy. Served by the Hub stand-in (tests/hub_server.py)."""

from __future__ import annotations

from app.edit import delete
from app.edit.build import build
from app.edit.source import open_source
from app.hub.range_cache import RangeCache
from tests.edit_helpers import check_output
from tests.hub_fixtures import hub  # noqa: F401


def test_delete_from_a_hub_dataset(hub, fixtures_dir, tmp_path):  # noqa: F811
    mark = len(hub.log)
    src = open_source("fixtures/so101_3ep@v3.0", endpoint=hub.endpoint, cache=RangeCache(tmp_path / "cache"))
    assert src.local_root is None and src.commit
    res = build(delete.plan(src, "1"), tmp_path / "out")
    src.close()
    assert res.frames_reencoded == 0 and res.episodes == 2
    check_output(tmp_path / "out", fixtures_dir / "lerobot_so101_3ep", {0: 0, 1: 2})
    videos = [r for r in hub.requests_since(mark) if r.method == "GET" and r.path.endswith(".mp4")]
    assert videos and all(r.range for r in videos)            # range reads, never a whole download
