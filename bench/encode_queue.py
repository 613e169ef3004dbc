"""Encode queue benchmark: throughput vs bare PyAV, GUI refresh while encoding, backlog drain after a
session, and the budget estimator's prediction of that drain. Prints figures; asserts nothing.

Takes are camera-like frames (bench/camera_like.py) unless --content says otherwise; the throughput
runs once per --content (default: camera-like, then the simulated rig's flat synthetic scene), each
row labelled. GUI refresh is the studio's MainWindow on the simulated rig (2 camera-like cameras
640x480@30): its camera views' repaints per second, the slowest view, while a queue encodes.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/encode_queue.py            # everything
    .venv/bin/python bench/encode_queue.py --episodes 4 --episode-s 2 --reset-s 1 # shorter session
    (The panel's README picture comes from `make screenshots`, widgets/screenshot_scenes.py.)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# multiprocessing imports the main script again in every process it starts, here each encoder child
# (as __mp_main__). The children need nothing from this script, and Qt + pyarrow would cost each of
# them ~0.25 s (a sixth of a 90-frame encode), which the studio's entry points (`python -m app`,
# teleop-studio: ~3 ms) never pay.
if __name__ != "__mp_main__":
    import av  # noqa: E402
    import numpy as np  # noqa: E402
    from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
    from PySide6.QtWidgets import QApplication  # noqa: E402

    from app.dataset.features import make_features  # noqa: E402
    from app.dataset.video import VideoSettings  # noqa: E402
    from app.dataset.writer import DatasetWriter  # noqa: E402
    from app.encoding import budget  # noqa: E402
    from app.encoding.queue import EncodeQueue  # noqa: E402
    from app.encoding.workers import EncodeWorkers  # noqa: E402
    from app.recording.spool import SpoolWriter  # noqa: E402
    from app.rig.samples import FEATURE_NAMES  # noqa: E402
    from bench.camera_like import CONTENTS, build_bench_rig, clip_frames  # noqa: E402
    from bench.encode import bare_pyav  # noqa: E402


def settings_from(args) -> VideoSettings:
    return VideoSettings(codec=args.codec, preset=args.preset, crf=args.crf)


def cameras(args) -> dict[str, tuple[int, int]]:
    return {f"observation.images.cam{i}": (args.height, args.width) for i in range(args.cameras)}


def new_dataset(root: Path, args) -> DatasetWriter:
    return DatasetWriter.create(root, "bench/encode", args.fps, make_features(list(FEATURE_NAMES), cameras(args)),
                                video=settings_from(args))


def write_take(root: Path, args, n: int, seed: int, pace: float = 0.0, content: str | None = None):
    clip = clip_frames(content or args.content[0], args.width, args.height, n, seed=seed)
    w = SpoolWriter(root, "bench task", args.fps, cameras(args))
    t0 = time.perf_counter()
    for i, img in enumerate(clip):
        a = np.full(6, i, np.float32)
        w.append(i, i / args.fps, a, a, {k: img for k in w.cameras})
        if pace:
            time.sleep(max(0.0, t0 + (i + 1) * pace - time.perf_counter()))
    return w.stop()


def bench_throughput(tmp: Path, args, content: str) -> None:
    """Bare PyAV and the queue on the same frames, alternating which goes first, in args.rounds
    rounds (fresh takes each: the queue deletes committed spools); best of each, since the machine
    is shared and the other jobs' load comes and goes."""
    root = tmp / f"throughput-{content}"
    w = new_dataset(root, args)
    settings = settings_from(args)
    q = EncodeQueue(root, w, batch_size=args.takes, settings=settings)
    workers = EncodeWorkers(q)
    workers.start()  # as the studio does at launch: its encoder forkserver is up before any take
    bare_s, queue_s, ratios = [], [], []
    for r in range(args.rounds):
        takes = [write_take(root, args, args.frames, seed=100 * r + s, content=content) for s in range(args.takes)]
        clips = [[list(t.frames(k)) for k in t.cameras] for t in takes]

        def bare() -> float:
            t0 = time.perf_counter()
            for per_take in clips:
                for frames in per_take:
                    bare_pyav(frames, tmp / "bare.mp4", settings, args.fps)
            return time.perf_counter() - t0

        def queued() -> float:
            t0 = time.perf_counter()
            for t in takes:
                q.submit(t)
            q.wait_idle()
            return time.perf_counter() - t0

        if r % 2 == 0:
            b, qd = bare(), queued()
        else:
            qd, b = queued(), bare()
        bare_s.append(b)
        queue_s.append(qd)
        ratios.append(b / qd)
    workers.stop()
    frames = args.takes * args.cameras * args.frames
    bare, queued = min(bare_s), min(queue_s)
    print(f"throughput [{content}] ({args.takes} takes x {args.cameras} cams x {args.frames} frames "
          f"{args.width}x{args.height}, {budget.label(settings)}; best of {args.rounds} interleaved rounds):")
    print(f"  bare PyAV encode         {bare:6.2f} s wall  {frames / bare:6.1f} frames/s  "
          f"(rounds: {', '.join(f'{x:.2f}' for x in bare_s)} s)")
    print(f"  queue (encode+verify+commit) {queued:6.2f} s wall  {frames / queued:6.1f} frames/s  "
          f"(rounds: {', '.join(f'{x:.2f}' for x in queue_s)} s)")
    print(f"  ratio queue/bare [{content}] {bare / queued:.2f}x wall (target >= 0.9x; per round "
          f"{', '.join(f'{x:.2f}' for x in ratios)}); committed {w.total_episodes}; "
          f"load average {os.getloadavg()[0]:.1f}")
    w.close()


def open_window(app: QApplication, args):
    """The studio's main window on the simulated rig, its cameras filming camera-like content."""
    os.environ.setdefault("TELEOP_STUDIO_SETTINGS", str(Path(tempfile.mkdtemp()) / "settings.ini"))
    from widgets.main_window import MainWindow, apply_style

    apply_style(app)
    rig = build_bench_rig(args.content[0], 2, 640, 480, 30)
    window = MainWindow(rig)
    window.show()
    rig.start()  # as run_app does: window first, then the devices
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (window.panels and all(
            v.paint_count > 0 for v in window.camera_grid.views.values())):
        app.processEvents()
        time.sleep(0.005)
    run_for(1.0)  # warm-up: first paints, plot fills
    return window, rig


def run_for(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def measure_refresh(window, seconds: float) -> float:
    """Repaints per second of the window's slowest camera view (the cameras deliver 30 fps)."""
    views = list(window.camera_grid.views.values())
    before = [v.paint_count for v in views]
    t0 = time.monotonic()
    run_for(seconds)
    wall = time.monotonic() - t0
    return min((v.paint_count - b) / wall for v, b in zip(views, before))


def bench_gui(app: QApplication, tmp: Path, args) -> None:
    window, rig = open_window(app, args)
    try:
        print(f"GUI refresh (studio MainWindow, 2 {args.content[0]} cameras 640x480@30; slowest camera view's "
              f"repaints/s over {args.gui_s:.0f} s; the cameras deliver 30):")
        print(f"  idle queue              {measure_refresh(window, args.gui_s):6.1f} fps")
        for throttled in (False, True):
            root = tmp / f"gui{int(throttled)}"
            w = new_dataset(root, args)
            q = EncodeQueue(root, w, batch_size=1000, settings=settings_from(args))
            q.set_throttled(throttled)
            for s in range(args.takes):
                q.submit(write_take(root, args, args.frames, seed=s))
            workers = EncodeWorkers(q)
            workers.start()
            q.flush()
            run_for(0.3)  # let the encoder spin up
            fps = measure_refresh(window, args.gui_s)
            busy = q.has_work()
            workers.stop()
            w.close()
            label = "throttled (lp=1/threads=1, nice+10)" if throttled else "full speed"
            note = "" if busy else "  (queue ran dry during the measurement: add --takes)"
            print(f"  encoding, {label:26s} {fps:6.1f} fps  (target >= 30 with the throttle){note}")
    finally:
        window.close()
        rig.stop()


def bench_session(tmp: Path, args) -> None:
    root = tmp / "session"
    w = new_dataset(root, args)
    settings = settings_from(args)
    q = EncodeQueue(root, w, batch_size=args.batch_size, settings=settings)
    workers = EncodeWorkers(q)
    workers.start()
    n = int(round(args.episode_s * args.fps))
    for i in range(args.episodes):
        q.set_throttled(True)
        take = write_take(root, args, n, seed=i, pace=1.0 / args.fps)  # recorded in real time
        q.set_throttled(False)
        q.submit(take)
        if i < args.episodes - 1:
            time.sleep(args.reset_s)
    t_end = time.perf_counter()
    left = q.backlog()
    q.flush()
    q.wait_idle()
    drain = time.perf_counter() - t_end
    workers.stop()
    speed = budget.measure_speed(settings, args.width, args.height)
    plan = budget.Plan(tuple(cameras(args).values()), args.fps, args.episode_s, args.reset_s, args.episodes,
                       args.batch_size)
    est = budget.estimate(plan, {(args.height, args.width): speed})
    print(f"session: {args.episodes} takes of {args.episode_s:g} s, resets {args.reset_s:g} s, "
          f"{args.cameras} x {args.width}x{args.height} @ {args.fps} fps, batch {args.batch_size}:")
    print(f"  measured speed          {speed.encode_fps:.1f} fps full, {speed.throttled_fps:.1f} throttled, "
          f"decode {speed.decode_fps:.1f} (one stream)")
    print(f"  backlog at session end  {left.episodes} takes, {left.video_seconds:.1f} s of video")
    print(f"  drain time measured     {drain:6.1f} s")
    print(f"  estimator predicted     {est.backlog_after_s:6.1f} s  ({est.summary()})")
    print(f"  committed {w.total_episodes} episodes")
    w.close()
    chosen, best, _ = budget.suggest(plan, settings)
    print(f"  suggestion: {best.summary()}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--codec", default="libsvtav1")
    p.add_argument("--preset", default=None)
    p.add_argument("--crf", type=int, default=30)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--cameras", type=int, default=2)
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--frames", type=int, default=90, help="frames per take for throughput and GUI runs")
    p.add_argument("--takes", type=int, default=3)
    p.add_argument("--rounds", type=int, default=2, help="interleaved throughput rounds (best of each side)")
    p.add_argument("--gui-s", type=float, default=3.0)
    p.add_argument("--episodes", type=int, default=10)
    p.add_argument("--episode-s", type=float, default=3.0)
    p.add_argument("--reset-s", type=float, default=2.0)
    p.add_argument("--batch-size", type=int, default=1)
    p.add_argument("--only", choices=["throughput", "gui", "session"], action="append")
    p.add_argument("--content", nargs="+", choices=CONTENTS, default=list(CONTENTS),
                   help="what the takes show; throughput runs once per content, the rest uses the first")
    args = p.parse_args()
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix="bench-encode-") as tmp:
        tmp = Path(tmp)
        print(f"{os.cpu_count()} CPUs, PyAV {av.__version__}")
        only = set(args.only or ["throughput", "gui", "session"])
        if "throughput" in only:
            for content in args.content:
                bench_throughput(tmp, args, content)
        if "gui" in only:
            bench_gui(app, tmp, args)
        if "session" in only:
            bench_session(tmp, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
