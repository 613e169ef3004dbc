"""Shared set-up of the hostile-input suite: a tiny dataset written by our writer, and a listing of
every file's mtime and size under some folders (to prove a command wrote nothing)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from app.dataset.features import make_features
from app.dataset.writer import DatasetWriter, Episode
from tests.dataset_helpers import JOINTS, frames, joints

ROOT = Path(__file__).resolve().parent.parent
CAM = "observation.images.front"


def noise_frames(ep: int, length: int, h: int, w: int) -> list[np.ndarray]:
    """Frames that do not compress (big video files from few frames)."""
    rng = np.random.default_rng(ep)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(length)]


def make_dataset(root: Path, episodes: int = 2, length: int = 6, h: int = 24, w: int = 32,
                 cameras: int = 1, noise: bool = False, **create) -> Path:
    cams = {("front" if c == 0 else f"cam{c}"): (h, w) for c in range(cameras)}
    with DatasetWriter.create(root, "me/hostile", 30, make_features(JOINTS, cams), **create) as wr:
        for e in range(episodes):
            state, action = joints(e, length)
            vids = {f"observation.images.{name}": noise_frames(e * 7 + c, length, h, w) if noise
                    else frames(e, length, c, h, w) for c, name in enumerate(cams)}
            wr.add_episode(Episode(f"task {e % 2}", {"action": action, "observation.state": state}, vids))
    return root


def listing(*dirs: Path) -> dict[str, tuple]:
    """path -> (mtime_ns, size, is link) of everything under dirs (links not followed)."""
    out = {}
    for d in dirs:
        for dirpath, dirnames, filenames in os.walk(d, followlinks=False):
            for name in dirnames + filenames:
                p = os.path.join(dirpath, name)
                st = os.lstat(p)
                out[p] = (st.st_mtime_ns, st.st_size if not os.path.isdir(p) or os.path.islink(p) else 0,
                          os.path.islink(p))
    return out


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)


def float32_offset(path: Path, value: float) -> int:
    """Byte offset of the first occurrence of float32 `value` in a file (to flip it in place)."""
    data = path.read_bytes()
    return data.index(np.float32(value).tobytes())


class Watch:
    """Peak RSS (MB) and thread count of this process while the block runs (sampled every 5 ms)."""

    def __init__(self):
        import threading

        import psutil
        self._proc, self._threading = psutil.Process(), threading
        self.peak_mb = self.peak_threads = 0
        self._stop = threading.Event()

    def _sample(self) -> None:
        self.peak_mb = max(self.peak_mb, self._proc.memory_info().rss / 2 ** 20)
        self.peak_threads = max(self.peak_threads, self._threading.active_count())

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self._sample()

    def __enter__(self) -> "Watch":
        self._sample()
        self._thread = self._threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def run_watched(args: list[str], timeout: float = 60) -> tuple[subprocess.CompletedProcess, float, int]:
    """Run a command; returns its result, its peak RSS in MB and its peak thread count (psutil,
    sampled every 5 ms: getrusage's maxrss would carry this process's own high-water mark over)."""
    import time

    import psutil
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    watched, peak_mb, peak_threads = psutil.Process(proc.pid), 0.0, 0
    out_parts: dict[str, str] = {}

    import threading

    def drain(name, stream):
        out_parts[name] = stream.read()
    readers = [threading.Thread(target=drain, args=(n, st)) for n, st in (("out", proc.stdout), ("err", proc.stderr))]
    for t in readers:
        t.start()
    end = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < end:
        try:
            peak_mb = max(peak_mb, watched.memory_info().rss / 2 ** 20)
            peak_threads = max(peak_threads, watched.num_threads())
        except psutil.Error:
            pass
        time.sleep(0.005)
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for t in readers:
        t.join()
    result = subprocess.CompletedProcess(args, proc.returncode, out_parts.get("out", ""), out_parts.get("err", ""))
    return result, peak_mb, peak_threads


def read_everything(root) -> str:
    """What the browser, the streamer and `check` do with a dataset; returns what the user is told."""
    from app.dataset.errors import DatasetError
    from app.dataset.reader import DatasetReader
    from app.dataset.validate import validate
    from app.streaming.decoding import EpisodeVideos

    messages = []
    try:
        r = DatasetReader(root)
        try:
            if r.episodes:
                r.read_episode(0)
                for key in r.video_keys:
                    r.frame(0, key, 0)
                    list(r.iter_frames(len(r.episodes) - 1, key))
                    v = EpisodeVideos(r)
                    try:
                        list(v.frames(0, key))
                    finally:
                        v.close()
        finally:
            r.close()
    except DatasetError as exc:
        messages.append(str(exc))
    messages += validate(root).lines()
    return "\n".join(messages)


PROBE = """
import json, sys
from tests.hostile_helpers import Watch, read_everything
with Watch() as w:
    text = read_everything(sys.argv[1])
print(json.dumps({"text": text, "threads": w.peak_threads, "rss_mb": w.peak_mb}))
"""


def probe(root: Path, timeout: float = 60) -> dict:
    """read_everything in a fresh interpreter: its messages, peak RSS (MB) and peak thread count."""
    import json
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-c", PROBE, str(root)], capture_output=True, text=True,
                         timeout=timeout, env=env, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out["stderr"] = res.stderr
    return out
