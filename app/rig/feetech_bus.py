"""A Feetech STS servo bus over pyserial: ping, register read/write, sync read/write.

Why our own driver and not feetech-servo-sdk (scservo_sdk) or lerobot's FeetechMotorsBus: the SDK
polls the port with timeout=0 in a busy loop (a whole core per bus on a 2-core laptop), keeps the
byte order in a module-global, has no retries or error counters, and marks the port busy with an
unsynchronised flag, so two threads can interleave packets. Its timeout is a fixed 16 ms latency
allowance plus per-byte time. The protocol itself is small (feetech_protocol.py), so this module
gives us blocking reads with a per-transaction deadline, resynchronisation after noise, bounded
retries, counters the UI can show, and one lock per bus. Packets are byte-identical to the SDK's, so
tools built on it (and lerobot) can talk to our simulated bus, and we to real servos.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field

import serial

from app.rig import feetech_protocol as fp
from app.rig.sts3215 import DEFAULT_BAUDRATE, SIGN_BITS, address

log = logging.getLogger(__name__)


class BusError(RuntimeError):
    pass


class BusTimeout(BusError):
    """A servo did not answer in time (unpowered, wrong id, wrong baud rate, cable)."""


class BusCorrupt(BusError):
    """Answers arrived but failed their checksum on every attempt (noise, wrong baud rate)."""


class BusDisconnected(BusError):
    """The serial port itself went away (USB adapter unplugged)."""


@dataclass
class BusCounters:
    transactions: int = 0
    retries: int = 0
    timeouts: int = 0
    bad_checksums: int = 0
    skipped_bytes: int = 0  # noise between packets, discarded while resynchronising
    failures: int = 0  # transactions that failed after every retry
    disconnects: int = 0
    servo_errors: dict = field(default_factory=dict)  # servo id -> last non-zero error byte

    def snapshot(self) -> dict:
        return asdict(self)


class FeetechBus:
    def __init__(self, port: str, baudrate: int = DEFAULT_BAUDRATE, timeout: float = 0.03, retries: int = 2):
        self.port, self.baudrate = port, baudrate
        self.timeout = timeout  # seconds to wait for the answers of one attempt
        self.retries = retries  # extra attempts after a timeout or a corrupt answer
        self.counters = BusCounters()
        self.sync_read_rtt: deque[float] = deque(maxlen=2000)  # seconds, successful sync reads
        self._ser: serial.Serial | None = None
        self._parser = fp.PacketParser()
        self._lock = threading.RLock()

    # -- port ------------------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self._ser is not None

    def open(self) -> None:
        with self._lock:
            if self._ser is not None:
                return
            try:
                # exclusive: a second program (or a second studio) on the same arm gets a clear error
                self._ser = serial.Serial(self.port, self.baudrate, timeout=self.timeout, write_timeout=1.0,
                                          exclusive=True)
            except (serial.SerialException, OSError, ValueError) as exc:
                raise BusDisconnected(f"cannot open {self.port}: {exc}") from exc
            self._parser.clear()

    def close(self) -> None:
        with self._lock:
            ser, self._ser = self._ser, None
            if ser is not None:
                try:
                    ser.close()
                except Exception:
                    log.debug("closing %s failed", self.port, exc_info=True)

    def __enter__(self) -> "FeetechBus":
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- instructions ----------------------------------------------------------------------------
    def ping(self, servo_id: int) -> bool:
        try:
            self._transact(fp.encode_packet(servo_id, fp.Instruction.PING), [servo_id], f"ping {servo_id}")
            return True
        except (BusTimeout, BusCorrupt):
            return False

    def set_baudrate(self, baudrate: int) -> None:
        with self._lock:
            self.baudrate = baudrate
            if self._ser is not None:
                self._ser.baudrate = baudrate
                self._drain()

    def broadcast_ping(self, wait: float | None = None) -> tuple[dict[int, int], int]:
        """Every servo that answers a ping to the broadcast id: ({id: error bits}, corrupt answers).

        All servos answer at once, so this waits the whole `wait` (default: the bus timeout) for them.
        Two servos sharing an id talk over each other: their answer may arrive corrupt."""
        with self._lock:
            if self._ser is None:
                raise BusDisconnected(f"{self.port} is not open")
            ser, parser = self._ser, fp.PacketParser()
            parser.expect_length = 2
            try:
                ser.reset_input_buffer()
                ser.write(fp.encode_packet(fp.BROADCAST_ID, fp.Instruction.PING))
                found: dict[int, int] = {}
                deadline = time.monotonic() + (self.timeout if wait is None else wait)
                while (left := deadline - time.monotonic()) > 0:
                    ser.timeout = left
                    data = ser.read(64)
                    for packet in parser.feed(data):
                        found[packet.id] = packet.code
            except (serial.SerialException, OSError) as exc:
                self.counters.disconnects += 1
                self.close()
                raise BusDisconnected(f"{self.port} disconnected during a broadcast ping: {exc}") from exc
            self.counters.transactions += 1
            return found, parser.bad_checksums

    def scan(self, ids=range(1, 7)) -> list[int]:
        return [i for i in ids if self.ping(i)]

    def read_raw(self, servo_id: int, addr: int, size: int) -> bytes:
        got = self._transact(fp.read_request(servo_id, addr, size), [servo_id], f"read {addr}:{size} from {servo_id}")
        data = got[servo_id].params
        if len(data) != size:
            raise BusCorrupt(f"servo {servo_id} answered {len(data)} bytes to a {size}-byte read")
        return data

    def write_raw(self, servo_id: int, addr: int, data: bytes) -> None:
        self._transact(fp.write_request(servo_id, addr, data), [servo_id], f"write {addr} on {servo_id}")

    def read(self, servo_id: int, name: str) -> int:
        addr, size = address(name)
        return self._decode(name, fp.from_bytes(self.read_raw(servo_id, addr, size)))

    def write(self, servo_id: int, name: str, value: int) -> None:
        addr, size = address(name)
        self.write_raw(servo_id, addr, fp.to_bytes(self._encode(name, value), size))

    def sync_read(self, name: str, ids: list[int]) -> dict[int, int]:
        addr, size = address(name)
        t0 = time.perf_counter()
        got = self._transact(fp.sync_read_request(ids, addr, size), list(ids), f"sync read {name}")
        self.sync_read_rtt.append(time.perf_counter() - t0)
        out = {}
        for servo_id in ids:
            data = got[servo_id].params
            if len(data) != size:
                raise BusCorrupt(f"servo {servo_id} answered {len(data)} bytes to a {size}-byte sync read")
            out[servo_id] = self._decode(name, fp.from_bytes(data))
        return out

    def sync_write(self, name: str, values: dict[int, int]) -> None:
        addr, size = address(name)
        payload = {i: fp.to_bytes(self._encode(name, v), size) for i, v in values.items()}
        self._transact(fp.sync_write_request(addr, size, payload), [], f"sync write {name}")

    # -- internals -------------------------------------------------------------------------------
    @staticmethod
    def _encode(name: str, value: int) -> int:
        bit = SIGN_BITS.get(name)
        return fp.encode_sign_magnitude(int(value), bit) if bit is not None else int(value)

    @staticmethod
    def _decode(name: str, raw: int) -> int:
        bit = SIGN_BITS.get(name)
        return fp.decode_sign_magnitude(raw, bit) if bit is not None else raw

    def _transact(self, packet: bytes, expect: list[int], what: str) -> dict[int, fp.Packet]:
        with self._lock:
            if self._ser is None:
                raise BusDisconnected(f"{self.port} is not open")
            self.counters.transactions += 1
            problem = ""
            for attempt in range(self.retries + 1):
                if attempt:
                    self.counters.retries += 1
                try:
                    if attempt:
                        self._drain()
                    got, problem = self._attempt(packet, expect)
                except (serial.SerialException, OSError) as exc:
                    self.counters.disconnects += 1
                    self.close()
                    raise BusDisconnected(f"{self.port} disconnected during {what}: {exc}") from exc
                if not problem:
                    return got
            self.counters.failures += 1
            exc_type = BusCorrupt if problem.startswith("corrupt") else BusTimeout
            raise exc_type(f"{self.port}: {what} failed after {self.retries + 1} attempts ({problem})")

    def _attempt(self, packet: bytes, expect: list[int]) -> tuple[dict[int, fp.Packet], str]:
        ser, parser, c = self._ser, self._parser, self.counters
        if ser.in_waiting:
            ser.reset_input_buffer()  # stale bytes from an earlier, abandoned transaction
        parser.clear()
        ser.write(packet)
        if not expect:
            return {}, ""
        got: dict[int, fp.Packet] = {}
        missing = set(expect)
        # every answer is 6 bytes plus the data asked for (READ / SYNC_READ: size is the 2nd param)
        reply_size = 6 + packet[6] if packet[4] in (fp.Instruction.READ, fp.Instruction.SYNC_READ) else 6
        parser.expect_length = reply_size - 4
        deadline = time.monotonic() + self.timeout
        bad0, skip0, received = parser.bad_checksums, parser.skipped_bytes, 0
        while missing:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ser.timeout = left
            data = ser.read(max(1, len(missing) * reply_size - parser.pending))
            if not data:
                break
            received += len(data)
            for p in parser.feed(data):
                if p.id in missing:
                    missing.discard(p.id)
                    got[p.id] = p
                    if p.code:
                        c.servo_errors[p.id] = p.code
            if missing and parser.bad_checksums > bad0 and parser.pending < 4 and not ser.in_waiting:
                break  # an answer was rejected: no point waiting for the deadline, retry now
        bad, skipped = parser.bad_checksums - bad0, parser.skipped_bytes - skip0
        c.bad_checksums += bad
        c.skipped_bytes += skipped
        if not missing:
            return got, ""
        if bad:
            return got, f"corrupt answers: {bad} bad checksums, missing servos {sorted(missing)}"
        c.timeouts += 1
        return got, (f"no answer from servos {sorted(missing)} within {self.timeout * 1000:.0f} ms"
                     + (f" ({received} bytes of noise)" if received else ""))

    def _drain(self) -> None:
        """Let late answers of a failed attempt arrive and throw them away before retrying."""
        ser = self._ser
        ser.timeout = 0.003
        while ser.read(512):
            pass
        ser.reset_input_buffer()
        self._parser.clear()
