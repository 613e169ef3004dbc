"""Edit outputs load in lerobot 0.6.1, every frame, and pass lerobot-doctor (run by run_lerobot_compat.sh;
not part of `make test`).

`make DIR` (lerobot venv): lerobot 0.6.1 itself records the 300-episode lab dataset with rolled-over data
and video files (bench/lerobot_lab_dataset.py: two cameras, ~19 data files, ~10 video files per camera)
into DIR/lerobot_lab_300ep, unless it is there already.
`write DIR` (studio venv): runs every edit (delete-episodes, split, merge, modify-tasks, remove-feature,
keep-accepted) on each lerobot-made fixture, on a studio-written dataset with rolled-over files
(chunks_size 2, one episode per file) and on the lab dataset, plus a merge of the lab split's parts;
each keep-accepted output carries its review file at the root (an extra file lerobot ignores). Records
what every frame must be (our DatasetReader's rows and pixel means) in expected.json.
`load DIR` (lerobot venv): opens each output with LeRobotDataset(video_backend="pyav"); compares every
row lerobot loaded (task, indexes, state) and every frame of every camera, decoded by lerobot's own
decode_video_frames at the timestamps its __getitem__ queries (one call per episode); items of small
outputs, and the first and last item of every episode of large ones, go through ds[i] itself.
`doctor DIR` (lerobot venv): runs `lerobot-doctor check --json` on every output and on every unedited
source. An output passes when the doctor reports no FAIL; a WARN it shares with its source is the
data's, not the edit's, and any other WARN is listed. For the merges of a dataset with itself (the
doctor warns of near-duplicate episodes), lerobot-edit-dataset's own merge of the fixture with itself
is checked too, to show lerobot's output gets the same warning.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
LAB = "lerobot_lab_300ep"
FIXTURES = ("lerobot_so101_3ep", "lerobot_bi_so101_2ep", "lerobot_state_only_2ep")
FULL_ITEMS = 2000          # outputs up to this many frames are read item by item through ds[i]


def make(out: Path) -> None:
    if (out / LAB / "meta" / "info.json").exists():
        print(f"edit compat: using {out / LAB}")
        return
    sys.path.insert(0, str(REPO))
    from bench.lerobot_lab_dataset import main

    main([str(out)])


def _cases(name: str, root: Path, reader) -> dict:
    n, cams, tasks = len(reader.episodes), reader.video_keys, reader.tasks
    drop = cams[-1] if len(cams) > 1 else "observation.state"     # a dataset without action cannot train
    delete = f"5,150,{n - 1}" if n >= 300 else ("0,3" if n >= 5 else "1")
    parts = "train=0.9,val=0.1" if n >= 10 else f"a=0,b=1-{n - 1}"
    return {
        f"{name}_delete": ("delete-episodes", [root], {"episodes": delete}),
        f"{name}_split": ("split", [root], {"parts": parts}),
        f"{name}_merge": ("merge", [root, root], {}),
        f"{name}_tasks": ("modify-tasks", [root], {"replace": {tasks[0]: "grab it"}, "episode_tasks": {str(n - 1): "wave"}}),
        f"{name}_remove": ("remove-feature", [root], {"features": [drop]}),
        f"{name}_accepted": ("keep-accepted", [root], {}),
    }


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

    sources = {}
    for fx in FIXTURES:
        sources[fx.removeprefix("lerobot_")] = out / f"src-{fx}"
        if not sources[fx.removeprefix("lerobot_")].exists():
            shutil.copytree(REPO / "tests/fixtures" / fx, out / f"src-{fx}")
    studio = out / "src-studio"
    if not studio.exists():
        write_studio(studio, lengths=(8, 6, 7, 5, 9), cameras=("front", "wrist"))
    sources["studio"] = studio
    if (out / LAB / "meta" / "info.json").exists():
        sources["lab300"] = out / LAB
    cases, of = {}, {}
    for name, root in sources.items():
        r = DatasetReader(root)
        review = ReviewState.for_reader(r, root)
        review.set_state(0, ACCEPTED)
        review.set_state(1, REJECTED)
        if len(r.episodes) > 2:
            review.set_state(len(r.episodes) - 1, ACCEPTED)
        cases.update(_cases(name, root, r))
        r.close()
    if "lab300" in sources:
        cases["lab300_split_merged"] = ("merge", [out / "lab300_split_train", out / "lab300_split_val"], {})
    expected = {}
    for name, (op, srcs, kw) in cases.items():
        opened = [open_source(str(s)) for s in srcs]
        for part, plan in make_plans(op, opened, **kw).items():
            dst = out / (name if part is None else f"{name}_{part}")
            if dst.exists():
                shutil.rmtree(dst)
            build(plan, dst)
            rep = validate(dst)
            assert rep.ok, (dst, rep.lines())
            if op == "keep-accepted":     # the review travels with the dataset, at its root
                export(ReviewState.for_reader(opened[0].reader, opened[0].local_root), dst / DATASET_FILE)
            expected[dst.name] = _expect(DatasetReader(dst))
            of[dst.name] = {"sources": [Path(s).name for s in srcs], "lerobot": _lerobot_args(op, srcs, plan, kw)}
        for s in opened:
            s.close()
    (out / "expected.json").write_text(json.dumps(expected))
    (out / "sources.json").write_text(json.dumps({"outputs": of, "sources": [Path(s).name for s in sources.values()]}))
    print(f"edit compat: wrote {len(expected)} outputs:", ", ".join(expected))


def _lerobot_args(op: str, srcs: list, plan, kw: dict) -> list[str]:
    """lerobot-edit-dataset's arguments for the same edit (a split part or keep-accepted is a delete
    of the other episodes), used as a reference when the doctor warns."""
    if op == "merge":
        return ["--operation.type", "merge", "--operation.repo_ids", json.dumps([f"compat/s{i}" for i in range(len(srcs))]),
                "--operation.roots", json.dumps([str(s) for s in srcs])]
    head = ["--repo_id", "compat/src", "--root", str(srcs[0])]
    if op == "modify-tasks":
        return head + ["--operation.type", "modify_tasks", "--operation.task_replacements", json.dumps(kw["replace"]),
                       "--operation.episode_tasks", json.dumps(kw["episode_tasks"])]
    if op == "remove-feature":
        return head + ["--operation.type", "remove_feature", "--operation.feature_names", json.dumps(kw["features"])]
    kept = {p.episode for p in plan.picks}
    gone = [e for e in range(len(plan.sources[0].reader.episodes)) if e not in kept]
    return head + ["--operation.type", "delete_episodes", "--operation.episode_indices", json.dumps(gone)]


def _expect(r) -> dict:
    rows = []
    for ep in r.episodes:
        t = r.read_episode(ep.index)
        states = t.column("observation.state").to_pylist() if "observation.state" in t.column_names \
            else [None] * ep.length
        tasks = [r.tasks[i] for i in t.column("task_index").to_pylist()]
        means = {k: [float(f.mean() / 255) for f in r.iter_frames(ep.index, k)] for k in r.video_keys}
        for i in range(ep.length):
            rows.append({"episode": ep.index, "index": ep.from_index + i, "task": tasks[i], "state": states[i],
                         "means": {k: v[i] for k, v in means.items()}})
    return {"rows": rows, "episodes": len(r.episodes)}


def load(out: Path) -> int:
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from lerobot.datasets.video_utils import decode_video_frames

    expected = json.loads((out / "expected.json").read_text())
    failures = 0
    for name, exp in expected.items():
        ds = LeRobotDataset(f"compat/{name}", root=out / name, video_backend="pyav")
        rows = exp["rows"]
        if len(ds) != len(rows) or ds.meta.total_episodes != exp["episodes"]:
            print(f"edit compat: {name}: {len(ds)} items, expected {len(rows)}")
            failures += 1
            continue
        problems = []
        # every row as lerobot loaded it
        table = ds.hf_dataset.with_format(None)[:]
        names = {int(ti): t for t, ti in zip(ds.meta.tasks.index, ds.meta.tasks["task_index"])}
        for i, want in enumerate(rows):
            if (int(table["index"][i]) != want["index"] or int(table["episode_index"][i]) != want["episode"]
                    or names[int(table["task_index"][i])] != want["task"]
                    or (want["state"] is not None and not np.array_equal(
                        np.asarray(table["observation.state"][i], np.float32), np.asarray(want["state"], np.float32)))):
                problems.append(f"row {i} differs")
                break
        # every frame of every camera, decoded by lerobot where its __getitem__ would
        worst, first_of = 0.0, {}
        for i, want in enumerate(rows):
            first_of.setdefault(want["episode"], i)
        for e in range(ds.meta.total_episodes):
            lo = first_of[e]
            hi = lo + int(ds.meta.episodes[e]["length"])
            ts = [float(t) for t in table["timestamp"][lo:hi]]
            for key in ds.meta.video_keys:
                start = float(ds.meta.episodes[e][f"videos/{key}/from_timestamp"])
                frames = decode_video_frames(ds.root / ds.meta.get_video_file_path(e, key), [start + t for t in ts],
                                             ds.tolerance_s, "pyav")
                got = frames.reshape(len(ts), -1).mean(dim=1).numpy()
                want = np.array([r["means"][key] for r in rows[lo:hi]])
                worst = max(worst, float(np.abs(got - want).max()))
        # items through ds[i] itself: all of a small output, episode ends of a large one
        items = range(len(rows)) if len(rows) <= FULL_ITEMS else sorted(
            {i for e, lo in first_of.items() for i in (lo, lo + int(ds.meta.episodes[e]["length"]) - 1)})
        for i in items:
            item, want = ds[i], rows[i]
            if not (item["task"] == want["task"] and int(item["index"]) == want["index"]
                    and int(item["episode_index"]) == want["episode"]
                    and (want["state"] is None
                         or np.array_equal(item["observation.state"].numpy(), np.asarray(want["state"], np.float32)))):
                problems.append(f"item {i} differs")
                break
            for key, mean in want["means"].items():
                worst = max(worst, abs(float(item[key].mean()) - mean))
        if worst > 1e-4:
            problems.append(f"pixel means differ by {worst:.2e}")
        failures += bool(problems)
        print(f"edit compat: {name}: {len(ds)} frames loaded, every frame of {len(ds.meta.video_keys)} camera(s) "
              f"decoded, {len(items)} items via ds[i], pixel mean difference {worst:.1e}"
              + (f"  FAILED: {'; '.join(problems)}" if problems else ""))
    print("edit compat:", "OK" if not failures else f"{failures} failure(s)")
    return 1 if failures else 0


def _doctor(root: Path) -> dict:
    exe = Path(sys.executable).with_name("lerobot-doctor")
    p = subprocess.run([str(exe), "check", str(root), "--json"], capture_output=True, text=True)
    try:
        report = json.loads(p.stdout)
    except ValueError:
        return {"severity": "FAIL", "fail": [f"doctor could not load it: {(p.stderr or p.stdout)[-300:]}"],
                "warn": []}
    msgs = {"WARN": [], "FAIL": []}
    for check in report["checks"]:
        for m in check["messages"]:
            if m["severity"] in msgs:
                msgs[m["severity"]].append(f"{check['name']}: {m['message']}")
    return {"severity": report["overall_severity"], "warn": msgs["WARN"], "fail": msgs["FAIL"]}


def _shape(msg: str) -> str:
    """A warning without its numbers and episode lists: '2 episode(s) shorter than 30 frames: [0, 1]'
    and '1 episode(s) ... [0]' are the same warning."""
    return re.sub(r"[\d.]+", "#", re.sub(r"\[[^\]]*\]", "[...]", msg))


def _reference(out: Path, name: str, args: list[str]) -> dict | None:
    """lerobot-edit-dataset's own output of the same edit, checked by the doctor."""
    ref = out / f"ref_{name}"
    shutil.rmtree(ref, ignore_errors=True)
    if "modify_tasks" in args:      # lerobot edits tasks in place (it ignores --new_root): on a copy
        at = args.index("--root") + 1
        shutil.copytree(args[at], ref)
        args = [*args[:at], str(ref), *args[at + 1:]]
    else:
        args = ["--new_repo_id", f"compat/ref_{name}", "--new_root", str(ref), *args]
    p = subprocess.run([sys.executable, "-m", "lerobot.scripts.lerobot_edit_dataset", *args],
                       capture_output=True, text=True)
    if p.returncode:
        print(f"    (lerobot-edit-dataset failed: {(p.stderr or p.stdout).strip().splitlines()[-1][:200]})")
        return None
    return _doctor(ref)


def doctor(out: Path) -> int:
    meta = json.loads((out / "sources.json").read_text())
    of, src_names = meta["outputs"], meta["sources"]
    src = {s: _doctor(out / s) for s in src_names}
    for s, rep in src.items():
        print(f"lerobot-doctor: source {s}: {rep['severity']}"
              + "".join(f"\n    WARN {w}" for w in rep["warn"]) + "".join(f"\n    FAIL {w}" for w in rep["fail"]))
    passed, explained, flagged = 0, 0, 0
    for name, o in of.items():
        rep = _doctor(out / name)
        known = {_shape(w) for s in o["sources"] for w in (src[s] if s in src else _doctor(out / s))["warn"]}
        new = [w for w in rep["warn"] if _shape(w) not in known]
        ok = rep["severity"] != "FAIL"
        passed += ok
        line = f"lerobot-doctor: {name}: {'pass' if ok else 'FAIL'} ({rep['severity']})"
        if new or rep["fail"]:
            flagged += 1
            ref = _reference(out, name, o["lerobot"])
            same = set() if ref is None else {_shape(w) for w in ref["warn"] + ref["fail"]}
            unexplained = [w for w in new + rep["fail"] if _shape(w) not in same]
            explained += not unexplained
            line += (f"; lerobot-edit-dataset's own output of this edit: {ref['severity'] if ref else 'not made'}, "
                     f"{'the same' if not unexplained else 'NOT the same'} warnings")
            line += "".join(f"\n    FAIL {w}" for w in rep["fail"]) + "".join(
                f"\n    {'same in lerobot' if _shape(w) in same else 'ours only'}: WARN {w}" for w in new)
        print(line)
    print(f"lerobot-doctor: {flagged} output(s) warned beyond their source's report; lerobot-edit-dataset's own "
          f"output of the same edit gets the same warnings for {explained} of them")
    print(f"lerobot-doctor on edit outputs: {passed} of {len(of)} pass")
    return 0 if passed == len(of) else 1


if __name__ == "__main__":
    cmd, where = sys.argv[1], Path(sys.argv[2])
    if cmd == "make":
        make(where)
    elif cmd == "write":
        write(where)
    elif cmd == "doctor":
        sys.exit(doctor(where))
    else:
        sys.exit(load(where))
