"""Rig profiles: which serial port is the leader, which the follower, which cameras, under what names.

Saved as JSON in <config dir>/rigs/<name>.json; the profile last used is remembered in
<config dir>/rigs/active.txt and is what detect_rig() looks for at start-up.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.durable import write_atomic
from app.paths import config_dir

_NAME = re.compile(r"^[\w .-]{1,64}$")


class ProfileError(ValueError):
    pass


@dataclass
class CameraConfig:
    name: str  # becomes observation.images.<name>
    device: str  # /dev/video0, an index ("0"), or a file path
    width: int = 640
    height: int = 480
    fps: int = 30
    fourcc: str = "MJPG"


@dataclass
class ArmPair:
    """One leader/follower pair of a bimanual rig; ids name the calibration files."""
    leader_port: str = ""
    leader_id: str = ""
    follower_port: str = ""
    follower_id: str = ""


@dataclass
class RigProfile:
    name: str
    leader_port: str = ""
    leader_id: str = "leader"  # calibration file name under teleoperators/so_leader
    follower_port: str = ""
    follower_id: str = "follower"  # calibration file name under robots/so_follower
    cameras: list[CameraConfig] = field(default_factory=list)
    fps: int = 30
    pairs: dict[str, ArmPair] = field(default_factory=dict)  # bimanual: {"left": ..., "right": ...}

    @property
    def bimanual(self) -> bool:
        return bool(self.pairs)

    @classmethod
    def from_dict(cls, data: dict) -> "RigProfile":
        data = dict(data)
        data["cameras"] = [CameraConfig(**c) for c in data.get("cameras", [])]
        data["pairs"] = {side: ArmPair(**p) for side, p in (data.get("pairs") or {}).items()}
        return cls(**data)

    def validate(self) -> None:
        if not _NAME.match(self.name or ""):
            raise ProfileError("a profile name needs 1-64 letters, digits, spaces, '.', '-' or '_'")
        names = [c.name for c in self.cameras]
        if len(set(names)) != len(names):
            raise ProfileError("two cameras have the same name")
        for c in self.cameras:
            if not re.match(r"^[A-Za-z0-9_]+$", c.name):
                raise ProfileError(f"camera name {c.name!r}: use letters, digits and '_' (it becomes a dataset key)")
        if self.leader_port and self.leader_port == self.follower_port:
            raise ProfileError("the leader and the follower cannot share one serial port")
        if self.pairs:
            from app.rig.bimanual import check_pairs

            problem = check_pairs(self.pairs, [c.name for c in self.cameras])
            if problem:
                raise ProfileError(problem)


def _dir() -> Path:
    d = config_dir() / "rigs"
    d.mkdir(parents=True, exist_ok=True)
    return d


def save_profile(profile: RigProfile, make_active: bool = True) -> Path:
    profile.validate()
    path = _dir() / f"{profile.name}.json"
    write_atomic(path, json.dumps(asdict(profile), indent=2) + "\n")
    if make_active:
        (_dir() / "active.txt").write_text(profile.name)
    return path


def load_profile(name: str) -> RigProfile:
    path = _dir() / f"{name}.json"
    try:
        return RigProfile.from_dict(json.loads(path.read_text()))
    except FileNotFoundError:
        raise ProfileError(f"no rig profile named {name!r}") from None
    except (ValueError, TypeError) as exc:
        raise ProfileError(f"{path} is damaged: {exc}") from exc


def list_profiles() -> list[str]:
    return sorted(p.stem for p in _dir().glob("*.json"))


def delete_profile(name: str) -> None:
    (_dir() / f"{name}.json").unlink(missing_ok=True)


def active_profile() -> RigProfile | None:
    marker = _dir() / "active.txt"
    if not marker.is_file():
        return None
    try:
        return load_profile(marker.read_text().strip())
    except ProfileError:
        return None
