"""The scoreboard: every target the issues set, the bench/ script that measures it, and the verdict.

Each bench runs as a subprocess with its own settings (full, or --quick: shorter runs with the same
set-up). Figures come from the script's --json output where it has one (kill_trials, soak), otherwise
from the lines it prints (one regular expression per figure, kept next to the target here; a line that
changes shape shows up as "no figure", never as a pass). Targets proven by tests or by opt-in
commands that need downloads (lerobot compat, packaging) are listed too, with where they are checked.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"


@dataclass(frozen=True)
class Figure:
    key: str
    issue: int
    label: str
    target: str  # as the issue says it
    ok: Callable[[float], bool] | None = None  # None: shown for information
    pattern: str | None = None  # regex on stdout, group 1 = the value
    json_key: str | None = None
    unit: str = ""
    fmt: str = "{:.2f}"
    derive: Callable[[dict], float | None] | None = None  # from the other figures of the bench
    absent: str | None = None  # regex: the bench says it could not measure this (a reference not installed)


@dataclass(frozen=True)
class Bench:
    name: str
    full: list[str]
    quick: list[str]
    figures: list[Figure]
    timeout: float = 900
    json: bool = False
    script: str | None = None  # bench/<script>.py when one script runs under several names (set-ups)


@dataclass(frozen=True)
class Listed:
    """A target checked elsewhere (tests, opt-in commands): listed so the board is complete."""
    issue: int
    label: str
    target: str
    where: str


def at_least(x): return lambda v: v >= x  # noqa: E704
def at_most(x): return lambda v: v <= x  # noqa: E704


HUB_COLD = r"stream: app\.hub \(\d+ KiB blocks\), cold\s+"
HUB_DL = r"download whole files first\s+"
NUM = r"([\d.]+)"
STREAM_ROW = r"\| Hub \d+ ms \| DataLoader, {w} workers? \| \d+ \| [\d.]+ \| \d+ \| (\d+) \|"
LEROBOT_ROW = r"(?m)^\| {cls} \| {loader} \|(?:[^|\n]*\|){{7}} ([\d.]+)x \|[^|\n]*\|$"
LEROBOT_CPU = r"(?m)^\| {cls} \| {loader} \|(?:[^|\n]*\|){{8}} ([\d.]+)x \|$"
LEROBOT_ABSENT = r"(?i)skipped: no python with lerobot|lerobot[^\n]*not measured"
LAB_ROW = r"lerobot 0\.6\.1\s+TCP_NODELAY\s+\d+/\s*\d+/\s*\d+\s+"   # bench/hub_lab.py's row
NOT_MEASURED = "not measured"
CAM, SYN = r"\[camera-like\]", r"\[synthetic\]"

BENCHES = [
    Bench("ui_refresh", [], ["--seconds", "5"], [
        Figure("ui.refresh", 3, "UI refresh, 3 cameras 640x480@30 + 6 joints", ">= 30 fps (3 % clock tolerance)",
               at_least(29.1), r"\(min ([\d.]+), target >= 30\)", unit=" fps", fmt="{:.1f}"),
        Figure("ui.gui_cpu", 3, "UI-thread CPU at that refresh", "<= 50 % of one core", at_most(50),
               r"GUI thread CPU\s*:\s*([\d.]+) %", unit=" %", fmt="{:.1f}"),
        Figure("ui.startup", 3, "startup to window shown", "<= 2 s", at_most(2.0),
               r"s after main\(\), ([\d.]+) s after process start", unit=" s"),
    ], timeout=300),
    Bench("encode", [], [], [  # full settings take ~20 s: quick runs them too (60 frames misjudge the ratio)
        Figure("encode.writer", 4, "writer throughput / bare PyAV (AV1 640x480)", ">= 0.9x", at_least(0.9),
               r"writer throughput / bare PyAV throughput: ([\d.]+)x", unit="x"),
        Figure("encode.png", 4, "PNG route CPU / writer CPU", ">= 2x", at_least(2.0),
               r"PNG route CPU / writer CPU:\s+([\d.]+)x", unit="x"),
    ]),
    Bench("teleop_loop", [], ["--seconds", "10"], [
        Figure("teleop.p99", 5, "teleop loop period error p99 (GUI open, 2 cameras)", "<= 5 ms", at_most(5.0),
               r"period error\s*: p50 [\d.]+ ms, p99 ([\d.]+) ms", unit=" ms"),
        Figure("teleop.missed", 5, "teleop missed cycles", "0", at_most(0), r"missed cycles\s*: (\d+)", fmt="{:.0f}"),
        Figure("teleop.rtt", 5, "sync read round trip p99 (follower)", "(shown)", None,
               r"sync read RTT follower\s*: p50 [\d.]+ ms, p99 ([\d.]+) ms", unit=" ms"),
    ], timeout=300),
    Bench("record_session", [], ["--episodes", "3", "--episode-time-s", "5", "--reset-time-s", "2"], [
        Figure("record.on_time", 6, "frames on time, 2 camera-like cams 640x480@30, encoding behind", ">= 99.9 %",
               at_least(99.9), r"frames on time " + CAM + r": \d+/\d+ = ([\d.]+) %", unit=" %"),
        Figure("record.stop_ready", 6, "Stop -> ready-for-Start p99 (camera-like)", "<= 50 ms", at_most(50),
               r"Stop call " + CAM + r":[^\n]*Stop -> ready-for-Start p99 ([\d.]+) ms", unit=" ms", fmt="{:.1f}"),
        Figure("record.rss", 6, "recording peak RSS (camera-like)", "(shown)", None,
               r"peak RSS " + CAM + r": (\d+) MB", unit=" MB", fmt="{:.0f}"),
        Figure("record.spool", 6, "spool write rate while recording", "(shown)", None,
               r"spool " + CAM + r": \d+ MB written at ([\d.]+) MB/s", unit=" MB/s", fmt="{:.1f}"),
        Figure("record.on_time_syn", 6, "same, flat synthetic scene: frames on time", "(second row)", None,
               r"frames on time " + SYN + r": \d+/\d+ = ([\d.]+) %", unit=" %"),
        Figure("record.stop_ready_syn", 6, "same, flat synthetic scene: Stop -> ready-for-Start p99", "(second row)",
               None, r"Stop call " + SYN + r":[^\n]*Stop -> ready-for-Start p99 ([\d.]+) ms", unit=" ms", fmt="{:.1f}"),
    ], timeout=1800),
    # issue 19: a busy process on one core, no privileges (no nice -10): the encoders give way, the backlog grows
    Bench("record_session_load", ["--content", "camera-like", "--load", "1", "--unprivileged"],
          ["--content", "camera-like", "--load", "1", "--unprivileged", "--episodes", "3", "--episode-time-s", "5",
           "--reset-time-s", "2"], [
        Figure("record.load_on_time", 19, "frames on time under --load 1, unprivileged (2 camera-like cams)",
               ">= 99.5 %", at_least(99.5),
               r"unprivileged: yes[\s\S]*frames on time " + CAM + r": \d+/\d+ = ([\d.]+) %", unit=" %"),
        Figure("record.load_backlog", 19, "same: backlog shown while recording, takes behind at most", "(shown)",
               None, r"backlog shown while recording " + CAM + r": at most (\d+) takes behind", fmt="{:.0f}"),
        Figure("record.load_backlog_min", 19, "same: encoding left when the last take stops (estimator)", "(shown)",
               None, r"if the encoders give way in every take: ([\d.]+) min of encoding left", unit=" min",
               fmt="{:.1f}"),
    ], timeout=1800, script="record_session"),
    Bench("record_session_bimanual", ["--bimanual", "--content", "camera-like"],
          ["--bimanual", "--content", "camera-like", "--episodes", "3", "--episode-time-s", "5",
           "--reset-time-s", "2"], [
        Figure("record.bimanual_on_time", 22, "bimanual frames on time (2 pairs, 3 camera-like cams, encoding behind)",
               ">= 99.9 %", at_least(99.9), r"frames on time " + CAM + r": \d+/\d+ = ([\d.]+) %", unit=" %"),
        Figure("record.bimanual_backlog", 22, "same: backlog shown while recording, takes behind at most",
               "(shown)", None, r"backlog shown while recording " + CAM + r": at most (\d+) takes behind",
               fmt="{:.0f}"),
    ], timeout=1800, script="record_session"),
    Bench("spool_formats", [], ["--frames", "30"], [
        Figure("spool.cpu", 6, "raw spool CPU per 640x480 frame (noisy)", "(chosen by measurement)", None,
               r"\| raw RGB append \| [\d.]+ \| [\d.]+ \| ([\d.]+) \|", unit=" ms"),
        Figure("spool.kill", 6, "raw spool frames readable after SIGKILL (>= 60 written)", "all written", None,
               r"\| raw RGB append \|(?: [\d.]+ \|){4} (\d+) \|", fmt="{:.0f}"),
    ], timeout=600),
    # quick keeps the throughput run's 3 takes x 90 frames: with fewer, per-take fixed costs decide the ratio
    Bench("encode_queue", [], ["--gui-s", "2", "--episodes", "4", "--episode-s", "2", "--reset-s", "1"], [
        Figure("queue.ratio", 7, "queue throughput / bare PyAV (camera-like takes)", ">= 0.9x", at_least(0.9),
               r"ratio queue/bare " + CAM + r"\s+([\d.]+)x", unit="x"),
        Figure("queue.ratio_syn", 7, "same, flat synthetic takes", "(second row)", None,
               r"ratio queue/bare " + SYN + r"\s+([\d.]+)x", unit="x"),
        Figure("queue.gui", 7, "studio window camera refresh while the queue encodes (throttled)",
               ">= 30 fps (3 % clock tolerance)", at_least(29.1),
               r"encoding, throttled[^\n]*?\s([\d.]+) fps", unit=" fps", fmt="{:.1f}"),
        Figure("queue.gui_full", 7, "studio window camera refresh while encoding at full speed", "(shown)", None,
               r"encoding, full speed[^\n]*?\s([\d.]+) fps", unit=" fps", fmt="{:.1f}"),
        Figure("queue.drain", 7, "backlog drain after the session", "(shown)", None,
               r"drain time measured\s+([\d.]+) s", unit=" s", fmt="{:.1f}"),
        Figure("queue.estimate", 7, "estimator's predicted drain", "(vs measured)", None,
               r"estimator predicted\s+([\d.]+) s", unit=" s", fmt="{:.1f}"),
    ], timeout=1200),
    Bench("hub_scrub", [], ["--seeks", "15"], [  # same dataset and think time, fewer seeks
        Figure("hub.first", 8, "remote open -> first frame (50 ms/request)", "<= 1.0 s", at_most(1.0),
               HUB_COLD + NUM + "s", unit=" s"),
        Figure("hub.seek", 8, "remote seek -> frame p95", "<= 150 ms", at_most(150),
               HUB_COLD + r"[\d.]+s\s+[\d.]+ms\s+" + NUM + "ms", unit=" ms", fmt="{:.0f}"),
        Figure("hub.bytes", 8, "bytes fetched / episode's share", "<= 1.3", at_most(1.3),
               HUB_COLD + r"[\d.]+s\s+[\d.]+ms\s+[\d.]+ms\s+\d+\s+\d+\s+" + NUM),
        Figure("hub.dl_first", 8, "download-whole-files: open -> first frame", "(side by side)", None,
               HUB_DL + NUM + "s", unit=" s"),
        Figure("hub.dl_bytes", 8, "download-whole-files: bytes / share", "(side by side)", None,
               HUB_DL + r"[\d.]+s\s+[\d.]+ms\s+[\d.]+ms\s+\d+\s+\d+\s+" + NUM),
    ]),
    Bench("hub_lab", [], ["--jumps", "40"], [  # issue 20: 300 lerobot-made episodes, rolled-over files
        Figure("hub_lab.first", 20, "lab-scale Hub open -> first frame (300 episodes, 50 ms/request)", "<= 0.5 s",
               at_most(0.5), LAB_ROW + r"[\d.]+s\s+([\d.]+)s", unit=" s", absent=LEROBOT_ABSENT),
        Figure("hub_lab.jump", 20, "lab-scale jump to any frame of any episode, p95", "<= 100 ms", at_most(100),
               LAB_ROW + r"[\d.]+s\s+[\d.]+s\s+\d+\s+[\d.]+ms\s+([\d.]+)ms", unit=" ms", fmt="{:.0f}",
               absent=LEROBOT_ABSENT),
        Figure("hub_lab.reqs", 20, "lab-scale requests per jump (mean)", "(shown)", None,
               LAB_ROW + r"[\d.]+s\s+[\d.]+s\s+\d+\s+[\d.]+ms\s+[\d.]+ms\s+[\d.]+ms\s+([\d.]+) \(",
               absent=LEROBOT_ABSENT),
    ], timeout=1800),
    # 640x480 x 2 cameras. Full: 12 x 150 frames (1 min of recording); on the quick run's 6 x 60 (12 s)
    # the Hub's fixed open cost (~0.4 s of a 3 s run) weighs on the Hub/local ratio
    Bench("stream", ["--episodes", "12", "--frames", "150"], [], [
        Figure("stream.hub1", 21, "training stream over the Hub stand-in (50 ms), DataLoader 1 worker", "(shown)", None,
               STREAM_ROW.format(w=1), unit=" frames/s", fmt="{:.0f}"),
        Figure("stream.hub2", 21, "same, 2 workers", "(shown)", None, STREAM_ROW.format(w=2), unit=" frames/s",
               fmt="{:.0f}"),
        Figure("stream.hub4", 21, "same, 4 workers", "(shown)", None, STREAM_ROW.format(w=4), unit=" frames/s",
               fmt="{:.0f}"),
        Figure("stream.hub_local", 21, "Hub / local disk, lowest of 1, 2, 4 workers", ">= 0.8", at_least(0.8),
               r"Hub/local end to end: .*lowest ([\d.]+)x", unit="x"),
        Figure("stream.vs_lerobot", 21, "ours / lerobot 0.6.1 StreamingLeRobotDataset, DataLoader 1 worker", ">= 10x",
               at_least(10.0), LEROBOT_ROW.format(cls="StreamingLeRobotDataset", loader="DataLoader, 1 worker"),
               unit="x", fmt="{:.1f}", absent=LEROBOT_ABSENT),
        Figure("stream.cpu_vs_lerobot", 21, "CPU per frame, lerobot's / ours, DataLoader 1 worker", "(shown)", None,
               LEROBOT_CPU.format(cls="StreamingLeRobotDataset", loader="DataLoader, 1 worker"), unit="x",
               fmt="{:.1f}", absent=LEROBOT_ABSENT),
        Figure("stream.vs_lerobot_alone", 21, "same, both datasets iterated alone (no DataLoader)", ">= 10x",
               at_least(10.0),
               LEROBOT_ROW.format(cls="StreamingLeRobotDataset", loader=r"dataset alone \(no DataLoader\)"),
               unit="x", fmt="{:.1f}", absent=LEROBOT_ABSENT),
        Figure("stream.vs_lerobot_map", 21, "ours / lerobot's map-style LeRobotDataset (download first), 1 worker",
               "(side by side)", None,
               LEROBOT_ROW.format(cls=r"LeRobotDataset \(map-style\)", loader="DataLoader, 1 worker"),
               unit="x", fmt="{:.1f}", absent=LEROBOT_ABSENT),
        Figure("stream.vs_lerobot_deltas", 21, "same, a training config: 2-frame deltas (diffusion policy), uint8, "
               "1 worker", ">= 10x", at_least(10.0),
               LEROBOT_ROW.format(cls="StreamingLeRobotDataset",
                                  loader="DataLoader, 1 worker, uint8 frames, 2-frame deltas"),
               unit="x", fmt="{:.1f}", absent=LEROBOT_ABSENT),
        Figure("stream.floor", 21, "bare AV1 decode floor (PyAV, same files, to RGB), CPU per frame of 2 cameras",
               "(shown)", None, r"bare decode floor: ([\d.]+) CPU ms/frame", unit=" ms"),
        Figure("stream.ours_floor", 21, "ours / bare decode floor, CPU per frame, DataLoader 1 worker", "(shown)", None,
               r"ours / bare decode floor, CPU per frame, DataLoader, 1 worker: ([\d.]+)x", unit="x", fmt="{:.1f}"),
        Figure("stream.lerobot_floor", 21, "lerobot's / bare decode floor, same", "(shown)", None,
               r"lerobot / bare decode floor, CPU per frame, DataLoader, 1 worker: ([\d.]+)x", unit="x", fmt="{:.1f}",
               absent=LEROBOT_ABSENT),
        Figure("stream.lerobot_handoff_floor", 21, "lerobot's / (decode + DataLoader hand-off) floor, same (under 10x: "
               "no loader that decodes every frame is 10x lerobot's)", "(evidence)", None,
               r"hand-off floor, DataLoader, 1 worker: [^;\n]*; ours / it [\d.]+x; lerobot / it ([\d.]+)x", unit="x",
               fmt="{:.1f}", absent=LEROBOT_ABSENT),
    ], timeout=1500),
    Bench("push", [], [], [
        Figure("push.one", 10, "push 50 MB at 50 ms/request, 1 upload thread", "(shown)", None,
               r"\| ours, first push, 1 upload thread\(s\) \| [\d.]+ \| ([\d.]+) \|", unit=" MB/s", fmt="{:.1f}"),
        Figure("push.four", 10, "same, 4 upload threads", "(shown)", None,
               r"\| ours, first push, 4 upload thread\(s\) \| [\d.]+ \| ([\d.]+) \|", unit=" MB/s", fmt="{:.1f}"),
        Figure("push.hf", 10, "huggingface_hub upload_folder, same data", "(side by side)", None,
               r"\| huggingface_hub upload_folder[^|]*\| [\d.]+ \| ([\d.]+) \|", unit=" MB/s", fmt="{:.1f}"),
        Figure("push.resent", 10, "push resumed after a cut: MB sent (finished files not re-sent)", "(shown)", None,
               r"\| resumed push[^|]*\| [\d.]+ \| [\d.-]+ \| ([\d.]+) \|", unit=" MB sent", fmt="{:.1f}"),
    ]),
    Bench("cpu_per_frame", [], ["--episodes", "2", "--episode-s", "5", "--bare-frames", "150"], [
        Figure("cpu.ratio", 16, "pipeline CPU per camera-frame / bare PyAV encode (whole machine, median of 3)",
               "<= 1.25x", at_most(1.25), r"pipeline / bare encode, whole machine: ([\d.]+)x", unit="x"),
        Figure("cpu.ratio_tree", 16, "same, process tree only (no kernel writeback, no other jobs)", "(shown)", None,
               r"pipeline / bare encode, process tree: ([\d.]+)x", unit="x"),
        Figure("cpu.ratio_no_stand_ins", 16, "same, without the hardware stand-ins (simulated servos, frame "
               "generation)", "(shown)", None,
               r"info: pipeline without the hardware stand-ins[^\n]*?([\d.]+)x the bare", unit="x"),
        Figure("cpu.pipeline", 16, "pipeline CPU per camera-frame (whole machine)", "(shown)", None,
               r"pipeline \(capture, spool, encode, verify, commit\): ([\d.]+) ms", unit=" ms"),
        Figure("cpu.bare", 16, "bare PyAV SVT-AV1 lp=1 encode, CPU per camera-frame", "(shown)", None,
               r"bare PyAV encode \([^\n]*\): ([\d.]+) ms", unit=" ms"),
        Figure("cpu.lerobot", 16, "pipeline / lerobot 0.6.1 streaming_encoding (whole machine)", "(shown)", None,
               r"pipeline / lerobot 0\.6\.1 streaming_encoding: ([\d.]+)x", unit="x",
               absent=r"pipeline / lerobot 0\.6\.1 streaming_encoding: not measured"),
    ], timeout=3600),
    Bench("edit", [], ["--frames", "4", "--merge-episodes", "30"], [  # quick: 300 episodes all the same
        Figure("edit.delete", 20, "delete 3 of 300 episodes (640x480 camera-like): lerobot-edit-dataset / ours",
               ">= 10x", at_least(10),
               r"delete 3 of 300 episodes: studio [\d.]+ s, lerobot [\d.]+ s, speed-up ([\d.]+)x",
               unit="x", fmt="{:.1f}", absent=LEROBOT_ABSENT),
        Figure("edit.merge", 20, "merge two datasets: lerobot-edit-dataset / ours", ">= 10x", at_least(10),
               r"merge 300 \+ \d+: studio [\d.]+ s, lerobot [\d.]+ s, speed-up ([\d.]+)x", unit="x", fmt="{:.1f}",
               absent=LEROBOT_ABSENT),
        Figure("edit.reencoded", 20, "frames re-encoded when cuts fall on keyframes", "0", at_most(0),
               r"frames re-encoded on keyframe cuts: studio (\d+)", fmt="{:.0f}"),
        Figure("edit.lerobot_changed", 20, "lerobot: kept episodes' video packets changed", "(side by side)", None,
               r"packets changed: studio \d+ of \d+, lerobot (\d+) of", fmt="{:.0f}", absent=LEROBOT_ABSENT),
    ], timeout=3600),
    Bench("kill_trials", ["--trials", "100"], ["--trials", "10"], [
        Figure("kill.passed", 12, "SIGKILL trials passed (recording/reset/encoding, camera-like)", "all of >= 100",
               None, json_key="passed", fmt="{:.0f}"),
        Figure("kill.failed", 12, "SIGKILL trials failed", "0", at_most(0), json_key="failed", fmt="{:.0f}"),
    ], timeout=3600, json=True),
    Bench("soak", ["--minutes", "60"], ["--minutes", "1"], [
        Figure("soak.rss", 12, "soak RSS growth (same settled state, camera-like)", "<= 50 MB", at_most(50),
               json_key="rss_growth_mb",
               unit=" MB", fmt="{:+.1f}"),
        Figure("soak.threads", 12, "soak thread count growth (same settled state, start vs end)", "flat (<= 1)",
               at_most(1),
               json_key="threads_growth", fmt="{:+.0f}"),
        Figure("soak.fds", 12, "soak open file handles growth (same settled state)", "flat (<= 1)", at_most(1),
               json_key="fds_growth", fmt="{:+.0f}"),
        Figure("soak.on_time", 12, "soak frames on time", ">= 99.9 %", at_least(99.9),
               json_key="frames_on_time_pct", unit=" %"),
    ], timeout=3 * 3600, json=True),
]

LISTED = [
    Listed(3, "window, docks, live frames within 1 s, plot data, settings, About codecs", "tests pass",
           "tests/test_window.py"),
    Listed(3, "two README commands on a fresh clone", "work", "README (make run / make test)"),
    Listed(4, "fixtures' .expected.json values and file structure", "all match", "tests/test_dataset_fixtures.py"),
    Listed(4, "round trip bit-exact, video MAE bound", "tests pass", "tests/test_dataset_roundtrip.py"),
    Listed(4, "validator catches injected defects", ">= 6 kinds", "tests/test_dataset_validate.py"),
    Listed(4, "writer SIGKILL trials in the suite", ">= 20 trials pass", "tests/test_dataset_kill.py"),
    Listed(4, "our datasets load in lerobot 0.6.1", "every frame decodes", "make compat (opt-in, ~3 GB)"),
    Listed(5, "driver against the pty bus, faults, calibration, tracking, unplug/replug", "tests pass",
           "tests/test_rig_*.py"),
    Listed(6, "full session offscreen (re-record, exit early) then check", "tests pass",
           "tests/test_recording_session.py"),
    Listed(6, "SIGKILL mid-recording / mid-reset, relaunch, recovered", "tests pass", "tests/test_record_cli.py"),
    Listed(7, "batch 1 vs 3, exit flush, SIGKILL during encoding, cleanup, corrupt spool", "tests pass",
           "tests/test_encoding_*.py"),
    Listed(8, "remote scrub equals local decode; 404/gated/timeout/corrupt/hostile", "tests pass",
           "tests/test_hub_remote.py, tests/test_browser_viewer.py"),
    Listed(9, "streaming equals direct reads, deltas, shuffle, subset, rollover, Hub", "tests pass",
           "tests/test_streaming_*.py"),
    Listed(21, "lerobot's training loop unchanged with our import; 4 workers and 2 ranks x 2 workers read "
               "every frame once", "tests pass", "tests/torch (make test runs them in .venv-torch)"),
    Listed(10, "push byte-exact, card YAML, v3.0 tag, resume without re-sending, token", "tests pass",
           "tests/test_push_*.py"),
    Listed(11, "bundle start to window", "<= 3 s", "make package-test (opt-in)"),
    Listed(11, "make package-test (install .deb in a clean root, record, check)", "passes",
           "make package-test (opt-in)"),
    Listed(12, "kill trials, disk full, unplug, serial faults, bad remote data, token scan", "tests pass",
           "tests/test_faults_*.py"),
    Listed(20, "edits valid, every frame loads, kept packets byte-identical; crash/cancel/in-place swap", "tests pass",
           "tests/test_edit_*.py"),
    Listed(20, "review state: export/import with conflicts, kill -9, keep-accepted; browser journey", "tests pass",
           "tests/test_review_*.py"),
    Listed(20, "every edit's output loads in lerobot 0.6.1 (3 fixtures, studio dataset, lerobot-made 300-episode "
               "lab dataset with rolled-over files)", "every frame",
           "make compat (opt-in, tests/compat/edit_compat.py)"),
    Listed(20, "lerobot-doctor on every edit's output (36 outputs; review file at the root of keep-accepted ones)",
           "all pass (no FAIL)", "make compat: 'lerobot-doctor on edit outputs: N of N pass'"),
]


def bench_names() -> list[str]:
    return [b.name for b in BENCHES]


@dataclass
class Outcome:
    bench: str
    mode: str
    ran: bool
    rc: int | None = None
    seconds: float = 0.0
    values: dict = field(default_factory=dict)
    note: str = ""
    tail: str = ""
    when: str = ""


def run_bench(b: Bench, quick: bool, log=print) -> Outcome:
    mode = "quick" if quick else "full"
    script = BENCH / f"{b.script or b.name}.py"
    when = time.strftime("%Y-%m-%d %H:%M")
    if not script.exists():
        return Outcome(b.name, mode, False, note=f"bench/{b.name}.py does not exist yet", when=when)
    args = list(b.quick if quick else b.full)
    jpath = None
    if b.json:
        jpath = Path(tempfile.mkstemp(prefix=f"bench-{b.name}-", suffix=".json")[1])
        args += ["--json", str(jpath)]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    log(f"== {b.name} {' '.join(args)}")
    t0 = time.monotonic()
    try:
        p = subprocess.run([sys.executable, str(script), *args], cwd=REPO, env=env, capture_output=True,
                           text=True, timeout=b.timeout)
        out, rc = p.stdout + ("\n" + p.stderr if p.returncode else ""), p.returncode
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        rc, out = None, out + f"\n(timed out after {b.timeout:.0f} s)"
    o = Outcome(b.name, mode, True, rc, round(time.monotonic() - t0, 1), when=when)
    o.tail = "\n".join(out.strip().splitlines()[-40:])
    data = {}
    if jpath is not None:
        try:
            data = json.loads(jpath.read_text() or "{}")
        except ValueError:
            data = {}
        jpath.unlink(missing_ok=True)
    o.values = parse(b, out, data)
    if rc not in (0, 1) or (rc == 1 and not b.json):
        o.note = f"exit {rc}: " + " | ".join(out.strip().splitlines()[-3:])[-300:]
    log(o.tail if rc != 0 else "\n".join(out.strip().splitlines()[-12:]))
    return o


def parse(b: Bench, stdout: str, data: dict) -> dict:
    values = {}
    for f in b.figures:
        v = None
        if f.json_key is not None and f.json_key in data:
            v = float(data[f.json_key])
        elif f.pattern is not None:
            m = re.search(f.pattern, stdout)
            if m:
                v = float(m.group(1))
        if v is not None:
            values[f.key] = v
        elif f.absent is not None and re.search(f.absent, stdout):
            values[f.key] = None  # the bench could not run this reference: "not measured", never a pass
    for f in b.figures:  # a fallback when the printed figure is missing (e.g. no lerobot venv)
        if f.derive is not None and f.key not in values:
            v = f.derive(values)
            if v is not None:
                values[f.key] = v
    return values


def verdict(f: Figure, o: Outcome | None) -> tuple[str, str]:
    """(measured text, result) for one figure."""
    if o is None:
        return "-", "not run"
    if not o.ran:
        return "-", "not run: " + o.note
    if f.key not in o.values:
        return "-", "NO FIGURE" + (f" ({o.note})" if o.note else "")
    v = o.values[f.key]
    if v is None:
        return NOT_MEASURED, NOT_MEASURED
    text = f.fmt.format(v) + f.unit
    if f.ok is None:
        return text, "info"
    return text, "pass" if f.ok(v) else "MISS"


def rows(outcomes: dict[str, dict]) -> list[tuple]:
    """(issue, figure, target, measured, result, mode) for every figure and listed target."""
    out = []
    for b in BENCHES:
        o = outcomes.get(b.name)
        oc = Outcome(**o) if o else None
        for f in b.figures:
            measured, result = verdict(f, oc)
            if b.name == "kill_trials" and f.key == "kill.passed" and oc and f.key in oc.values:
                total = oc.values["kill.passed"] + oc.values.get("kill.failed", 0)
                measured = f"{oc.values['kill.passed']:.0f}/{total:.0f}"
                result = "pass" if total >= 100 and not oc.values.get("kill.failed") else (
                    "MISS" if oc.values.get("kill.failed") else f"pass ({total:.0f} < 100 trials)")
            out.append((f.issue, f.label, f.target, measured, result, f"{oc.mode}, {oc.when}" if oc and oc.ran else ""))
    for item in LISTED:
        out.append((item.issue, item.label, item.target, "-", f"checked by {item.where}", ""))
    return sorted(out, key=lambda r: r[0])


def table_text(rs: list[tuple]) -> str:
    heads = ("issue", "figure", "target", "measured", "result")
    widths = [max(len(str(r[i])) for r in [heads, *rs]) for i in range(5)]
    widths[1], widths[4] = min(widths[1], 60), min(widths[4], 60)
    line = lambda r: "  ".join(str(x)[:w].ljust(w) for x, w in zip(r, widths))  # noqa: E731
    return "\n".join([line(heads), line(["-" * w for w in widths]), *(line(r[:5]) for r in rs)])


def table_markdown(rs: list[tuple]) -> str:
    out = ["| issue | figure | target | measured | result | run |", "|---|---|---|---|---|---|"]
    for r in rs:
        out.append("| " + " | ".join(str(x).replace("|", "/") for x in r) + " |")
    return "\n".join(out)


def load_results(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def update_readme(readme: Path, markdown: str, header: str) -> None:
    start, end = "<!-- scoreboard:start -->", "<!-- scoreboard:end -->"
    text = readme.read_text() if readme.exists() else "# Benchmarks\n"
    block = f"{start}\n{header}\n\n{markdown}\n{end}"
    if start in text and end in text:
        text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n## Scoreboard (`make bench`)\n\n" + block + "\n"
    readme.write_text(text)
