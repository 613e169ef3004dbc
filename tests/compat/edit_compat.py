"""Edit outputs load in lerobot 0.6.1, every frame (run by run_lerobot_compat.sh; not part of `make test`).

`make DIR` (lerobot venv): lerobot 0.6.1 itself records a 300-episode dataset with rolled-over data and
video files (small size limits), as a lab's would be.
`write DIR` (studio venv): runs every edit on the lerobot-made fixture, on that 300-episode dataset
(delete 3 of 300, merge it with the fixture-shaped one), and on a studio-written dataset with rolled-over
files (chunks_size 2, one episode per file), exports a review file into one output (at the root,
outside .studio), and records what every frame must be (our DatasetReader's rows and pixel means) in
expected.json.
`load DIR` (lerobot venv): opens each output with LeRobotDataset(video_backend="pyav"), reads every
item and compares task, state, indexes and pixel means. Exit code 0 when everything matches.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]


LAB_EPISODES, LAB_FRAMES = 300, 4


def make(out: Path) -> None:
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    names = ["shoulder_pan.pos", "shoulder_lift.pos", "elbow_flex.pos", "wrist_flex.pos", "wrist_roll.pos",
             "gripper.pos"]
    features = {"observation.state": {"dtype": "float32", "shape": (6,), "names": names},
                "action": {"dtype": "float32", "shape": (6,), "names": names},
                "observation.images.front": {"dtype": "video", "shape": (48, 64, 3),
                                             "names": ["height", "width", "channels"]}}
    ds = LeRobotDataset.create("compat/lab300", 30, features, root=out / "src-lab300", robot_type="so_follower",
                               data_files_size_in_mb=0.02, video_files_size_in_mb=0.008)
    rng = np.random.default_rng(0)
    for e in range(LAB_EPISODES):
        for i in range(LAB_FRAMES):
            state = rng.normal(0, 30, 6).astype(np.float32)
            img = np.full((48, 64, 3), (e * 7) % 255, np.uint8)
            img[:, (i * 9) % 56:(i * 9) % 56 + 8] = 250
            ds.add_frame({"observation.state": state, "action": state + 0.5, "observation.images.front": img,
                          "task": f"task {e % 3}"})
        ds.save_episode()
    ds.finalize()
    files = {k: len(list((out / "src-lab300").glob(f"{k}/**/*.{x}"))) for k, x in (("data", "parquet"),
                                                                                    ("videos", "mp4"))}
    print(f"edit compat: lerobot made a {LAB_EPISODES}-episode dataset: {files['data']} data files, "
          f"{files['videos']} video files")


def write(out: Path) -> None:
    sys.path.insert(0, str(REPO))
    from app.dataset.reader import DatasetReader
    from app.dataset.validate import validate
    from app.edit.build import build
    from app.edit.ops import make_plans
    from app.edit.source import open_source
    from app.review.exchange import DATASET_FILE, export
    from app.review.state import ACCEPTED, REJECTED, ReviewState
    from tests.edit_helpers import write_studio

    fixture = out / "src-fixture"
    shutil.copytree(REPO / "tests/fixtures/lerobot_so101_3ep", fixture)
    studio = out / "src-studio"
    write_studio(studio, lengths=(8, 6, 7, 5, 9), cameras=("front", "wrist"))
    review = ReviewState.for_reader(DatasetReader(fixture), fixture)
    review.set_state(0, ACCEPTED)
    review.set_state(1, REJECTED)
    review.set_state(2, ACCEPTED)
    cases = {
        "fixture_delete": ("delete-episodes", [fixture], {"episodes": "1"}),
        "fixture_merge": ("merge", [fixture, studio.parent / "src-fixture"], {}),
        "fixture_split": ("split", [fixture], {"parts": "train=0-1,val=2"}),
        "fixture_tasks": ("modify-tasks", [fixture], {"replace": {"pick the red cube": "grab it"}}),
        "fixture_no_wrist": ("remove-feature", [fixture], {"features": ["observation.images.wrist"]}),
        "fixture_accepted": ("keep-accepted", [fixture], {}),
        "studio_delete": ("delete-episodes", [studio], {"episodes": "0,3"}),
        "studio_merge": ("merge", [studio, studio], {}),
    }
    lab = out / "src-lab300"
    if (lab / "meta" / "info.json").exists():
        cases["lab300_delete"] = ("delete-episodes", [lab], {"episodes": f"5,150,{LAB_EPISODES - 1}"})
        cases["lab300_merge"] = ("merge", [lab, lab], {})
        cases["lab300_split"] = ("split", [lab], {"parts": "train=0.9,val=0.1"})
    expected = {}
    for name, (op, srcs, kw) in cases.items():
        sources = [open_source(str(s)) for s in srcs]
        for part, plan in make_plans(op, sources, **kw).items():
            dst = out / (name if part is None else f"{name}_{part}")
            build(plan, dst)
            rep = validate(dst)
            assert rep.ok, (dst, rep.lines())
            expected[dst.name] = _expect(DatasetReader(dst))
        for s in sources:
            s.close()
    export(review, out / "fixture_accepted" / DATASET_FILE)     # travels with the dataset
    (out / "expected.json").write_text(json.dumps(expected))
    print("edit compat: wrote", ", ".join(expected))


def _expect(r) -> dict:
    rows = []
    for ep in r.episodes:
        t = r.read_episode(ep.index)
        states = t.column("observation.state").to_pylist()
        tasks = [r.tasks[i] for i in t.column("task_index").to_pylist()]
        means = {k: [float(f.mean() / 255) for f in r.iter_frames(ep.index, k)] for k in r.video_keys}
        for i in range(ep.length):
            rows.append({"episode": ep.index, "index": ep.from_index + i, "task": tasks[i], "state": states[i],
                         "means": {k: v[i] for k, v in means.items()}})
    return {"rows": rows, "episodes": len(r.episodes)}


def load(out: Path) -> int:
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    expected = json.loads((out / "expected.json").read_text())
    failures = 0
    for name, exp in expected.items():
        ds = LeRobotDataset(f"compat/{name}", root=out / name, video_backend="pyav")
        rows = exp["rows"]
        if len(ds) != len(rows) or ds.meta.total_episodes != exp["episodes"]:
            print(f"edit compat: {name}: {len(ds)} items, expected {len(rows)}")
            failures += 1
            continue
        worst = 0.0
        for i, want in enumerate(rows):
            item = ds[i]
            ok = (item["task"] == want["task"] and int(item["index"]) == want["index"]
                  and int(item["episode_index"]) == want["episode"]
                  and np.array_equal(item["observation.state"].numpy(), np.asarray(want["state"], np.float32)))
            for key, mean in want["means"].items():
                worst = max(worst, abs(float(item[key].mean()) - mean))
            if not ok:
                print(f"edit compat: {name} item {i} differs")
                failures += 1
                break
        if worst > 1e-4:
            print(f"edit compat: {name}: pixel means differ by {worst:.2e}")
            failures += 1
        print(f"edit compat: {name}: {len(ds)} frames loaded, pixel mean difference {worst:.1e}")
    print("edit compat:", "OK" if not failures else f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    cmd, where = sys.argv[1], Path(sys.argv[2])
    if cmd == "make":
        make(where)
    elif cmd == "write":
        write(where)
    else:
        sys.exit(load(where))
