"""Push throughput to the Hub stand-in with added latency per request, side by side with
huggingface_hub's own folder upload, plus what a resume and an append re-send.

The dataset: a real 2-episode recording (tiny libx264 videos, parquet, meta) made by the writer, plus
incompressible "camera" files of random bytes (os.urandom) so the upload is ~50 MB — bytes are bytes to
the upload, and generating them costs nothing, unlike encoding 50 MB of video on 2 cores.

    .venv/bin/python bench/push.py [--mb 50] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ["HF_HUB_DISABLE_XET"] = "1"        # LFS rows; the default-install row switches it back on
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.hub.push import Push, PushError, PushOptions  # noqa: E402
from app.hub.push_files import committed_files  # noqa: E402
from tests.hub_server_write import WriteHubServer  # noqa: E402
from tests.push_helpers import TOKEN, append_episode, make_dataset  # noqa: E402

MB = 1e6


def build(root: Path, total_mb: float, files: int = 8) -> float:
    make_dataset(root, episodes=2)
    for i in range(files):
        p = root / "videos" / f"observation.images.extra{i}" / "chunk-000" / "file-000.mp4"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(os.urandom(int(total_mb * MB / files)))
    return sum(p.stat().st_size for p in committed_files(root).values()) / MB


def put_bytes(hub, mark: int) -> float:
    return sum(r.bytes for r in hub.log[mark:] if r.method == "PUT") / MB


def ours(hub, root, repo, workers=4, **kw):
    mark, t = len(hub.log), time.perf_counter()
    r = Push(PushOptions(root, repo, endpoint=hub.endpoint, token=TOKEN, workers=workers, **kw)).run()
    return time.perf_counter() - t, put_bytes(hub, mark), len(hub.log) - mark, r


def default_install(hub, root, repo):
    """hf-xet present and not disabled, as installed by default: the stand-in refuses Xet write tokens."""
    from huggingface_hub import constants

    from app.hub.push_transfer import xet_enabled

    constants.HF_HUB_DISABLE_XET = False
    try:
        if not xet_enabled():
            return float("nan"), 0.0, 0, "not measured: hf-xet is not installed"
        s, sent, req, _ = ours(hub, root, repo)
        return s, sent, req, "4 threads"
    finally:
        constants.HF_HUB_DISABLE_XET = True


def hf_upload_folder(hub, root, repo):
    """huggingface_hub 2.4's upload_folder: without Xet it is one create_commit of every file."""
    from huggingface_hub import HfApi

    stage = root.parent / "stage"            # a copy without .studio/ and images/, like our snapshot
    shutil.rmtree(stage, ignore_errors=True)
    for rel, p in committed_files(root).items():
        (stage / rel).parent.mkdir(parents=True, exist_ok=True)
        os.link(p, stage / rel)
    api = HfApi(endpoint=hub.endpoint, token=TOKEN)
    mark, t = len(hub.log), time.perf_counter()
    api.create_repo(repo, repo_type="dataset", exist_ok=True)
    api.upload_folder(folder_path=stage, repo_id=repo, repo_type="dataset")
    return time.perf_counter() - t, put_bytes(hub, mark), len(hub.log) - mark


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=50)
    ap.add_argument("--latency", type=float, default=0.05)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="push-bench-"))
    try:
        size = build(tmp / "ds", a.mb)
        n = len(committed_files(tmp / "ds"))
        print(f"dataset: {n} files, {size:.1f} MB; latency {a.latency * 1000:.0f} ms per request\n")
        print("| run | seconds | MB/s | MB sent | requests |\n|---|---|---|---|---|")
        with WriteHubServer(tmp / "hub", latency=a.latency) as hub:
            for workers in (1, 4):
                s, sent, req, _ = ours(hub, tmp / "ds", f"studio/ours{workers}", workers=workers)
                print(f"| ours, first push, {workers} upload thread(s) | {s:.2f} | {size / s:.1f} | {sent:.1f} "
                      f"| {req} |")
            s, sent, req, r = default_install(hub, tmp / "ds", "studio/xet")
            print(f"| ours, default install: Xet refused, falls back to LFS ({r}) | {s:.2f} | {size / s:.1f} | "
                  f"{sent:.1f} | {req} |")
            s, sent, req = hf_upload_folder(hub, tmp / "ds", "studio/hf")
            print(f"| huggingface_hub upload_folder (5 threads) | {s:.2f} | {size / s:.1f} | {sent:.1f} | {req} |")
            s, sent, req, _ = ours(hub, tmp / "ds", "studio/ours4")
            print(f"| ours, push again, nothing changed | {s:.2f} | - | {sent:.1f} | {req} |")
            # interrupted half-way: 4 of the 8 big files go through, then every upload is cut at 1 MB
            hub.drop_upload_after(1_000_000, times=1000, skip=4)
            mark = len(hub.log)
            t = time.perf_counter()
            try:
                ours(hub, tmp / "ds", "studio/resume", workers=1, retries=0)
            except PushError:
                print(f"| interrupted push (cut after 4 files) | {time.perf_counter() - t:.2f} | - | "
                      f"{put_bytes(hub, mark):.1f} | {len(hub.log) - mark} |")
            hub._drops.clear()
            s, sent, req, r = ours(hub, tmp / "ds", "studio/resume")
            print(f"| resumed push ({r.resumed} files already on the Hub, not re-sent) | {s:.2f} | "
                  f"{sent / s:.1f} | {sent:.1f} | {req} |")
            append_episode(tmp / "ds", 2)
            s, sent, req, r = ours(hub, tmp / "ds", "studio/ours4")
            print(f"| ours, after appending 1 episode ({len(r.uploaded)} changed blobs) | {s:.2f} | - | "
                  f"{sent:.2f} | {req} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
