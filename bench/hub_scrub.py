"""Scrubbing a Hub episode: streamed through app.hub vs HfFileSystem vs downloading whole files first.

The Hub stand-in (tests/hub_server.py) adds LATENCY seconds to every request. For each way of
reading, one episode in the middle of a generated dataset (EPISODES x FRAMES, two 240x320 cameras,
textured so the video is not trivially small) is opened and then scrubbed like a reviewer does:
SEEKS random jumps, PAUSE seconds apart; at each jump the frames under the cursor are decoded at once
while the viewer's background prefetch (10 frames back, 45 ahead) starts, as in the episode viewer.
As in the Datasets panel, the episode's rows and the first frame of every camera load together.
The stand-in hashes the files before any timing (the Hub has them hashed; the stand-in does it on the
first listing, which would otherwise land on the clock of whichever way of reading runs first).

Figures: open -> first frame of every camera (target <= 1.0 s), seek -> frames shown p50/p95
(target p95 <= 150 ms), requests, and bytes fetched / the episode's share of the files (target <= 1.3;
shown with and without the metadata files).

    .venv/bin/python -m bench.hub_scrub [--latency 0.05] [--block-kib 256]

`--lab` measures issue 20's lab-scale review instead (bench/hub_lab.py): a 300-episode dataset
written by lerobot 0.6.1 (bench/lerobot_lab_dataset.py) with rolled-over data and video files.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.dataset.reader import DatasetReader  # noqa: E402
from app.hub.episode_frames import EpisodeFrames  # noqa: E402
from app.hub.range_cache import RangeCache  # noqa: E402
from app.hub.remote_fs import open_hub_dataset  # noqa: E402
from app.hub.tasks import TaskPool  # noqa: E402
from bench.textured_dataset import CAMS, write_textured_dataset  # noqa: E402
from tests.hub_server import HubServer  # noqa: E402

REPO = "bench/scrub"


def make_dataset(root: Path, episodes: int, frames: int) -> None:
    write_textured_dataset(root, REPO, episodes, frames)


def share_bytes(root: Path, reader: DatasetReader, e: int) -> int:
    ep = reader.episodes[e]
    rows_in_file = sum(x.length for x in reader.episodes if x.data_file == ep.data_file)
    total = (root / ep.data_file).stat().st_size * ep.length / rows_in_file
    for c, ref in ep.videos.items():
        in_file = sum(x.length for x in reader.episodes if x.videos[c].path == ref.path)
        total += (root / ref.path).stat().st_size * ep.length / in_file
    return int(total)


def scrub(name, open_reader, hub, e, seeks, pause, prefetch=True):
    """Open, show the first frames, then seek around; returns the figures."""
    random.seed(1)
    mark = len(hub.log)
    t0 = time.perf_counter()
    reader = open_reader()
    frames = EpisodeFrames(reader, e)
    loaders = ThreadPoolExecutor(len(CAMS) + 1)    # as the panel: the rows and every camera at once
    rows = loaders.submit(frames.rows)
    list(loaders.map(lambda c: frames.load(c, 0), CAMS))
    rows.result()
    first = time.perf_counter() - t0
    pool = TaskPool(workers=2)
    times = []
    targets = [random.randrange(frames.length) for _ in range(seeks)]
    for i in targets:
        t = time.perf_counter()               # the seek: frames under the cursor now, prefetch behind
        if prefetch:
            for c in CAMS:
                pool.submit(frames.prefetch, c, i - 10, i + 45, channel=f"prefetch:{c}")
        list(loaders.map(lambda c: frames.load(c, i), CAMS))
        times.append(time.perf_counter() - t)
        time.sleep(pause)
    pool.shutdown(wait=True)
    log = hub.requests_since(mark)
    meta = sum(r.bytes for r in log if "/meta/" in r.path or "/api/" in r.path)
    return {"name": name, "first": first, "p50": statistics.median(times),
            "p95": float(np.percentile(times, 95)), "requests": len(log),
            "bytes": sum(r.bytes for r in log), "meta": meta}


def screenshot(path: Path) -> int:
    """The Datasets panel scrubbing episode 2 of the lerobot_so101_3ep fixture served by the stand-in."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from widgets.browser_panel import ENDPOINT_KEY, BrowserPanel

    app = QApplication.instance() or QApplication([])
    fixtures = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
    work = Path(tempfile.mkdtemp(prefix="hub-shot-"))
    with HubServer(latency=0.05) as hub:
        hub.add_dataset("fixtures/so101_3ep", fixtures / "lerobot_so101_3ep")
        settings = QSettings(str(work / "s.ini"), QSettings.Format.IniFormat)
        settings.setValue(ENDPOINT_KEY, hub.endpoint)
        panel = BrowserPanel(settings)
        panel.cache = RangeCache(work / "ranges")
        panel.setWindowTitle("Teleop Studio — Datasets")
        panel.resize(1500, 900)
        panel.show()
        panel.sources.setCurrentIndex(1)
        panel.search_author.setText("fixtures")
        panel.search()
        panel.repo_id.setText("fixtures/so101_3ep")

        def wait(cond, timeout=20.0):
            end = time.monotonic() + timeout
            while not cond() and time.monotonic() < end:
                app.processEvents()
                time.sleep(0.01)
            return cond()

        panel.open_hub("fixtures/so101_3ep", "v3.0")
        wait(lambda: panel.reader is not None)
        panel.table.selectRow(2)
        wait(lambda: panel.viewer.episode is not None and panel.viewer.episode.episode == 2)
        for i in range(0, 42, 3):          # a quick drag to frame 39
            panel.viewer.slider.setValue(i)
            app.processEvents()
        ok = wait(lambda: all(v.index == 39 for v in panel.viewer.views.values()))
        wait(lambda: panel.hub_list.count() > 0, 5)
        for _ in range(20):
            app.processEvents()
            time.sleep(0.02)
        path.parent.mkdir(parents=True, exist_ok=True)
        panel.grab().save(str(path))
        print(f"saved {path} (frames shown: {ok}; requests to the stand-in: {len(hub.log)})")
        panel.tasks.shutdown()
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--episodes", type=int, default=5)
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--seeks", type=int, default=30)
    ap.add_argument("--pause", type=float, default=0.3, help="seconds between seeks (user think time)")
    ap.add_argument("--block-kib", type=int, default=256,
                    help="largest piece of the range cache on disk; HfFileSystem's block size")
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "teleop-studio-bench-hub")
    ap.add_argument("--screenshot", type=Path, help="save the viewer scrubbing a remote fixture episode")
    ap.add_argument("--lab", action="store_true", help="issue 20's lab-scale review (bench/hub_lab.py)")
    args, rest = ap.parse_known_args(argv)
    if args.lab:
        from bench.hub_lab import main as lab
        return lab(rest + [f"--latency={args.latency}"])
    if rest:
        ap.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.screenshot:
        return screenshot(args.screenshot)
    root = args.data / "dataset"
    t = time.perf_counter()
    make_dataset(root, args.episodes, args.frames)
    print(f"dataset: {args.episodes} episodes x {args.frames} frames, 2 cameras 240x320 "
          f"({time.perf_counter() - t:.1f} s to make or find), latency {args.latency * 1000:.0f} ms/request")
    e = args.episodes // 2
    local = DatasetReader(root)
    share = share_bytes(root, local, e)
    work = Path(tempfile.mkdtemp(prefix="hub-scrub-"))
    os.environ["HF_HOME"] = str(work / "hf_home")
    os.environ["HF_HUB_DISABLE_XET"] = "1"
    from huggingface_hub import HfFileSystem, hf_hub_download

    results = []
    with HubServer(latency=args.latency) as hub:
        # the stand-in hashes every file when it first lists them (the Hub has the hashes stored):
        # done here, so that whichever way of reading runs first does not pay for it
        hub.add_dataset(REPO, root).info(files_metadata=True)
        cache = RangeCache(work / "ranges", block_size=args.block_kib * 1024)

        def ours():
            fs = open_hub_dataset(REPO, cache=cache, endpoint=hub.endpoint, token=False, refresh=True)
            return DatasetReader(fs.root, fs)

        def hffs():
            fs = HfFileSystem(endpoint=hub.endpoint, token=False, skip_instance_cache=True,
                              block_size=args.block_kib * 1024)
            return DatasetReader(f"datasets/{REPO}@v3.0", fs)

        def download():
            dest = work / f"download-{len(results)}"
            meta = ["meta/info.json", "meta/tasks.parquet", "meta/episodes/chunk-000/file-000.parquet"]
            ep = local.episodes[e]
            for rel in meta + [ep.data_file] + [ep.videos[c].path for c in CAMS]:
                hf_hub_download(REPO, rel, repo_type="dataset", revision="v3.0", local_dir=dest,
                                endpoint=hub.endpoint, token=False)
            return DatasetReader(dest)

        results.append(scrub(f"stream: app.hub ({args.block_kib} KiB blocks), cold", ours, hub, e,
                             args.seeks, args.pause))
        results.append(scrub("stream: app.hub, revisit (cache warm)", ours, hub, e, args.seeks, args.pause))
        results.append(scrub(f"stream: HfFileSystem ({args.block_kib} KiB blocks)", hffs, hub, e,
                             args.seeks, args.pause))
        results.append(scrub("download whole files first", download, hub, e, args.seeks, args.pause))

    print(f"episode {e}: {local.episodes[e].length} frames; its share of the files: {share / 1024:.0f} KiB\n")
    print(f"{'way of reading':44s} {'open->1st':>9s} {'seek p50':>9s} {'seek p95':>9s} {'requests':>8s} "
          f"{'KiB':>7s} {'bytes/share':>11s} {'w/o meta':>9s}")
    for r in results:
        print(f"{r['name']:44s} {r['first']:8.3f}s {r['p50'] * 1000:7.1f}ms {r['p95'] * 1000:7.1f}ms "
              f"{r['requests']:8d} {r['bytes'] / 1024:7.0f} {r['bytes'] / share:11.2f} "
              f"{(r['bytes'] - r['meta']) / share:9.2f}")
    print("\ntargets: open->first frame <= 1.0 s, seek p95 <= 150 ms, bytes/share <= 1.3")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
