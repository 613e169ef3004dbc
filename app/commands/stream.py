"""`teleop-studio stream REPO_ID_OR_PATH`: stream a dataset's frames (as a training loop would) and report frames/s.

Nothing is downloaded: a Hub dataset is read in byte ranges through the studio's range cache.
Exit code 0 when every asked frame was streamed, 2 when the dataset cannot be read.
"""

from __future__ import annotations

import argparse
import sys
import time

NAME = "stream"
HELP = "stream a local or Hub LeRobot v3.0 dataset frame by frame (shuffle buffer, episode subset) and print frames/s"


def _episode_list(text: str) -> list[int]:
    try:
        return [int(x) for x in text.replace(" ", "").split(",") if x != ""]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected episode indices like 0,3,5, got {text!r}") from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", metavar="REPO_ID_OR_PATH", help="a dataset folder, or a Hub repo id (owner/name)")
    p.add_argument("--revision", default="v3.0", help="Hub branch, tag or commit (default v3.0)")
    p.add_argument("--shuffle", action="store_true", help="random episode order plus a shuffle buffer")
    p.add_argument("--buffer-size", type=int, default=1000, metavar="N", help="shuffle buffer in frames (default 1000)")
    p.add_argument("--seed", type=int, default=42, metavar="S", help="shuffle seed (default 42)")
    p.add_argument("--episodes", type=_episode_list, default=None, metavar="0,3,5", help="stream only these episodes")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="stop after N frames")
    p.add_argument("--no-video", action="store_true", help="rows only, no video decoding")


def run(args) -> int:
    from app.hub.errors import explain
    from app.streaming.iterator import StreamingDataset

    what = args.source
    out = sys.stdout
    t0 = time.perf_counter()
    n = 0
    try:
        ds = StreamingDataset(args.source, revision=args.revision, episodes=args.episodes, shuffle=args.shuffle,
                              buffer_size=args.buffer_size, seed=args.seed, video=not args.no_video)
        total = len(ds) if args.limit is None else min(args.limit, len(ds))
        print(f"streaming {what}: {len(ds.episodes)} episodes, {total} frames, {ds.fps} fps, "
              f"cameras: {', '.join(ds.video_keys) or 'none'}"
              + (f", shuffled (buffer {ds.buffer_size}, seed {ds.seed})" if ds.shuffle else ""), file=out, flush=True)
        t_open = time.perf_counter() - t0
        if ds.shuffle and ds.buffer_size > 1:
            print(f"  filling the shuffle buffer ({min(ds.buffer_size, len(ds))} frames) ...", file=out, flush=True)
        t1 = last = time.perf_counter()
        episodes_seen: set[int] = set()
        for item in ds if total else ():
            n += 1
            if n == 1:
                last = time.perf_counter()
                print(f"  first frame after {last - t1:.2f} s", file=out, flush=True)
            if "episode_index" in item:
                episodes_seen.add(int(item["episode_index"]))
            now = time.perf_counter()
            if now - last >= 1.0:
                last = now
                print(f"  {n}/{total} frames, {len(episodes_seen)} episodes, {n / (now - t1):.1f} frames/s",
                      file=out, flush=True)
            if n >= total:
                break
        ds.close()
    except Exception as exc:   # a clear sentence, never a traceback
        if n:
            print(f"stopped after {n} frames", file=sys.stderr)
        print(f"error: {explain(exc, what)}", file=sys.stderr)
        return 2
    dt = time.perf_counter() - t1
    print(f"streamed {n} frames from {len(episodes_seen)} episodes in {dt:.2f} s "
          f"(opening took {t_open:.2f} s): {n / dt if dt > 0 else float('inf'):.1f} frames/s", file=out, flush=True)
    return 0
