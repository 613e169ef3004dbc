"""What is plugged in: serial ports with their USB ids, and video devices."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

from serial.tools import list_ports

# USB-serial chips shipped on Feetech / Waveshare servo driver boards
SERVO_ADAPTERS = {(0x1A86, 0x55D3): "CH343 (Feetech/Waveshare servo board)",
                  (0x1A86, 0x7523): "CH340 USB-serial", (0x0403, 0x6001): "FTDI FT232"}


def _stable_names(folder: str) -> dict[str, str]:
    """realpath -> symlink in a udev by-id folder: a name that survives unplugging and replugging
    (the kernel may hand out ttyACM1 instead of ttyACM0 when the old one is still held open)."""
    out = {}
    for link in sorted(glob.glob(os.path.join(folder, "*"))):
        out.setdefault(os.path.realpath(link), link)
    return out


@dataclass(frozen=True)
class SerialPortInfo:
    device: str
    vid: int | None
    pid: int | None
    serial_number: str | None
    description: str
    stable_path: str | None = None  # /dev/serial/by-id/..., preferred in profiles

    @property
    def path(self) -> str:
        return self.stable_path or self.device

    @property
    def usb_id(self) -> str:
        return f"{self.vid:04x}:{self.pid:04x}" if self.vid is not None else "no USB id"

    @property
    def likely_servo_adapter(self) -> bool:
        return (self.vid, self.pid) in SERVO_ADAPTERS

    def label(self) -> str:
        extra = f" #{self.serial_number}" if self.serial_number else ""
        return f"{self.device}  [{self.usb_id}{extra}]  {self.description}"


def list_serial_ports() -> list[SerialPortInfo]:
    out = []
    stable = _stable_names("/dev/serial/by-id")
    for p in list_ports.comports():
        desc = SERVO_ADAPTERS.get((p.vid, p.pid)) or p.description or ""
        if p.vid is None and p.device.startswith("/dev/ttyS"):
            continue  # legacy on-board UARTs: never a servo bus, and there are dozens
        out.append(SerialPortInfo(p.device, p.vid, p.pid, p.serial_number, desc,
                                  stable.get(os.path.realpath(p.device))))
    return sorted(out, key=lambda i: (not i.likely_servo_adapter, i.device))


@dataclass(frozen=True)
class VideoDeviceInfo:
    device: str
    name: str
    stable_path: str | None = None  # /dev/v4l/by-id/..., preferred in profiles

    @property
    def path(self) -> str:
        return self.stable_path or self.device

    def label(self) -> str:
        return f"{self.device}  {self.name}"


def list_video_devices() -> list[VideoDeviceInfo]:
    out = []
    stable = _stable_names("/dev/v4l/by-id")
    for dev in sorted(glob.glob("/dev/video*"), key=lambda d: int(d[10:]) if d[10:].isdigit() else 999):
        name_file = Path("/sys/class/video4linux") / os.path.basename(dev) / "name"
        try:
            name = name_file.read_text().strip()
        except OSError:
            name = "video device"
        out.append(VideoDeviceInfo(dev, name, stable.get(os.path.realpath(dev))))
    return out


def probe_servos(port: str, ids=range(1, 7), timeout: float = 0.1) -> tuple[list[int], str]:
    """Which servo ids answer on a port, and a sentence for the teleoperator."""
    from app.rig.feetech_bus import BusError, FeetechBus

    try:
        with FeetechBus(port, timeout=timeout, retries=1) as bus:
            found = bus.scan(ids)
    except BusError as exc:
        return [], str(exc)
    if not found:
        return [], f"no servo answers on {port} (power supply on? 1,000,000 baud?)"
    missing = sorted(set(ids) - set(found))
    return found, (f"servos {found} answer" + (f"; missing {missing}" if missing else " - all six found"))


# -- find-port: which port disappears when the cable is pulled (as lerobot-find-port) ------------------
def port_names(pattern: str | None = None) -> set[str]:
    """The serial ports present: lerobot-find-port's list (/dev/tty* on Linux and macOS, pyserial's list
    on Windows), or the paths matching `pattern`."""
    if pattern:
        return set(glob.glob(pattern))
    if os.name == "nt":
        return {p.device for p in list_ports.comports()}
    return set(glob.glob("/dev/tty*"))


def stable_name(device: str) -> str | None:
    return _stable_names("/dev/serial/by-id").get(os.path.realpath(device))


class PortFinder:
    """lerobot-find-port's method, in steps a window or a terminal can drive:
    PortFinder() (ports now) -> cable pulled -> unplugged() -> cable back -> replugged()."""

    def __init__(self, pattern: str | None = None):
        self.pattern = pattern
        self.before = port_names(pattern)
        self.port: str | None = None

    def unplugged(self) -> str:
        """The one port that disappeared; ValueError with a sentence otherwise."""
        gone = sorted(self.before - port_names(self.pattern))
        if not gone:
            raise ValueError("no port disappeared: was the right cable removed?")
        if len(gone) > 1:
            raise ValueError(f"{len(gone)} ports disappeared ({', '.join(gone)}): remove only one cable")
        self.port = gone[0]
        return self.port

    def replugged(self) -> tuple[str | None, str]:
        """(path to use, sentence): the port if it came back, the new name the kernel gave it, or None."""
        back = sorted(port_names(self.pattern) - (self.before - {self.port}))
        if self.port in back:
            stable = stable_name(self.port)
            return stable or self.port, f"{self.port} is back." + (
                f" Its stable name (same after replugging): {stable}" if stable else "")
        if back:
            return back[0], (f"It came back as {back[0]}: use {back[0]} (names can change on replug; "
                             "/dev/serial/by-id/ names do not).")
        return None, f"{self.port} has not come back yet; the arm's port is {self.port} once it is plugged in."


# -- find-cameras: each video device with the sizes and rates it accepts ------------------------------
PROBE_SIZES = ((320, 240), (640, 480), (800, 600), (1280, 720), (1920, 1080))
PROBE_RATES = (5, 10, 15, 20, 25, 30, 60)


@dataclass(frozen=True)
class CameraModes:
    device: str
    name: str
    modes: tuple[tuple[int, int, float], ...]  # (width, height, fps)
    error: str = ""

    def sizes(self) -> list[str]:
        return [f"{w}x{h}" for w, h in sorted({(w, h) for w, h, _ in self.modes})]

    def summary(self) -> str:
        if self.error:
            return self.error
        rates = sorted({r for _, _, r in self.modes if r})
        return ", ".join(self.sizes()) + (" @ " + ", ".join(f"{r:g}" for r in rates) + " fps" if rates else "")

    def lines(self) -> list[str]:
        head = f"{self.device}  {self.name}"
        if self.error:
            return [head, f"    {self.error}"]
        by_size: dict[tuple[int, int], list[float]] = {}
        for w, h, fps in self.modes:
            by_size.setdefault((w, h), []).append(fps)
        return [head] + [f"    {w}x{h} @ " + ", ".join(f"{r:g}" for r in sorted(set(rates))) + " fps"
                         for (w, h), rates in sorted(by_size.items())]


def probe_video_file(path: str) -> CameraModes:
    import av

    try:
        with av.open(path) as c:
            s = c.streams.video[0]
            rate = float(s.average_rate or s.guessed_rate or 0)
            return CameraModes(path, f"video file ({s.codec_context.name})", ((s.width, s.height, rate),))
    except (av.error.FFmpegError, OSError, IndexError) as exc:
        return CameraModes(path, "video file", (), f"cannot be read: {exc}")


def probe_camera(device: str, name: str = "") -> CameraModes:
    """Asks the driver for each common size and rate through OpenCV and keeps what it grants (the V4L2
    driver answers a request with the nearest mode it has)."""
    import cv2

    index = device
    real = os.path.realpath(device)
    if real.startswith("/dev/video") and real[10:].isdigit():
        index = int(real[10:])
    cap = cv2.VideoCapture(index, cv2.CAP_V4L2 if isinstance(index, int) else cv2.CAP_ANY)
    try:
        if not cap.isOpened():
            return CameraModes(device, name, (), "cannot be opened (busy, or not a capture device)")
        modes = set()
        for w, h in PROBE_SIZES:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, w)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, h)
            got = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
            for fps in PROBE_RATES:
                cap.set(cv2.CAP_PROP_FPS, fps)
                modes.add((*got, round(cap.get(cv2.CAP_PROP_FPS), 2)))
        return CameraModes(device, name, tuple(sorted(modes)))
    finally:
        cap.release()


def probe_modes(device: str, name: str = "") -> CameraModes:
    """A camera device's modes, or a video file's size and rate."""
    from app.rig.file_camera import is_video_file

    return probe_video_file(device) if is_video_file(device) else probe_camera(device, name)
