"""The validator catches injected defects, each with a readable message."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from app.dataset.features import make_features
from app.dataset.validate import validate
from app.dataset.writer import DatasetWriter, Episode
from tests.dataset_helpers import JOINTS, H, W, frames, joints

DATA = "data/chunk-000/file-000.parquet"
EPS = "meta/episodes/chunk-000/file-000.parquet"
VIDEO = "videos/observation.images.front/chunk-000/file-000.mp4"


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    root = tmp_path_factory.mktemp("v") / "good"
    w = DatasetWriter.create(root, "me/v", 30, make_features(JOINTS, {"front": (H, W)}))
    for ep, n in enumerate([8, 6, 7]):
        action, state = joints(ep, n)
        w.add_episode(Episode(["a", "b"][ep % 2], {"action": action, "observation.state": state},
                              {"observation.images.front": frames(ep, n)}))
    w.close()
    return root


def _rewrite_data(root, fn):
    t = pq.read_table(root / DATA)
    schema = t.schema
    pq.write_table(fn(t).cast(schema), root / DATA)


def _set_col(t, name, values):
    i = t.schema.get_field_index(name)
    return t.set_column(i, t.schema.field(i), pa.array(values, t.schema.field(i).type))


def _delete_video(root):
    (root / VIDEO).unlink()


def _truncate_parquet(root):
    p = root / DATA
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _index_gap(root):
    _rewrite_data(root, lambda t: _set_col(t, "index", [i + (i >= 10) for i in range(t.num_rows)]))


def _wrong_total_frames(root):
    p = root / "meta/info.json"
    info = json.loads(p.read_text())
    info["total_frames"] += 3
    p.write_text(json.dumps(info, indent=4))


def _timestamp_drift(root):
    _rewrite_data(root, lambda t: _set_col(t, "timestamp", (t.column("timestamp").to_numpy() * 1.001).astype(np.float32)))


def _boundary_mismatch(root):
    t = pq.read_table(root / EPS)
    t = _set_col(t, "length", [9, 5, 7])
    t = _set_col(t, "dataset_to_index", [9, 14, 21])
    t = _set_col(t, "dataset_from_index", [0, 9, 14])
    pq.write_table(t, root / EPS)


def _video_segment_shift(root):
    t = pq.read_table(root / EPS)
    col = "videos/observation.images.front/from_timestamp"
    t = _set_col(t, col, [v + 0.5 / 30 if i == 1 else v for i, v in enumerate(t.column(col).to_pylist())])
    pq.write_table(t, root / EPS)


def _tasks_without_pandas(root):
    t = pq.read_table(root / "meta/tasks.parquet")
    pq.write_table(t.replace_schema_metadata(None), root / "meta/tasks.parquet")


def _stats_bad_shape(root):
    p = root / "meta/stats.json"
    s = json.loads(p.read_text())
    s["action"]["mean"] = s["action"]["mean"][:3]
    p.write_text(json.dumps(s))


def _episode_row_order(root):
    t = pq.read_table(root / EPS)
    pq.write_table(t.take([1, 0, 2]), root / EPS)


DEFECTS = {
    "deleted video": (_delete_video, "missing"),
    "truncated parquet": (_truncate_parquet, "parquet"),
    "gap in index": (_index_gap, "not contiguous"),
    "wrong total_frames": (_wrong_total_frames, "total_frames"),
    "timestamp drift": (_timestamp_drift, "timestamp"),
    "episode boundary mismatch": (_boundary_mismatch, "episode 0"),
    "video segment shifted": (_video_segment_shift, "from_timestamp"),
    "tasks without pandas metadata": (_tasks_without_pandas, "pandas"),
    "stats shape": (_stats_bad_shape, "shape"),
    "episodes out of order": (_episode_row_order, "episode"),
}


def test_good_dataset_is_valid(good):
    rep = validate(good)
    assert rep.ok and rep.readable, rep.lines()


@pytest.mark.parametrize("name", list(DEFECTS))
def test_defect_is_caught(good, tmp_path, name):
    inject, match = DEFECTS[name]
    root = tmp_path / "bad"
    shutil.copytree(good, root)
    inject(root)
    rep = validate(root)
    assert not rep.ok, f"{name} not caught"
    text = "\n".join(rep.lines())
    assert match in text, text
