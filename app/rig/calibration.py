"""SO-101 calibration: lerobot's JSON files, and the procedure that makes them.

Files live where lerobot keeps them, so calibrations made by either tool are shared:
  $HF_LEROBOT_CALIBRATION, else $HF_LEROBOT_HOME/calibration, else $HF_HOME/lerobot/calibration
  (default ~/.cache/huggingface/lerobot/calibration), then
  robots/so_follower/<id>.json  or  teleoperators/so_leader/<id>.json
Each file maps a joint name to {"id", "drive_mode", "homing_offset", "range_min", "range_max"}.

Procedure (as lerobot's so_follower.calibrate): torque off, clear offsets and limits; the teleoperator
puts the arm in the middle of its range and each joint's homing offset becomes
(present position - 2047), so the middle reads 2047; then every joint is swept through its whole range
while min/max are recorded (wrist_roll turns freely: 0..4095); offsets and limits go to the servos'
EEPROM and the file is saved.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from app.durable import write_atomic
from app.rig.sts3215 import MAX_HOMING_OFFSET, RESOLUTION, SO101_MOTORS

ROLE_DIRS = {"follower": "robots/so_follower", "leader": "teleoperators/so_leader"}
FULL_TURN_JOINTS = ("wrist_roll",)
HALF_TURN = (RESOLUTION - 1) // 2  # 2047


class CalibrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class MotorCalibration:
    id: int
    drive_mode: int
    homing_offset: int
    range_min: int
    range_max: int


Calibration = dict[str, MotorCalibration]


def calibration_root() -> Path:
    if os.environ.get("HF_LEROBOT_CALIBRATION"):
        return Path(os.environ["HF_LEROBOT_CALIBRATION"]).expanduser()
    if os.environ.get("HF_LEROBOT_HOME"):
        return Path(os.environ["HF_LEROBOT_HOME"]).expanduser() / "calibration"
    hf_home = os.environ.get("HF_HOME") or Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")) / "huggingface"
    return Path(hf_home).expanduser() / "lerobot" / "calibration"


def calibration_path(role: str, arm_id: str) -> Path:
    if role not in ROLE_DIRS:
        raise ValueError(f"role must be 'leader' or 'follower', not {role!r}")
    if not arm_id or "/" in arm_id or arm_id.startswith("."):
        raise ValueError(f"invalid arm id {arm_id!r}: use letters, digits, '-' or '_'")
    return calibration_root() / ROLE_DIRS[role] / f"{arm_id}.json"


def existing_ids(role: str) -> list[str]:
    """Arm ids that already have a calibration file (ours or lerobot's)."""
    folder = calibration_root() / ROLE_DIRS[role]
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def load_calibration(path: Path) -> Calibration:
    try:
        raw = json.loads(Path(path).read_text())
        cal = {name: MotorCalibration(**{k: int(v[k]) for k in MotorCalibration.__dataclass_fields__})
               for name, v in raw.items()}
    except FileNotFoundError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CalibrationError(f"{path} is not a lerobot calibration file: {exc}") from exc
    missing = set(SO101_MOTORS) - set(cal)
    if missing:
        raise CalibrationError(f"{path} has no calibration for {', '.join(sorted(missing))}")
    for name, c in cal.items():
        if c.range_min >= c.range_max:
            raise CalibrationError(f"{path}: {name} has range_min >= range_max")
    return cal


def save_calibration(path: Path, cal: Calibration) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps({name: asdict(c) for name, c in cal.items()}, indent=4) + "\n")
    return path


def load_for(role: str, arm_id: str) -> Calibration | None:
    path = calibration_path(role, arm_id)
    return load_calibration(path) if path.is_file() else None


# -- bus side ---------------------------------------------------------------------------------------
def read_from_servos(bus, motors: dict[str, int] = SO101_MOTORS) -> Calibration:
    out = {}
    for name, sid in motors.items():
        out[name] = MotorCalibration(sid, 0, bus.read(sid, "Homing_Offset"), bus.read(sid, "Min_Position_Limit"),
                                     bus.read(sid, "Max_Position_Limit"))
    return out


def write_to_servos(bus, cal: Calibration) -> None:
    """EEPROM writes: torque off and Lock 0 first, or the servo forgets them at power-off."""
    for c in cal.values():
        bus.write(c.id, "Torque_Enable", 0)
        bus.write(c.id, "Lock", 0)
        bus.write(c.id, "Homing_Offset", c.homing_offset)
        bus.write(c.id, "Min_Position_Limit", c.range_min)
        bus.write(c.id, "Max_Position_Limit", c.range_max)


def servos_match(bus, cal: Calibration) -> bool:
    on_servos = read_from_servos(bus, {n: c.id for n, c in cal.items()})
    return all((on_servos[n].homing_offset, on_servos[n].range_min, on_servos[n].range_max)
               == (c.homing_offset, c.range_min, c.range_max) for n, c in cal.items())


class CalibrationSession:
    """The wizard's model. Reads positions on its own thread; the GUI polls snapshot().

    Steps: start() -> set_middle() -> (sweep; mins/maxs grow) -> finish(path) -> Calibration.
    """

    poll_interval = 0.03

    def __init__(self, bus, role: str, arm_id: str, motors: dict[str, int] = SO101_MOTORS):
        self.bus, self.role, self.arm_id, self.motors = bus, role, arm_id, dict(motors)
        self.offsets: dict[str, int] = {}
        self.mins: dict[str, int] = {}
        self.maxs: dict[str, int] = {}
        self.positions: dict[str, int] = {}
        self.error: str | None = None
        self.step = "idle"  # idle -> middle -> sweep -> done
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.bus.open()
        ids = list(self.motors.values())
        for sid in ids:
            self.bus.write(sid, "Torque_Enable", 0)
            self.bus.write(sid, "Lock", 0)
            self.bus.write(sid, "Homing_Offset", 0)
            self.bus.write(sid, "Min_Position_Limit", 0)
            self.bus.write(sid, "Max_Position_Limit", RESOLUTION - 1)
        self.step = "middle"
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll, name="calibration", daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        ids = list(self.motors.values())
        while not self._stop.wait(self.poll_interval):
            try:
                pos = self.bus.sync_read("Present_Position", ids)
            except Exception as exc:  # shown by the wizard; keep trying (cable may come back)
                self.error = str(exc)
                continue
            self.error = None
            with self._lock:
                for name, sid in self.motors.items():
                    p = pos[sid]
                    self.positions[name] = p
                    if self.step == "sweep":
                        self.mins[name] = min(self.mins.get(name, p), p)
                        self.maxs[name] = max(self.maxs.get(name, p), p)

    def snapshot(self) -> dict[str, tuple[int | None, int | None, int | None]]:
        """joint -> (min, present, max) in raw steps, as recorded so far."""
        with self._lock:
            return {n: (self.mins.get(n), self.positions.get(n), self.maxs.get(n)) for n in self.motors}

    def set_middle(self) -> dict[str, int]:
        ids = list(self.motors.values())
        with self._lock:
            pos = self.bus.sync_read("Present_Position", ids)
            for name, sid in self.motors.items():
                offset = pos[sid] - HALF_TURN
                if abs(offset) > MAX_HOMING_OFFSET:
                    raise CalibrationError(f"{name} is too far from its middle (offset {offset})")
                self.bus.write(sid, "Homing_Offset", offset)
                self.offsets[name] = offset
            self.mins.clear()
            self.maxs.clear()
            self.step = "sweep"
        return dict(self.offsets)

    def finish(self, path: Path | None = None) -> Calibration:
        if self.step != "sweep":
            raise CalibrationError("set the middle position first")
        with self._lock:
            cal = {}
            for name, sid in self.motors.items():
                lo, hi = self.mins.get(name), self.maxs.get(name)
                if name in FULL_TURN_JOINTS:
                    lo, hi = 0, RESOLUTION - 1
                if lo is None or hi is None or hi - lo < 20:
                    raise CalibrationError(f"{name} has not been moved: sweep it through its whole range")
                cal[name] = MotorCalibration(sid, 0, self.offsets[name], lo, hi)
        self.stop()
        write_to_servos(self.bus, cal)
        self.step = "done"
        save_calibration(path or calibration_path(self.role, self.arm_id), cal)
        return cal

    def stop(self) -> None:
        self._stop.set()
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(1.0)
        self._thread = None
