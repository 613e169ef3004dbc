"""OS scheduling of encoder threads, so capture, the teleop loop and the window always come first.

SVT-AV1 (4.2, as bundled in PyAV's wheels) switches the thread that opens an encoder, and every thread
it starts, to SCHED_FIFO priority 99 whenever the process may (running as root, or with CAP_SYS_NICE).
A real-time thread runs before every ordinary one whatever its nice value, so a background encode
starved the capture and teleop threads for 15-900 ms at a time, and takes recorded during an encode
lost up to 20 % of their frames (bench/record_session.py). encode_segment hands those threads the
caller's own priority back as soon as the encoder has started them.
"""

from __future__ import annotations

import os
import sys
import threading

THROTTLED_NICE = 15
_REALTIME = {getattr(os, "SCHED_FIFO", -1), getattr(os, "SCHED_RR", -1)}
Priority = tuple[int, int]  # (scheduling policy, nice)


def _threads(pid: int) -> list[int]:
    try:
        return [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return [pid]


def calling_thread_priority() -> Priority | None:
    """Policy and nice of the calling thread (Linux), to give back after an encoder opens."""
    if not sys.platform.startswith("linux"):
        return None
    tid = threading.get_native_id()
    try:
        return os.sched_getscheduler(tid), os.getpriority(os.PRIO_PROCESS, tid)
    except OSError:
        return None


def undo_realtime(priority: Priority | None, pid: int | None = None) -> int:
    """Give every real-time thread of the process `priority` (never a real-time one); returns how
    many threads were changed."""
    if not sys.platform.startswith("linux"):
        return 0
    policy, nice = priority or (os.SCHED_OTHER, 0)
    if policy in _REALTIME:
        policy, nice = os.SCHED_OTHER, 0
    changed = 0
    for tid in _threads(pid or os.getpid()):
        try:
            if os.sched_getscheduler(tid) not in _REALTIME:
                continue
            os.sched_setscheduler(tid, policy, os.sched_param(0))
            os.setpriority(os.PRIO_PROCESS, tid, nice)
            changed += 1
        except OSError:  # the thread ended meanwhile
            pass
    return changed


def set_process_priority(pid: int, throttled: bool, normal_nice: int = 0) -> None:
    """Throttled: every thread of the process runs only on a core nobody else wants (SCHED_IDLE, nice
    15); otherwise ordinary scheduling at `normal_nice`. Linux priorities are per thread, so each one
    is changed."""
    if not sys.platform.startswith("linux"):
        return
    for tid in _threads(pid):
        try:
            os.setpriority(os.PRIO_PROCESS, tid, THROTTLED_NICE if throttled else normal_nice)
            os.sched_setscheduler(tid, os.SCHED_IDLE if throttled else os.SCHED_OTHER, os.sched_param(0))
        except OSError:  # gone, or not allowed to raise it again
            pass


TIMING_NICE = -10  # capture, teleop and spool threads, when the OS lets us (root or CAP_SYS_NICE)


def favour_calling_thread() -> bool:
    """Ask the OS to run the calling thread ahead of ordinary work (nice -10): the teleop loop and
    the cameras keep their 33 ms slots while the machine is busy. Without the privilege to lower a
    nice value (most desktop users) this is a no-op and returns False."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), TIMING_NICE)
        return True
    except OSError:
        return False
