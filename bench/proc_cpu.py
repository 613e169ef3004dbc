"""CPU from /proc, for the CPU benches: the whole machine's busy time, the kernel's own threads (with
irq and softirq), and this process's threads by name. Standard library only: bench/lerobot_record_cpu.py
runs it in the `make compat` venv.

Both samplers run a thread of their own in the measured process; `own_s` is what that thread spent,
which a bench subtracts (an instrument, not what it measures)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> float:
    f = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = f
    return (user + nice + system + irq + softirq + steal) / TICK


def _stat_fields(path: str) -> list[bytes] | None:
    """The fields of a /proc stat file after the command name, or None if it is gone."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            data = os.read(fd, 4096)
        finally:
            os.close(fd)
    except OSError:
        return None
    return data.rsplit(b")", 1)[1].split()


def _kernel_threads() -> dict[int, int]:
    """Clock ticks so far of each kernel thread (kthreadd and its children). Read 5 times a second
    by this process, so it counts against the pipeline: plain os.read keeps that at ~1 ms a sample
    (Path.read_text took ~3.4 ms, ~0.3 ms per camera-frame of the pipeline's figure)."""
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            f = _stat_fields(f"/proc/{name}/stat")
            if f is not None and (name == "2" or f[1] == b"2"):
                out[int(name)] = int(f[11]) + int(f[12])
    return out


def _irq_ticks() -> int:
    return sum(int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[6:8])


class KernelCPU:
    """CPU the kernel spends meanwhile: its threads (kworker writeback, jbd2, kswapd...) plus irq and
    softirq time. kworkers come and go, so each is read every 0.2 s and its last reading kept.

    `own_s`: the CPU its sampling thread spent, which the measured process's total includes: every
    run leaves it out (an instrument, not the pipeline; ~0.06 ms per camera-frame of the pipeline)."""

    def __init__(self):
        self.first, self.irq0 = _kernel_threads(), _irq_ticks()
        self.last = dict(self.first)
        self.own_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-kernel-sampler", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        c0 = time.thread_time()
        while not self._stop.wait(0.2):
            self.last.update(_kernel_threads())
        self.own_s += time.thread_time() - c0

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        c0 = time.thread_time()
        self.last.update(_kernel_threads())
        self.own_s += time.thread_time() - c0
        ticks = sum(v - self.first.get(pid, 0) for pid, v in self.last.items())
        return (ticks + _irq_ticks() - self.irq0) / TICK


class ThreadCPU:
    """CPU of this process's threads by name (digits stripped), threads that end meanwhile included:
    each thread's CPU is read every 0.2 s and its last reading kept. `own_s`: as KernelCPU's."""

    def __init__(self):
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.names: dict[int, str] = {}
        self.comms: dict[int, str] = {}
        self.own_s = 0.0
        self._stop = threading.Event()
        self._read()
        self.first = dict(self.last)
        self._thread = threading.Thread(target=self._loop, name="bench-thread-sampler", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for t in threading.enumerate():
            if t.native_id is None or t.native_id in self.names:
                continue
            self.names[t.native_id] = "".join(c for c in t.name if not c.isdigit()).strip("-_ ") or "thread"
        for tid in os.listdir("/proc/self/task"):
            try:
                f = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            self.last[int(tid)] = (int(f[11]) + int(f[12])) / TICK
            if int(tid) not in self.comms:  # threads Python did not start: Qt's, PyAV's, OpenCV's...
                try:
                    comm = Path(f"/proc/self/task/{tid}/comm").read_text().strip()
                except OSError:
                    comm = "?"
                self.comms[int(tid)] = "".join(c for c in comm if not c.isdigit()).strip("-_ :") or "?"

    def _loop(self) -> None:
        c0 = time.thread_time()
        while not self._stop.wait(0.2):
            self._read()
        self.own_s += time.thread_time() - c0

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        c0 = time.thread_time()
        self._read()
        self.own_s += time.thread_time() - c0
        out: dict[str, float] = {}
        for tid, cpu in self.last.items():
            name = self.names.get(tid) or f"native: {self.comms.get(tid, '?')}"
            out[name] = out.get(name, 0.0) + cpu - self.first.get(tid, 0.0)
        return out
