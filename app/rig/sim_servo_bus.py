"""Six simulated STS3215 servos answering the real protocol on a pseudo-terminal.

The driver (or scservo_sdk, or lerobot) opens `port` - a stable symlink to the pty's slave side -
exactly as it would open /dev/ttyACM0. A thread on the master side parses instruction packets and
answers as the servos would: register memory with EEPROM/SRAM, Lock, Homing_Offset
(Present_Position = actual - offset), position limits, torque enable and first-order motion towards
the goal. With torque off, a scripted "hand" moves the joints: the leader's natural motion
(motion.leader_pose, plus keyboard jogs), the calibration poses, or nothing.

Faults for tests and demos: inject("silence" | "bad_checksum" | "garbage", count) affects the next
`count` answers (None: until clear_faults()); unplug() makes the port vanish (the open file gets I/O
errors, the path disappears); replug() brings it back as after a power cycle.
"""

from __future__ import annotations

import array
import fcntl
import itertools
import logging
import math
import os
import random
import select
import tempfile
import threading
import time
import tty
from collections import deque
from pathlib import Path
from typing import Callable

import numpy as np

from app.rig import feetech_protocol as fp
from app.rig.calibration import HALF_TURN, MotorCalibration
from app.rig.motion import leader_pose
from app.rig.sim_servo import LIMITS, SimServo, collide
from app.rig.sts3215 import BAUDRATE_CODES, RESOLUTION, SO101_MOTORS

log = logging.getLogger(__name__)
MIDDLE_POSE = np.array([0, 0, 0, 0, 0, 50], np.float32)
FAULTS = ("silence", "bad_checksum", "garbage")
_TCGETS2 = 0x802C542A  # Linux ioctl: termios2, whose c_ospeed is the baud rate as a number
Hand = Callable[[float], np.ndarray]


_serial = itertools.count()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _links_dir() -> Path:
    """One folder for the port links of every simulation; links left by killed processes are removed."""
    d = Path(tempfile.gettempdir()) / f"teleop-sim-bus-{os.getuid()}"
    d.mkdir(exist_ok=True)
    for link in d.iterdir():
        pid = link.name.split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            link.unlink(missing_ok=True)
    return d


class SimServoBus:
    time_constant = 0.05  # seconds: servo closing the gap to its goal

    def __init__(self, role: str = "follower", link: str | Path | None = None, seed: int | None = None,
                 start: bool = True, factory: bool = False):
        self.role = role
        rng = random.Random(seed if seed is not None else (1 if role == "leader" else 2))
        # each arm was assembled with its horns at arbitrary encoder positions: calibration matters.
        # factory=True: six new servos, every one at id 1 (what `setup-motors` starts from); keys stay
        # the joint's id-to-be, in joint order
        self.servos = {sid: SimServo(1 if factory else sid, joint, 2048 + rng.randint(-400, 400))
                       for joint, sid in SO101_MOTORS.items()}
        # which servos are wired to the controller board: setup-motors wants one at a time
        self.connected_motors: set[int] = {SO101_MOTORS["gripper"]} if factory else set(self.servos)
        if link is None:
            link = _links_dir() / f"{os.getpid()}-{role}-{next(_serial)}"
        self.port = str(link)
        self.pty_path: str | None = None
        self.jog_offsets = np.zeros(6, np.float32)
        self.held_pose: np.ndarray | None = None
        self.hand: str | None = "leader" if role == "leader" else None
        self.requests = 0
        self.writes: deque[tuple[int, int, int]] = deque(maxlen=10_000)  # (id, address, raw value) as received
        self._faults: dict[str, int | None] = {}
        self._t0 = time.monotonic()
        self._t_last = self._t0
        self._lock = threading.Lock()
        self._master = self._slave = -1
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = os.pipe()
        self.plugged = False
        self._reply_delay = 0.0
        if start:
            self.replug()

    # -- what a person does with the arm ---------------------------------------------------------
    def move_by_hand(self, script: str | None) -> None:
        """'leader' (natural motion), 'middle', 'sweep' (each joint end to end), 'hold' or None."""
        with self._lock:
            self._advance(time.monotonic())
            if script == "hold":
                self.held_pose = np.array([s.to_units(s.actual) for s in self.servos.values()], np.float32)
            self.hand = script
            self._t0 = time.monotonic()

    def jog(self, joint: int, delta: float) -> None:
        with self._lock:
            self.jog_offsets[joint] += delta

    def torque_enabled(self) -> list[int]:
        with self._lock:
            return [s.get("Torque_Enable") for s in self.servos.values()]

    def pose(self) -> np.ndarray:
        """Where the joints really are now (degrees; gripper 0..100)."""
        with self._lock:
            self._advance(time.monotonic())
            return np.array([s.to_units(s.actual) for s in self.servos.values()], np.float32)

    def _hand_pose(self, t: float) -> np.ndarray | None:
        if self.hand == "leader":
            return leader_pose(t) + self.jog_offsets
        if self.hand == "middle":
            return MIDDLE_POSE + self.jog_offsets
        if self.hand == "hold" and self.held_pose is not None:
            return self.held_pose + self.jog_offsets
        if self.hand == "sweep":
            lim = np.array([LIMITS[j] for j in SO101_MOTORS], np.float32)
            phase = math.sin(2 * math.pi * t / 1.2)
            out = lim * phase
            out[5] = 50 + 50 * phase
            return out
        return None

    def _advance(self, now: float) -> None:
        dt, self._t_last = now - self._t_last, now
        hand = self._hand_pose(now - self._t0)
        alpha = 1.0 - math.exp(-max(dt, 0.0) / self.time_constant)
        for k, s in enumerate(self.servos.values()):
            if s.get("Torque_Enable"):
                s.actual += alpha * (s.goal_actual() - s.actual)
            elif hand is not None:
                s.actual = s.to_raw(float(hand[k]))
            lo, hi = s.physical_range()
            if s.joint != "wrist_roll":
                s.actual = min(max(s.actual, lo), hi)

    def factory_calibration(self) -> dict[str, MotorCalibration]:
        """The calibration the wizard would find: middle reads 2047, limits at the physical stops."""
        cal = {}
        for joint, sid in SO101_MOTORS.items():
            s = self.servos[sid]
            offset = s.center - HALF_TURN
            lo, hi = s.physical_range()
            rmin, rmax = (0, RESOLUTION - 1) if joint == "wrist_roll" else (round(lo) - offset, round(hi) - offset)
            cal[joint] = MotorCalibration(sid, 0, offset, rmin, rmax)
        return cal

    def connect_motors(self, keys) -> None:
        """Rewire the board: only these servos (keys of `servos`) are on the bus now, freshly powered."""
        with self._lock:
            keys = set(keys)
            for k in keys - self.connected_motors:
                self.servos[k].power_on()
            self.connected_motors = keys

    # -- faults ----------------------------------------------------------------------------------
    def inject(self, fault: str, count: int | None = None) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose from {FAULTS}")
        with self._lock:
            self._faults[fault] = count

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, fault: str) -> bool:
        if fault not in self._faults:
            return False
        left = self._faults[fault]
        if left is not None:
            if left <= 1:
                del self._faults[fault]
            else:
                self._faults[fault] = left - 1
        return True

    def unplug(self) -> None:
        """The USB cable is pulled: the port vanishes and whoever has it open gets I/O errors."""
        self._stop_thread()
        for fd in (self._master, self._slave):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = -1
        if os.path.islink(self.port):
            os.unlink(self.port)
        self.plugged = False

    def replug(self) -> None:
        """Plugged back in: a fresh pty behind the same path; the servos power up (torque off)."""
        if self.plugged:
            return
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line discipline: bytes pass untouched
        tty.setraw(self._master)
        self.pty_path = os.ttyname(self._slave)
        for s in self.servos.values():
            s.power_on()
        if os.path.lexists(self.port):
            os.unlink(self.port)
        os.symlink(self.pty_path, self.port)
        self.plugged = True
        self._thread = threading.Thread(target=self._serve, args=(self._master,), name=f"sim-bus-{self.role}",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.unplug()
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
        self._wake_r = self._wake_w = -1

    def _stop_thread(self) -> None:
        if self._thread is not None:
            self._stopping = True
            os.write(self._wake_w, b"x")
            self._thread.join(2.0)
            self._thread = None
            while select.select([self._wake_r], [], [], 0)[0]:
                os.read(self._wake_r, 64)

    # -- the wire --------------------------------------------------------------------------------
    def _serve(self, master: int) -> None:
        self._stopping = False
        parser = fp.PacketParser(accept_broadcast=True)
        while not self._stopping:
            try:
                ready = select.select([master, self._wake_r], [], [], 0.5)[0]
                if self._wake_r in ready or self._stopping:
                    return
                if not ready:
                    continue
                data = os.read(master, 4096)
            except OSError:
                return
            for packet in parser.feed(data):
                with self._lock:
                    reply = self._handle(packet)
                if reply and self._reply_delay:
                    time.sleep(self._reply_delay)  # Return_Delay_Time: 2 us per unit (factory 250)
                if reply:
                    try:
                        os.write(master, reply)
                    except OSError:
                        return

    def _port_baud(self) -> int | None:
        """The baud rate the program on the other side set (termios2 of the pty); None if unknown."""
        try:
            buf = array.array("i", [0] * 64)
            fcntl.ioctl(self._master, _TCGETS2, buf)
            return buf[10]
        except OSError:
            return None

    def _on_bus(self, baud: int | None) -> list[SimServo]:
        """Servos wired to the board that understand the port's baud rate."""
        code = BAUDRATE_CODES.get(baud) if baud is not None else None
        return [s for k, s in self.servos.items() if k in self.connected_motors
                and (baud is None or s.get("Baud_Rate") == code)]

    def _handle(self, p: fp.Packet) -> bytes:
        self.requests += 1
        self._advance(time.monotonic())
        ins, prm = p.code, p.params
        answers: list[list[bytes]] = []  # per answer slot, what each servo puts on the wire
        on_bus = self._on_bus(self._port_baud())
        targets = on_bus if p.id == fp.BROADCAST_ID else [s for s in on_bus if s.id == p.id]
        self._reply_delay = max((s.get("Return_Delay_Time") for s in targets), default=0) * 2e-6
        if ins == fp.Instruction.PING:
            for sid in sorted({s.id for s in targets}):
                answers.append([fp.encode_packet(sid, 0) for s in targets if s.id == sid])
        elif ins == fp.Instruction.READ and len(prm) == 2 and targets:
            answers = [[fp.encode_packet(p.id, 0, s.read(prm[0], prm[1])) for s in targets]]
        elif ins == fp.Instruction.WRITE and len(prm) >= 2:
            if targets:
                self.writes.append((p.id, prm[0], fp.from_bytes(prm[1:])))
            for s in targets:
                s.write(prm[0], prm[1:])
            if p.id != fp.BROADCAST_ID and targets:
                answers = [[fp.encode_packet(p.id, 0) for _ in targets]]
        elif ins == fp.Instruction.SYNC_READ and len(prm) >= 3:
            for i in prm[2:]:
                same = [s for s in on_bus if s.id == i]
                if same:
                    answers.append([fp.encode_packet(i, 0, s.read(prm[0], prm[1])) for s in same])
        elif ins == fp.Instruction.SYNC_WRITE and len(prm) >= 2:
            addr, size = prm[0], prm[1]
            for k in range(2, len(prm) - size, size + 1):
                self.writes.append((prm[k], addr, fp.from_bytes(prm[k + 1:k + 1 + size])))
                for s in on_bus:
                    if s.id == prm[k]:
                        s.write(addr, prm[k + 1:k + 1 + size])
        # servos sharing an id talk at once: on the wire a 0 bit from either wins (wired AND), so the
        # answer survives only if they said the same thing
        answers = [collide(a) for a in answers]
        if not answers:
            return b""
        if self._take_fault("silence"):
            return b""
        if self._take_fault("bad_checksum"):
            answers = [a[:-1] + bytes(((a[-1] + 1) & 0xFF,)) for a in answers]
        out = b"".join(answers)
        if self._take_fault("garbage"):
            out = bytes(random.choice((0xFF, 0x00, 0x42, 0xFE, 0x07)) for _ in range(random.randint(3, 12))) + out
        return out
