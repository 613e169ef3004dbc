"""Two halves of the lerobot compatibility check (see run_lerobot_compat.sh).

`write DIR` (studio venv): writes datasets with DatasetWriter plus expected.json (rows, pixel means).
`load DIR` (lerobot venv): opens each with LeRobotDataset(repo_id, root=...), decodes every frame
and compares. Exit code 0 when everything matches.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

CASES = {"one_file": {}, "file_per_episode": {"data_files_size_in_mb": 0.001, "video_files_size_in_mb": 0.001,
                                               "chunks_size": 2}}
LENGTHS = [20, 15, 11]


def write(out: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from app.dataset.features import make_features
    from app.dataset.writer import DatasetWriter, Episode
    from tests.dataset_helpers import JOINTS, frames, joints

    expected = {}
    for name, kw in CASES.items():
        w = DatasetWriter.create(out / name, f"compat/{name}", 30, make_features(JOINTS, {"front": (48, 64), "wrist": (48, 64)}), **kw)
        exp = []
        for ep, n in enumerate(LENGTHS):
            action, state = joints(ep, n)
            vids = {"observation.images.front": frames(ep, n, 0), "observation.images.wrist": frames(ep, n, 1)}
            w.add_episode(Episode(["pick", "place"][ep % 2], {"action": action, "observation.state": state}, vids))
            exp += [{"state": state[i].tolist(), "task": ["pick", "place"][ep % 2],
                     "front_mean": float(vids["observation.images.front"][i].mean() / 255)} for i in range(n)]
        w.close()
        expected[name] = exp
    (out / "expected.json").write_text(json.dumps(expected))
    print("compat: wrote", ", ".join(CASES))


def load(out: Path) -> int:
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    expected = json.loads((out / "expected.json").read_text())
    failures = 0
    for name in CASES:
        ds = LeRobotDataset(f"compat/{name}", root=out / name)
        exp = expected[name]
        assert len(ds) == len(exp), (name, len(ds), len(exp))
        worst = 0.0
        for i in range(len(ds)):
            item = ds[i]
            state = item["observation.state"].numpy()
            if not np.array_equal(state, np.asarray(exp[i]["state"], dtype=np.float32)) or item["task"] != exp[i]["task"]:
                print(f"compat: {name} row {i} differs")
                failures += 1
            for key in ("observation.images.front", "observation.images.wrist"):
                assert tuple(item[key].shape) == (3, 48, 64)
            worst = max(worst, abs(float(item["observation.images.front"].mean()) - exp[i]["front_mean"]))
        print(f"compat: {name}: {len(ds)} frames decoded by lerobot, worst front mean diff {worst:.4f}")
        if worst > 0.03:
            failures += 1
    print("compat: OK" if not failures else f"compat: {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    mode, where = sys.argv[1], Path(sys.argv[2])
    sys.exit(write(where) if mode == "write" else load(where))
