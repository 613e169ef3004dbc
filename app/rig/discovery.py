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
