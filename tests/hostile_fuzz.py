"""A small seeded mutation fuzzer over a dataset's metadata and its parquet / mp4 bytes.

`python -m tests.hostile_fuzz CLEAN_DATASET WORK_DIR SEED SECONDS` mutates copies of the dataset for
about SECONDS, reads each one the way the browser, the streamer and `check` do
(tests.hostile_helpers.read_everything) and prints one JSON line per case: what was mutated, the
peak RSS and thread count while reading, how long the messages were, whether anything was written,
and the exception if one escaped (anything but a clear DatasetError is a bug). It runs in its own
process, so a crash in a native library shows up as a failed case instead of killing pytest.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import time
from pathlib import Path

from tests.hostile_helpers import Watch, listing, read_everything

META = ["meta/info.json", "meta/stats.json"]
BINARY_GLOBS = ["meta/tasks.parquet", "meta/episodes/*/*.parquet", "data/*/*.parquet", "videos/*/*/*.mp4"]


def _random_value(rng: random.Random):
    return rng.choice([
        lambda: rng.choice([0, -1, 1, 2 ** 31, 2 ** 63, 10 ** 30, -(10 ** 12)]),
        lambda: rng.choice([0.5, -3.25, 1e308, float("inf")]),
        lambda: rng.choice(["", "x", "0:1", "{chunk_index:09d}", "../../etc", "a" * 5000]),
        lambda: [rng.randint(0, 9) for _ in range(rng.randint(0, 4))],
        lambda: {"k": rng.randint(0, 3)},
        lambda: None,
        lambda: rng.choice([True, False]),
        lambda: [[[1]]] * rng.randint(1, 3),
    ])()


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node[:8]):
            yield from _paths(v, prefix + (i,))


def mutate_json(path: Path, rng: random.Random) -> str:
    doc = json.loads(path.read_text())
    target = rng.choice([p for p in _paths(doc) if p])
    parent = doc
    for k in target[:-1]:
        parent = parent[k]
    if rng.random() < 0.2 and isinstance(parent, dict):
        del parent[target[-1]]
        what = "deleted"
    else:
        parent[target[-1]] = _random_value(rng)
        what = f"= {str(parent[target[-1]])[:40]!r}"
    path.write_text(json.dumps(doc, allow_nan=True))
    return f"{'/'.join(map(str, target))} {what}"


def mutate_bytes(path: Path, rng: random.Random) -> str:
    data = bytearray(path.read_bytes())
    kind = rng.choice(["flip", "flip", "int", "truncate", "zero"])
    if kind == "flip":
        offs = [rng.randrange(len(data)) for _ in range(rng.randint(1, 8))]
        for o in offs:
            data[o] ^= 1 << rng.randrange(8)
        what = f"flipped bits at {offs[:3]}"
    elif kind == "int":                  # a big-endian count or size: what mp4 tables and footers hold
        o = rng.randrange(max(1, len(data) - 4))
        data[o:o + 4] = rng.choice([0xFFFFFFFF, 0x7FFFFFFF, 20_000_000, 0, 1]).to_bytes(4, "big")
        what = f"int at {o}"
    elif kind == "truncate":
        n = rng.randrange(len(data))
        del data[n:]
        what = f"truncated to {n}"
    else:
        o = rng.randrange(len(data))
        n = rng.randint(1, 256)
        data[o:o + n] = bytes(len(data[o:o + n]))
        what = f"zeroed {n} at {o}"
    path.write_bytes(bytes(data))
    return f"{kind}: {what}"


def one_case(clean: Path, work: Path, rng: random.Random, i: int) -> dict:
    case_dir = work / f"case-{i}"
    root = case_dir / "ds"
    shutil.copytree(clean, root)
    files = [root / m for m in META if (root / m).exists()]
    for g in BINARY_GLOBS:
        files += sorted(root.glob(g))
    target = rng.choice(files)
    rel = target.relative_to(root).as_posix()
    if target.suffix == ".json" and rng.random() < 0.7:
        what = mutate_json(target, rng)
    else:
        what = mutate_bytes(target, rng)
    before = listing(work)
    out = {"case": i, "file": rel, "mutation": what}
    t0, w = time.monotonic(), Watch()
    try:
        with w:
            text = read_everything(root)
        out["chars"] = len(text)
        out["last_line"] = text.splitlines()[-1][:200] if text else ""
    except Exception as exc:      # a bug: only DatasetError may come out of the reader
        out["escaped"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    out["seconds"] = round(time.monotonic() - t0, 2)
    out["rss_mb"], out["threads"] = round(w.peak_mb, 1), w.peak_threads
    out["wrote"] = sorted(set(listing(work).items()) ^ set(before.items()))[:3] != []
    shutil.rmtree(case_dir)
    return out


def main(clean: str, work: str, seed: int, seconds: float) -> None:
    rng = random.Random(seed)
    clean_p, work_p = Path(clean), Path(work)
    work_p.mkdir(parents=True, exist_ok=True)
    end, i = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        print(json.dumps({"starting": i}), flush=True)
        print(json.dumps(one_case(clean_p, work_p, rng, i)), flush=True)
        i += 1


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
