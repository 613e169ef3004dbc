"""CPU per camera-frame of the whole recording pipeline, against a bare PyAV encode of the same frames.

    .venv/bin/python bench/cpu_per_frame.py [--episodes 4 --episode-s 20 --reset-s 2 --rounds 3]
                                           [--cameras 2 --width 640 --height 480] [--no-lerobot]

Pipeline: the simulated rig (servo buses, teleop loop) with camera-like cameras (bench/camera_like.py),
a recording session (spool), the encode queue (encode, decode-back verify, commit), from the first
Start until the last take is committed. Bare: PyAV's plain encode loop over the same camera-like frames
(SVT-AV1 lp=1 and the pipeline's settings: preset 12, crf 30, g 2), the frames made beforehand.
Each round runs the pipeline then the bare encode (the order alternates); the ratio is the median of
the rounds' ratios, as only same-run ratios mean anything on a host whose speed varies.

CPU is counted per camera-frame:
- whole machine: the process tree (below) plus every kernel thread (kworker writeback of the raw
  spool, jbd2, kswapd...) and the machine's irq and softirq time, from /proc. Other users' processes
  are left out: on this shared machine they keep both cores busy, so /proc/stat's total (printed as
  "raw") says more about them than about us. Kernel threads also work for other jobs' writes, which
  counts against us, never for us;
- process tree: this process and every child (encoders via the forkserver, simulated servos), less
  the CPU of the bench's own sampling threads (bench/proc_cpu.py), in every run alike;
- where it goes: per thread of this process and per kind of child, and per-frame costs measured alone
  (camera-like frame generation, spool write and read, verify).

The target row counts everything above. A second row, for information, leaves out the hardware
stand-ins a real rig has in its arms and cameras: the simulated servos process and the camera-like
frame generation (the CPU each camera thread spends making its frames, read around every frame).

With the `make compat` venv (lerobot 0.6.1) present, the same camera-like frames are recorded by
lerobot's LeRobotDataset with streaming_encoding (same codec settings, paced at the fps) and that
per-frame figure is printed too; without it the row says "not measured".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.camera_like import CameraLikeClip, build_bench_rig  # noqa: E402
from bench.proc_cpu import KernelCPU, ThreadCPU, machine_busy_s  # noqa: E402

COMPAT_PY = Path("/root/.cache/teleop-studio/lerobot-compat-venv/bin/python")


def _total(p: psutil.Process) -> float:
    t = p.cpu_times()
    return t.user + t.system + t.children_user + t.children_system


def _kind(p: psutil.Process) -> str:
    try:
        cmd = " ".join(p.cmdline())
    except psutil.Error:
        return "gone"
    if p.pid == os.getpid():
        return "studio process"
    if "forkserver" in cmd:
        return "encoders (forkserver children: encode + verify)"
    if "sim_servo" in cmd:
        return "simulated servos"
    return "other children"


def tree_snapshot() -> dict[int, tuple[str, float]]:
    """CPU so far of this process and each descendant, children they reaped included."""
    me = psutil.Process()
    out = {}
    for p in [me, *me.children(recursive=True)]:
        try:
            out[p.pid] = (_kind(p), _total(p))
        except psutil.Error:
            pass
    return out


def tree_delta(a: dict, b: dict) -> dict[str, float]:
    """Per kind. A child gone between a and b was reaped by its parent, whose total now includes it."""
    kinds: dict[str, float] = {}
    for pid in set(a) | set(b):
        kind = (b.get(pid) or a.get(pid))[0]
        kinds[kind] = kinds.get(kind, 0.0) + (b[pid][1] if pid in b else 0.0) - (a[pid][1] if pid in a else 0.0)
    return kinds


def wait_children_settled(timeout: float = 20.0) -> None:
    """Until no child process is using CPU: the encoders' forkserver imports av and numpy once when the
    studio starts (~0.3-1 s of CPU), which is not per-frame work and must not fall in the window."""
    me = psutil.Process()
    last, quiet, end = None, 0, time.monotonic() + timeout
    while quiet < 3 and time.monotonic() < end:
        time.sleep(0.2)
        now = {}
        for p in me.children(recursive=True):
            try:
                if _kind(p) != "simulated servos":  # these serve the running rig: always busy
                    now[p.pid] = _total(p)
            except psutil.Error:
                pass
        busy = last is None or any(v - last.get(pid, 0) > 0.02 for pid, v in now.items())
        quiet = 0 if busy else quiet + 1
        last = now


def run_pipeline(a, tmp: Path, k: int) -> dict:
    from app.encoding.workers import EncodeWorkers
    from app.recording.config import SessionConfig
    from app.studio import open_recording

    rig = build_bench_rig("camera-like", a.cameras, a.width, a.height, a.fps)
    generation = GenerationCPU(rig)
    cfg = SessionConfig(root=tmp / f"ds{k}", repo_id="bench/cpu", task="pick the cube", fps=a.fps,
                        episodes=a.episodes, episode_time_s=a.episode_s + 2, reset_time_s=a.reset_s + 60)
    setup = open_recording(rig, cfg)
    s, queue = setup.session, setup.queue
    from app.recording.session import State

    s.add_observer(lambda e, d: queue.set_throttled(d == State.RECORDING) if e == "state" else None)
    workers = EncodeWorkers(queue)
    workers.start()
    rig.start()
    time.sleep(1.0)
    wait_children_settled()
    m0, kernel, t0, w0 = machine_busy_s(), KernelCPU(), tree_snapshot(), time.monotonic()
    th, g0 = ThreadCPU(), generation.seconds()
    takes = []
    for ep in range(a.episodes):
        s.start() if ep == 0 else s.skip_reset()
        takes.append(s._current)
        time.sleep(a.episode_s)
        s.next() if ep < a.episodes - 1 else s.end()
        if ep < a.episodes - 1:
            time.sleep(a.reset_s)
    s.wait_takes(30)
    queue.flush()
    queue.wait_idle(timeout=1800)
    m1, kernel_cpu, t1, w1 = machine_busy_s(), kernel.stop(), tree_snapshot(), time.monotonic()
    generation_s = generation.seconds() - g0
    per_thread = th.stop()
    rig.stop()
    workers.stop()
    committed = setup.writer.total_episodes
    setup.writer.close()
    frames = sum(c.captured for t in takes for c in t.health.cameras.values())
    kinds = tree_delta(t0, t1)
    samplers = kernel.own_s + th.own_s
    kinds["studio process"] = kinds.get("studio process", 0.0) - samplers
    threads = {n: v for n, v in per_thread.items() if v > 0.005 and not n.startswith("bench-")}
    wall = w1 - w0
    tree = sum(kinds.values())
    return {"frames": frames, "wall": wall, "committed": committed, "raw_machine_s": m1 - m0,
            "kernel_s": kernel_cpu, "machine_s": tree + kernel_cpu, "tree_s": tree, "kinds": kinds, "threads": threads,
            "generation_s": generation_s, "samplers_s": samplers}


class GenerationCPU:
    """CPU the camera threads spend making camera-like frames (the stand-in for a camera's own
    electronics): each clip's next() is timed with its thread's CPU clock, one total per camera."""

    def __init__(self, rig):
        self.totals: list[list[float]] = []
        for cam in rig.cameras.values():
            clip = getattr(cam, "clip", None)
            if clip is not None:
                total = [0.0]
                self.totals.append(total)
                clip.next = self._timed(clip.next, total)

    @staticmethod
    def _timed(make, total: list[float]):
        def timed():
            c0 = time.thread_time()
            try:
                return make()
            finally:
                total[0] += time.thread_time() - c0
        return timed

    def seconds(self) -> float:
        return sum(t[0] for t in self.totals)


def run_bare(a, frames_per_camera: int) -> dict:
    from app.dataset.video import VideoSettings
    from bench.encode import bare_pyav

    settings = VideoSettings(extra_options={"svtav1-params": "lp=1"})
    n = 0
    cpu = {"machine_s": 0.0, "raw_machine_s": 0.0, "kernel_s": 0.0, "tree_s": 0.0, "wall": 0.0, "samplers_s": 0.0}
    with tempfile.TemporaryDirectory(prefix="bench-cpu-bare-") as d:
        for cam in range(a.cameras):  # the cameras' own clips (CameraLikeCamera seeds 0, 1, ...)
            frames = CameraLikeClip(a.width, a.height, seed=cam, fps=a.fps).frames(frames_per_camera)
            m0, kcpu, c0, w0 = machine_busy_s(), KernelCPU(), _total(psutil.Process()), time.monotonic()
            bare_pyav(frames, Path(d) / f"bare{cam}.mp4", settings, a.fps)
            own, kernel = _total(psutil.Process()) - c0, kcpu.stop()
            own -= kcpu.own_s
            cpu["samplers_s"] += kcpu.own_s
            cpu["raw_machine_s"] += machine_busy_s() - m0
            cpu["kernel_s"] += kernel
            cpu["machine_s"] += own + kernel
            cpu["tree_s"] += own
            cpu["wall"] += time.monotonic() - w0
            n += len(frames)
            del frames
    return {"frames": n, "options": settings.options(), **cpu}


def run_lerobot(a) -> dict | None:
    """lerobot 0.6.1's LeRobotDataset with streaming_encoding, in the compat venv; None if absent."""
    if not COMPAT_PY.exists():
        return None
    script = REPO / "bench" / "lerobot_record_cpu.py"
    episodes = a.episodes  # the pipeline's takes, resets and cameras
    with tempfile.TemporaryDirectory(prefix="bench-cpu-lerobot-") as d:
        out = Path(d) / "out.json"
        env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "HF_LEROBOT_HOME": str(Path(d) / "home")}
        p = subprocess.run([str(COMPAT_PY), str(script), "--root", str(Path(d) / "ds"), "--episodes", str(episodes),
                            "--episode-s", str(a.episode_s), "--reset-s", str(a.reset_s), "--cameras",
                            str(a.cameras), "--width", str(a.width), "--height", str(a.height), "--fps", str(a.fps),
                            "--json", str(out)], env=env, capture_output=True, text=True, timeout=3600)
        if p.returncode != 0 or not out.exists():
            print(f"  lerobot run failed (exit {p.returncode}): {p.stderr.strip().splitlines()[-1:]}", flush=True)
            return None
        return json.loads(out.read_text())


def per_frame_costs(a) -> dict[str, float]:
    """ms of CPU per camera-frame of the pipeline's parts, each measured alone on camera-like frames."""
    import numpy as np

    from app.dataset.verify import verify_segment
    from app.dataset.video import VideoSettings, encode_segment
    from app.recording.spool import Spool, SpoolWriter

    n = 90
    clip = CameraLikeClip(a.width, a.height, seed=5, fps=a.fps)
    c0 = time.process_time()
    frames = clip.frames(n)
    gen = time.process_time() - c0
    out = {"camera-like frame generation (simulator)": gen}
    with tempfile.TemporaryDirectory(prefix="bench-cpu-parts-") as d:
        w = SpoolWriter(Path(d), "t", a.fps, {"cam": (a.height, a.width)})
        zero = np.zeros(6, np.float32)
        c0 = time.process_time()
        for i, img in enumerate(frames):
            w.append(i, i / a.fps, zero, zero, {"cam": img})
        spool = w.stop()
        out["spool write (this process)"] = time.process_time() - c0
        c0 = time.process_time()
        for _ in Spool(spool.path).frames("cam"):
            pass
        out["spool read (encoder child)"] = time.process_time() - c0
        path = Path(d) / "seg.mp4"
        encode_segment(Spool(spool.path).frames("cam"), path, a.fps, VideoSettings(), length=n, threads=1)
        c0 = time.process_time()
        verify_segment(path, n, a.fps, threads=1)
        out["verify (packets, first frame and last GOP decoded)"] = time.process_time() - c0
    return {k: 1000 * v / n for k, v in out.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=4)
    ap.add_argument("--episode-s", type=float, default=20.0)
    ap.add_argument("--reset-s", type=float, default=2.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cameras", type=int, default=2)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--bare-frames", type=int, default=300, help="frames per camera in each bare encode")
    ap.add_argument("--no-lerobot", action="store_true", help="skip lerobot even if the compat venv exists")
    a = ap.parse_args()

    from PySide6.QtCore import QCoreApplication

    app = QCoreApplication.instance() or QCoreApplication([])  # noqa: F841 - QThreads want one
    print(f"cpu_per_frame: {a.cameras} camera-like cameras {a.width}x{a.height}@{a.fps}, {a.episodes} x "
          f"{a.episode_s:g} s takes, {a.reset_s:g} s resets; {a.rounds} rounds interleaved with a bare encode; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (shared machine: figures are noisy)",
          flush=True)
    ratios: dict[str, list[float]] = {"machine": [], "tree": [], "no_stand_ins": []}
    pipes, bares, lerobots, lr_ratios = [], [], [], []
    use_lerobot = COMPAT_PY.exists() and not a.no_lerobot
    with tempfile.TemporaryDirectory(prefix="bench-cpu-") as tmp:
        for k in range(a.rounds):
            order = ["pipeline", "bare"] if k % 2 == 0 else ["bare", "pipeline"]
            if use_lerobot:
                order.insert(k % 3, "lerobot")
            got = {}
            for what in order:
                if what == "pipeline":
                    got[what] = run_pipeline(a, Path(tmp), k)
                elif what == "bare":
                    got[what] = run_bare(a, a.bare_frames)
                else:
                    got[what] = run_lerobot(a)
            if got.get("lerobot"):
                lerobots.append(got["lerobot"])
                lr_ratios.append(got["pipeline"]["machine_s"] / got["pipeline"]["frames"]
                                 / (got["lerobot"]["machine_s"] / got["lerobot"]["frames"]))
            p, b = got["pipeline"], got["bare"]
            pipes.append(p)
            bares.append(b)
            pm, bm = 1000 * p["machine_s"] / p["frames"], 1000 * b["machine_s"] / b["frames"]
            pt, bt = 1000 * p["tree_s"] / p["frames"], 1000 * b["tree_s"] / b["frames"]
            ps = 1000 * (p["machine_s"] - p["kinds"].get("simulated servos", 0.0) - p["generation_s"]) / p["frames"]
            p["no_stand_ins_ms"] = ps
            ratios["machine"].append(pm / bm)
            ratios["tree"].append(pt / bt)
            ratios["no_stand_ins"].append(ps / bm)
            print(f"round {k + 1}: pipeline {p['frames']} frames, {p['committed']} committed, {pm:.1f} ms/frame "
                  f"machine ({pt:.1f} tree + {1000 * p['kernel_s'] / p['frames']:.1f} kernel; raw /proc/stat "
                  f"{1000 * p['raw_machine_s'] / p['frames']:.1f}); bare {bm:.1f} ({bt:.1f} + "
                  f"{1000 * b['kernel_s'] / b['frames']:.1f}; raw {1000 * b['raw_machine_s'] / b['frames']:.1f}) "
                  f"-> {pm / bm:.2f}x machine, {pt / bt:.2f}x tree, {ps / bm:.2f}x without the stand-ins; "
                  f"load average {os.getloadavg()[0]:.1f}",
                  flush=True)
    med = {k: statistics.median(v) for k, v in ratios.items()}
    pm = statistics.median(1000 * p["machine_s"] / p["frames"] for p in pipes)
    bm = statistics.median(1000 * b["machine_s"] / b["frames"] for b in bares)
    print()
    print(f"bare PyAV encode ({bares[0]['options']}): {bm:.2f} ms CPU per camera-frame (whole machine, median)")
    print(f"pipeline (capture, spool, encode, verify, commit): {pm:.2f} ms CPU per camera-frame (whole machine, "
          f"median)")
    print(f"pipeline / bare encode, whole machine: {med['machine']:.2f}x (median of {a.rounds}: "
          f"{', '.join(f'{x:.2f}' for x in ratios['machine'])}; target <= 1.25x)")
    print(f"pipeline / bare encode, process tree: {med['tree']:.2f}x (median of {a.rounds}: "
          f"{', '.join(f'{x:.2f}' for x in ratios['tree'])})")
    ps = statistics.median(p["no_stand_ins_ms"] for p in pipes)
    print(f"info: pipeline without the hardware stand-ins (simulated servos process, camera-like frame "
          f"generation): {ps:.2f} ms CPU per camera-frame, {med['no_stand_ins']:.2f}x the bare encode (median of "
          f"{a.rounds}: {', '.join(f'{x:.2f}' for x in ratios['no_stand_ins'])})")

    last = pipes[len(pipes) // 2]
    print(f"\nwhere the pipeline's CPU goes (round {len(pipes) // 2 + 1}, ms per camera-frame):")
    per = 1000 / last["frames"]
    for kind, s in sorted(last["kinds"].items(), key=lambda kv: -kv[1]):
        print(f"  {kind:50s} {s * per:6.2f}")
    print(f"  {'kernel threads (spool writeback...), irq, softirq':50s} {last['kernel_s'] * per:6.2f}")
    print("  studio process threads:")
    for name, s in sorted(last["threads"].items(), key=lambda kv: -kv[1]):
        print(f"    {name:48s} {s * per:6.2f}")
    print(f"    {'(in the camera threads: frame generation, stand-in)':48s} {last['generation_s'] * per:6.2f}")
    print(f"  {'left out: the bench samplers (this process)':50s} {last['samplers_s'] * per:6.2f} "
          f"(bare: {1000 * statistics.median(b['samplers_s'] / b['frames'] for b in bares):.2f})")
    print("  each part alone (ms per camera-frame):")
    for name, ms in per_frame_costs(a).items():
        print(f"    {name:48s} {ms:6.2f}")

    if a.no_lerobot:
        print("\npipeline / lerobot 0.6.1 streaming_encoding: not measured (--no-lerobot)")
        return 0
    if not lerobots:
        why = "no compat venv (make compat)" if not COMPAT_PY.exists() else "lerobot run failed"
        print(f"\npipeline / lerobot 0.6.1 streaming_encoding: not measured ({why})")
        return 0
    lm = statistics.median(1000 * x["machine_s"] / x["frames"] for x in lerobots)
    lt = statistics.median(1000 * x["tree_s"] / x["frames"] for x in lerobots)
    late = ", ".join(f"{x['late_pct']:.1f}" for x in lerobots)
    print(f"\nlerobot 0.6.1 streaming_encoding (same takes and resets, encoder_threads 1; % of its loop iterations "
          f"late: {late}): {lm:.2f} ms per camera-frame whole machine, {lt:.2f} process (median)")
    print(f"pipeline / lerobot 0.6.1 streaming_encoding: {statistics.median(lr_ratios):.2f}x whole machine (median "
          f"of {len(lr_ratios)}: {', '.join(f'{x:.2f}' for x in lr_ratios)})")
    bt = statistics.median(1000 * b["tree_s"] / b["frames"] for b in bares)
    print(f"lerobot / bare encode: {lm / bm:.2f}x whole machine, {lt / bt:.2f}x process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
