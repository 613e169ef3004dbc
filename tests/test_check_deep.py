"""`check --deep` recomputes every episode's statistics from its rows and frames: it catches a flipped
byte in a data parquet that every other check (and lerobot) reads without complaint."""

from __future__ import annotations

import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from app.dataset.reader import DatasetReader
from app.dataset.validate import validate
from tests.hostile_helpers import listing, make_dataset, run_cli

DATA = "data/chunk-000/file-000.parquet"
EPISODES = "meta/episodes/chunk-000/file-000.parquet"


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("deep") / "ds", episodes=3, length=40, h=48, w=64)


def _copy(clean, tmp_path):
    dst = tmp_path / "ds"
    shutil.copytree(clean, dst)
    return dst


def test_clean_datasets_pass_deep(clean, fixtures_dir):
    for root in (clean, fixtures_dir / "lerobot_so101_3ep", fixtures_dir / "lerobot_state_only_2ep"):
        rep = validate(root, deep=True)
        assert rep.ok, rep.lines()


def test_flipped_byte_in_data_rows_is_caught(clean, tmp_path):
    root = _copy(clean, tmp_path)
    before = DatasetReader(root).read_episode(1).column("action").to_pylist()
    value = np.float32(before[7][2])
    path = root / DATA
    data = bytearray(path.read_bytes())
    off = data.index(value.tobytes())
    data[off + 3] ^= 0x01                    # one bit of the exponent: the value x4 or /4
    path.write_bytes(bytes(data))
    r = DatasetReader(root)
    after = [r.read_episode(e).column("action").to_pylist() for e in range(3)]
    assert after != [DatasetReader(clean).read_episode(e).column("action").to_pylist() for e in range(3)]
    assert validate(root).ok, "the plain check cannot see it (that is why --deep exists)"
    files = listing(root)
    res = run_cli("check", "--deep", str(root))
    assert listing(root) == files
    assert res.returncode == 1, res.stdout + res.stderr
    assert "recomputed from the rows" in res.stdout and "action" in res.stdout
    assert "Traceback" not in res.stdout + res.stderr and len(res.stdout) < 20_000


def test_changed_video_is_caught(clean, tmp_path):
    root = _copy(clean, tmp_path)
    t = pq.read_table(root / EPISODES)
    col = "stats/observation.images.front/mean"
    means = t.column(col).to_pylist()
    means[2] = [[[min(1.0, c[0][0] + 0.3)]] for c in means[2]]
    t = t.set_column(t.schema.get_field_index(col), col, pa.array(means, t.schema.field(col).type))
    pq.write_table(t, root / EPISODES)
    rep = validate(root, deep=True)
    assert not rep.ok and any("episode 2: observation.images.front mean" in e for e in rep.errors), rep.lines()
    assert validate(root).ok
