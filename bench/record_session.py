"""A recording session on the simulated rig with encoding in the background: are frames on time?

    .venv/bin/python bench/record_session.py [--episodes 10 --episode-time-s 20 --reset-time-s 5]
                                            [--cameras 2 --width 640 --height 480 --fps 30]
                                            [--content camera-like synthetic] [--load 1] [--bimanual]
                                            [--unprivileged | --user nobody]

Each --content is one session and one labelled set of figures: "camera-like" (bench/camera_like.py: a
natural scene panned by hand, sensor noise; what a real camera costs the encoder) first, then
"synthetic", the simulated rig's own flat scene (cheap to encode). --load N runs N busy processes (pure
CPU spin), all pinned to the last core, for the whole run: a competing job on one core, started in a
session of its own as another program would be (with the kernel's autogroup on, as on desktop
Linux, the CPU is shared between sessions first, then between the threads of a session).

--unprivileged re-runs the bench with every capability dropped (setpriv), as a desktop user runs the
studio: no nice -10 for capture, no real-time encoder threads. --user U also switches to user U (the
interpreter and the repository must be readable by U). "unprivileged: yes/no" says what the run had.
When capture loses a frame the encoders wait until the take ends (app/encoding/child.py `hold`): the
backlog the window shows ("encoding N takes behind, about M min of encoding left") is printed after
each take, and the encode budget's estimate for that case is printed before the session.

The operator is simulated: each take is stopped with Next (right arrow) shortly before its time
limit, so Stop latency is measured on the control path the window uses. Prints: frames on time
(fresh camera frame in its tick's slot, over all cameras and takes), Stop call and Stop -> take
closed on disk p50/p99, Start call p99, peak RSS, spool MB/s, and the encoding backlog left.
--bimanual: the simulated bimanual rig (two pairs, cameras left_wrist / top / right_wrist); the encode
budget's estimate of the backlog (app/encoding/budget.py, measured encoder speed) is printed before the
session beside the backlog measured after it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.camera_like import CONTENTS, build_bench_rig  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--episodes", type=int, default=10)
    ap.add_argument("--episode-time-s", type=float, default=20.0)
    ap.add_argument("--reset-time-s", type=float, default=5.0)
    ap.add_argument("--cameras", type=int, default=2)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--pause-encoding-while-recording", action="store_true",
                    help="encode only during resets (the queue's pause_while_recording)")
    ap.add_argument("--root", type=Path, help="where to record (default: a temporary folder, deleted)")
    ap.add_argument("--content", nargs="+", choices=CONTENTS, default=list(CONTENTS),
                    help="what the cameras film, one session each (default: camera-like, then synthetic)")
    ap.add_argument("--load", type=int, default=0, help="busy processes competing for the CPU meanwhile")
    ap.add_argument("--bimanual", action="store_true", help="two SO-101 pairs and 3 cameras (--cameras ignored)")
    ap.add_argument("--unprivileged", action="store_true",
                    help="run with every capability dropped (no nice -10, no real-time threads)")
    ap.add_argument("--user", help="run as this user, unprivileged (implies --unprivileged)")
    a = ap.parse_args()
    # a non-root user is unprivileged already (the line below says so, or not, from what the OS allows)
    if (a.user or (a.unprivileged and os.geteuid() == 0)) and not os.environ.get("RECORD_SESSION_DROPPED"):
        sys.exit(drop_privileges(a.user))
    print(f"unprivileged: {'yes' if unprivileged() else 'no'} (uid {os.getuid()})", flush=True)

    from PySide6.QtCore import QCoreApplication

    app = QCoreApplication.instance() or QCoreApplication([])  # noqa: F841 - QThreads want one
    core = max(os.sched_getaffinity(0))
    spin = f"import os\nos.sched_setaffinity(0, {{{core}}})\nwhile True: pass"
    load = [subprocess.Popen([sys.executable, "-c", spin], start_new_session=True) for _ in range(a.load)]
    if a.load:
        print(f"load: {a.load} busy process(es) pinned to core {core}, own session; load avg now "
              f"{os.getloadavg()[0]:.1f}", flush=True)
    try:
        for content in a.content:
            session(a, content)
    finally:
        for p in load:
            p.kill()
            p.wait()


def session(a, content: str) -> None:
    from app.encoding.workers import EncodeWorkers
    from app.recording.config import SessionConfig
    from app.recording.session import State
    from app.studio import open_recording

    print(f"== content: {content}", flush=True)
    tmp = None if a.root else tempfile.TemporaryDirectory(prefix="record-bench-")
    root = (a.root / content) if a.root else Path(tmp.name) / "ds"
    if a.bimanual:
        from app.rig.sim_bimanual import build_sim_bimanual_rig
        from bench.camera_like import use_camera_like

        rig = build_sim_bimanual_rig(width=a.width, height=a.height, fps=a.fps)
        if content == "camera-like":
            use_camera_like(rig)
        a.cameras = len(rig.cameras)
    else:
        rig = build_bench_rig(content, a.cameras, a.width, a.height, a.fps)
    # the time limit is a safety net only: the simulated operator presses Next just before it
    cfg = SessionConfig(root=root, repo_id="bench/session", task="pick the cube", fps=a.fps, episodes=a.episodes,
                        episode_time_s=a.episode_time_s + 2, reset_time_s=a.reset_time_s + 60)
    setup = open_recording(rig, cfg)
    s, queue = setup.session, setup.queue
    queue.pause_while_recording = a.pause_encoding_while_recording
    s.add_observer(lambda e, d: queue.set_throttled(d == State.RECORDING) if e == "state" else None)
    backlog_estimate(a, setup.writer.video, cfg)
    studio = setup.studio
    shown, gave_way = [], []
    s.add_observer(lambda e, d: gave_way.append(d) if e == "capture_late" else None)
    workers = EncodeWorkers(queue)
    workers.start()
    proc = psutil.Process()
    peak = {"rss": 0}
    stop_sampling = threading.Event()

    def sample() -> None:
        while not stop_sampling.wait(0.2):
            peak["rss"] = max(peak["rss"], proc.memory_info().rss)

    threading.Thread(target=sample, daemon=True).start()
    rig.start()
    time.sleep(1.0)  # cameras and arms up
    stop_call, start_call, closed_after = [], [], []
    takes = []
    rec_time = 0.0
    t_begin = time.monotonic()
    for ep in range(a.episodes):
        t0 = time.perf_counter()
        s.start() if ep == 0 else s.skip_reset()
        start_call.append(time.perf_counter() - t0)
        take = s._current
        takes.append(take)
        time.sleep(a.episode_time_s)
        behind = studio.backlog()  # what the window's status bar shows near the take's end, still recording
        shown.append(behind)
        t0 = time.perf_counter()
        s.next() if ep < a.episodes - 1 else s.end()
        stop_call.append(time.perf_counter() - t0)
        take.wait(5.0)
        closed_after.append(time.perf_counter() - t0)
        rec_time += take.accepted / a.fps
        print(f"episode {ep + 1}/{a.episodes}: {take.health.summary()}  backlog {queue.counts()}; "
              f"shown: {behind.text()}", flush=True)
        if ep < a.episodes - 1:
            time.sleep(a.reset_time_s)
    t_rec = time.monotonic() - t_begin
    s.wait_takes(30)  # kept takes reach the queue on the session's hand-off thread
    queue.flush()
    t0 = time.monotonic()
    drained = queue.wait_idle(timeout=1800)
    drain_s = time.monotonic() - t0
    stop_sampling.set()
    rig.stop()
    workers.stop()
    setup.writer.close()

    expected = sum(c.expected for t in takes for c in t.health.cameras.values())
    captured = sum(c.captured for t in takes for c in t.health.cameras.values())
    ticks_late = sum(t.health.late_ticks for t in takes)
    ticks = sum(t.health.frames for t in takes)
    row_bytes = 16 + 8 * len(getattr(rig, "feature_names", range(6)))  # seq, t, action and state float32
    spool_bytes = sum(t.health.frames for t in takes) * (a.cameras * a.width * a.height * 3 + row_bytes)
    ms = lambda xs, q: 1000 * float(np.percentile(xs, q))  # noqa: E731
    tag = f"[{content}]"
    print()
    print(f"setup {tag}: {a.cameras} cameras {a.width}x{a.height}@{a.fps}, {a.episodes} episodes of "
          f"{a.episode_time_s:g} s, {a.reset_time_s:g} s resets, encoding in the background ({os.cpu_count()} cores, "
          f"load avg {os.getloadavg()[0]:.1f}, {a.load} busy processes added)")
    print(f"frames on time {tag}: {captured}/{expected} = {100 * captured / max(1, expected):.2f} % "
          f"(target >= {99.5 if a.load else 99.9} %{', unprivileged' if a.load else ''})")
    print(f"teleop ticks late {tag}: {ticks_late}/{ticks}; overruns (spool queue full): "
          f"{sum(t.health.spool_overruns for t in takes)}")
    print(f"Stop call {tag}: p50 {ms(stop_call, 50):.2f} ms, p99 {ms(stop_call, 99):.2f} ms; "
          f"Start call p99 {ms(start_call, 99):.2f} ms  -> Stop -> ready-for-Start p99 "
          f"{ms(np.add(stop_call, start_call), 99):.2f} ms (target <= 50 ms)")
    print(f"Stop -> take closed on disk {tag} (stopped.json written): p50 {ms(closed_after, 50):.1f} ms, "
          f"p99 {ms(closed_after, 99):.1f} ms (off the control path)")
    print(f"peak RSS {tag}: {peak['rss'] / 1e6:.0f} MB")
    print(f"spool {tag}: {spool_bytes / 1e6:.0f} MB written at {spool_bytes / 1e6 / max(rec_time, 1e-9):.1f} MB/s "
          f"while recording")
    worst = max(shown, key=lambda b: (b.takes, b.eta_s or 0))
    print(f"backlog shown while recording {tag}: at most {worst.takes} takes behind"
          + (f", about {worst.eta_s / 60:.1f} min of encoding left" if worst.eta_s is not None else "")
          + f"; encoders gave way in {len(gave_way)} of {len(takes)} takes")
    print(f"session wall time {tag} {t_rec:.0f} s; encoding backlog drained {drain_s:.0f} s after the last take"
          f" ({'ok' if drained else 'NOT drained'}); episodes committed: {setup.writer.total_episodes}", flush=True)
    if tmp is not None:
        tmp.cleanup()


def backlog_estimate(a, settings, cfg) -> None:
    """What the encode budget predicts for this session, from the encoder speed measured here now."""
    from app.encoding import budget

    speed = budget.measure_speed(settings, a.width, a.height, use_cache=False)
    plan = budget.Plan(((a.height, a.width),) * a.cameras, a.fps, a.episode_time_s, a.reset_time_s, a.episodes,
                       cfg.video_encoding_batch_size)
    speeds = {(a.height, a.width): speed}
    est = budget.estimate(plan, speeds)
    held = budget.estimate(plan, speeds, gives_way=True)
    print(f"encode budget estimate (measured {speed.encode_fps:.0f} fps full speed, {speed.throttled_fps:.0f} fps "
          f"throttled, decode-back {speed.decode_fps:.0f} fps per {a.width}x{a.height} stream): {est.summary()}; "
          f"if the encoders give way in every take: {held.backlog_after_s / 60:.1f} min of encoding left "
          f"({held.backlog_episodes:.1f} takes)", flush=True)


def unprivileged() -> bool:
    """True when this process may not raise a thread above normal priority (nice -10): the studio's
    capture then has no head start over other work."""
    from app.cpu_priority import favour_calling_thread

    got = []
    t = threading.Thread(target=lambda: got.append(favour_calling_thread()))
    t.start()
    t.join()
    return not got[0]


def drop_privileges(user: str | None) -> int:
    """Run this bench again with no capabilities (and as `user`); returns its exit code."""
    import shutil

    setpriv = shutil.which("setpriv")
    if setpriv is None:
        print("error: --unprivileged needs setpriv (util-linux)", file=sys.stderr)
        return 2
    cmd = [setpriv, "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all"]
    if user:
        import pwd

        try:
            gid = pwd.getpwnam(user).pw_gid
        except KeyError:
            print(f"error: no user {user!r} on this machine", file=sys.stderr)
            return 2
        cmd += [f"--reuid={user}", f"--regid={gid}", "--init-groups"]
    repo = Path(__file__).resolve().parent.parent
    probe = subprocess.run([*cmd, sys.executable, "-c", "import app.studio"], cwd=repo, capture_output=True, text=True)
    if probe.returncode:
        last = (probe.stderr.strip().splitlines() or ["?"])[-1]
        print(f"error: {sys.executable} cannot run the studio as {user or 'an unprivileged process'}: {last} "
              "(is the interpreter's folder readable by that user? --unprivileged keeps the user and drops "
              "only the privileges)", file=sys.stderr)
        return 2
    env = {**os.environ, "RECORD_SESSION_DROPPED": "1"}
    if user:
        env["HOME"] = tempfile.mkdtemp(prefix="record-bench-home-")
        os.chmod(env["HOME"], 0o777)
    args = [a for a in sys.argv[1:]]
    return subprocess.call([*cmd, sys.executable, str(Path(__file__).resolve()), *args], env=env)


if __name__ == "__main__":
    main()
