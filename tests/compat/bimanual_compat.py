"""Bimanual half of the lerobot compatibility check (run_lerobot_compat.sh; not part of `make test`).

`write DIR` (studio venv): records two episodes on the simulated bimanual rig (two SO-101 pairs,
cameras left_wrist / top / right_wrist at the fixture's 128x96, default AV1 video) through the studio
model, as the window does, plus expected.json (the states read back by our reader).
`load DIR` (lerobot 0.6.1 venv): LeRobotDataset(repo_id, root=...) loads it; its features equal the
lerobot-made fixture's (tests/fixtures/lerobot_bi_so101_2ep: names, order, shapes, dtypes) and
lerobot's own merge check (aggregate.validate_all_metadata: fps, robot_type, features) accepts the two
together; every item passes lerobot's validate_frame and its state equals what we recorded; and
lerobot-doctor (PyPI lerobot-doctor 0.2.0, a separate package: lerobot 0.6.1 itself has no doctor)
passes it with no warning (`check --ci --fail-on warn`) and passes `merge-check` with the fixture.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "lerobot_bi_so101_2ep"
REPO_ID = "compat/bimanual"


def write(out: Path) -> int:
    sys.path.insert(0, str(REPO))
    from PySide6.QtCore import QCoreApplication

    from app.dataset.reader import DatasetReader
    from app.known_datasets import KnownDatasets
    from app.recording.config import SessionConfig
    from app.rig.sim_bimanual import build_sim_bimanual_rig
    from app.studio import Studio

    app = QCoreApplication.instance() or QCoreApplication([])  # the encode workers are QThreads
    info = json.loads((FIXTURE / "meta" / "info.json").read_text())
    h, w = info["features"]["observation.images.top"]["shape"][:2]
    rig = build_sim_bimanual_rig(width=w, height=h, fps=info["fps"])
    rig.start()
    root = out / "bimanual"
    studio = Studio(rig, known=KnownDatasets(out / "known.json"))
    done = []
    studio.subscribe(lambda e, d: done.append(d) if e == "session_committed" else None)
    try:
        studio.open_session(SessionConfig(root=root, repo_id=REPO_ID, task="hand the cube over", episodes=2,
                                          episode_time_s=4.0, reset_time_s=0.2, video_encoding_batch_size=2))
        studio.command("start")
        end = time.monotonic() + 300
        while not done and time.monotonic() < end:
            studio.poll()
            app.processEvents()
            time.sleep(0.02)
    finally:
        studio.shutdown()
        rig.stop()
    if not done or done[0].committed != 2:
        print("compat: bimanual recording did not commit two episodes")
        return 1
    r = DatasetReader(root)
    states = []
    for e in range(r.info["total_episodes"]):
        states += r.read_episode(e, ["observation.state"]).column("observation.state").to_pylist()
    r.close()
    (out / "bimanual_expected.json").write_text(json.dumps({"states": states}))
    print(f"compat: wrote a bimanual dataset ({len(states)} frames) on the simulated rig")
    return 0


def load(out: Path) -> int:
    from lerobot.datasets.aggregate import validate_all_metadata
    from lerobot.datasets.feature_utils import validate_frame
    from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata

    ours = LeRobotDataset(REPO_ID, root=out / "bimanual")
    theirs = LeRobotDatasetMetadata("fixtures/bi_so101_2ep", root=FIXTURE)
    failures = []

    def layout(features):
        return [(k, v["dtype"], list(v["shape"]), v.get("names")) for k, v in features.items()]

    if layout(ours.meta.features) != layout(theirs.features):
        failures.append(f"features differ:\n ours   {layout(ours.meta.features)}\n theirs {layout(theirs.features)}")
    if ours.meta.robot_type != theirs.robot_type:
        failures.append(f"robot_type {ours.meta.robot_type!r} != {theirs.robot_type!r}")
    try:
        validate_all_metadata([theirs, ours.meta])
    except ValueError as exc:
        failures.append(f"lerobot's merge check refuses the pair: {exc}")
    states = json.loads((out / "bimanual_expected.json").read_text())["states"]
    if len(ours) != len(states):
        failures.append(f"{len(ours)} frames, expected {len(states)}")
    user = [k for k in ours.meta.features if k not in ("timestamp", "frame_index", "episode_index", "index",
                                                         "task_index")]
    for i in range(min(len(ours), len(states))):
        item = ours[i]
        frame = {k: item[k].numpy() for k in user}
        for k in ours.meta.video_keys:  # lerobot decodes to CHW float in [0, 1]
            frame[k] = frame[k].transpose(1, 2, 0)
        frame["task"] = item["task"]
        try:
            validate_frame(frame, ours.meta.features)
        except ValueError as exc:
            failures.append(f"frame {i}: {exc}")
            break
        if not np.array_equal(frame["observation.state"], np.asarray(states[i], np.float32)):
            failures.append(f"frame {i}: state differs")
            break
    failures += doctor(out / "bimanual")
    for f in failures:
        print("compat: bimanual:", f)
    if not failures:
        print(f"compat: bimanual dataset loads in lerobot 0.6.1: {len(ours)} frames, {ours.num_episodes} episodes, "
              f"features equal to the lerobot-made fixture's, robot_type {ours.meta.robot_type}, "
              "lerobot's merge check and validate_frame pass, lerobot-doctor check and merge-check pass")
    return 1 if failures else 0


def doctor(root: Path) -> list[str]:
    """lerobot-doctor, installed beside this interpreter by run_lerobot_compat.sh."""
    import subprocess

    exe = Path(sys.executable).with_name("lerobot-doctor")
    if not exe.exists():
        return [f"lerobot-doctor not found at {exe} (pip install lerobot-doctor==0.2.0)"]
    out = []
    for argv in (["check", "--ci", "--fail-on", "warn", str(root)], ["merge-check", str(FIXTURE), str(root)]):
        r = subprocess.run([str(exe), *argv], capture_output=True, text=True)
        tail = " | ".join(line.strip() for line in r.stdout.splitlines() if "WARN" in line or "FAIL" in line)
        print(f"compat: lerobot-doctor {argv[0]}: exit {r.returncode}{' ' + tail if tail else ''}")
        if r.returncode != 0:
            out.append(f"lerobot-doctor {argv[0]} failed:\n{r.stdout[-2000:]}{r.stderr[-1000:]}")
    return out


if __name__ == "__main__":
    sys.exit({"write": write, "load": load}[sys.argv[1]](Path(sys.argv[2])))
