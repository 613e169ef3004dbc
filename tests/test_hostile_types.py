"""Metadata values of the wrong type: `check` names each one in a line (exit 1), never a traceback
and never "valid" for a dataset lerobot cannot load; the reader refuses what lerobot would."""

from __future__ import annotations

import json
import shutil

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from app.dataset.errors import DatasetError
from app.dataset.reader import DatasetReader
from app.dataset.validate import validate
from tests.hostile_helpers import listing, make_dataset, run_cli

CAM = "observation.images.front"
EPISODES = "meta/episodes/chunk-000/file-000.parquet"
DATA = "data/chunk-000/file-000.parquet"


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("types") / "ds")


def _json(root, rel, change):
    p = root / rel
    p.write_text(json.dumps(change(json.loads(p.read_text()))))


def _info(change):
    def edit(info):
        change(info)
        return info
    return lambda root: _json(root, "meta/info.json", edit)


def _column_to_string(rel, col):
    def edit(root):
        t = pq.read_table(root / rel)
        i = t.schema.get_field_index(col)
        t = t.set_column(i, col, pc.cast(t.column(col), pa.string()))
        pq.write_table(t, root / rel)
    return edit


CASES = {
    "stats.json is a list": (lambda root: _json(root, "meta/stats.json", lambda s: [1, 2]), "stats.json"),
    "stats value is a string": (lambda root: _json(root, "meta/stats.json",
                                                   lambda s: {**s, "action": {**s["action"], "mean": "big"}}),
                                "action/mean"),
    "stats feature is a list": (lambda root: _json(root, "meta/stats.json", lambda s: {**s, "action": [1]}),
                                "stats.json: action"),
    "splits is a string": (_info(lambda i: i.update(splits="0:2")), "splits"),
    "split value is a number": (_info(lambda i: i.update(splits={"train": 2})), "splits.train"),
    "video info is a string": (_info(lambda i: i["features"][CAM].update(info="av1")), "info"),
    "total_frames is a string": (_info(lambda i: i.update(total_frames="12")), "total_frames"),
    "shape is a string": (_info(lambda i: i["features"]["action"].update(shape="6")), "shape"),
    "names is a number": (_info(lambda i: i["features"]["action"].update(names=5)), "names"),
    "features is a list": (_info(lambda i: i.update(features=[1])), "features"),
    "info.json is a list": (lambda root: (root / "meta/info.json").write_text("[1, 2]"), "info.json"),
    "from_timestamp as strings": (_column_to_string(EPISODES, f"videos/{CAM}/from_timestamp"), "from_timestamp"),
    "length as strings": (_column_to_string(EPISODES, "length"), "length"),
    "timestamp as strings": (_column_to_string(DATA, "timestamp"), "timestamp"),
    "task_index as strings": (_column_to_string("meta/tasks.parquet", "task_index"), "task_index"),
    "deeply nested JSON": (lambda root: (root / "meta/stats.json").write_text("[" * 100_000 + "]" * 100_000),
                           "stats.json"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_wrong_types_get_one_clear_line_each(clean, tmp_path, case):
    root = tmp_path / "ds"
    shutil.copytree(clean, root)
    mutate, word = CASES[case]
    mutate(root)
    files = listing(root)
    rep = validate(root)
    assert listing(root) == files
    assert not rep.ok, rep.lines()
    text = "\n".join(rep.lines())
    assert word in text, text
    assert "Traceback" not in text and len(text) < 20_000
    assert all("\n" not in line for line in rep.lines())


def test_reader_refuses_timestamps_lerobot_cannot_use(clean, tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(clean, root)
    _column_to_string(EPISODES, f"videos/{CAM}/from_timestamp")(root)
    with pytest.raises(DatasetError, match="from_timestamp holds string"):
        DatasetReader(root)


@pytest.mark.parametrize("case", ["stats.json is a list", "from_timestamp as strings", "video info is a string"])
def test_check_command_exit_code_and_message(clean, tmp_path, case):
    root = tmp_path / "ds"
    shutil.copytree(clean, root)
    CASES[case][0](root)
    res = run_cli("check", str(root))
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    assert "invalid" in res.stdout and CASES[case][1] in res.stdout
    assert len(res.stdout) + len(res.stderr) < 20_000
