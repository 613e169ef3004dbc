"""What a recording session is set up with (the setup dialog and `teleop-studio record` fill it)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path


def video_key(camera: str) -> str:
    return f"observation.images.{camera}"


@dataclass
class SessionConfig:
    root: Path
    repo_id: str = "local/teleop"
    task: str = ""
    fps: int = 30
    episodes: int = 10
    episode_time_s: float = 60.0
    reset_time_s: float = 60.0
    cameras: list[str] | None = None  # rig camera names to record; None = all of them
    resume: bool = False  # append to an existing dataset
    video_encoding_batch_size: int = 1
    sound: bool = False  # spoken cues at start / stop / reset
    vcodec: str = ""  # video codec of a new dataset ("" = the default); an existing one keeps its own
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        self.root = Path(self.root).expanduser()

    def problems(self) -> list[str]:
        """Human-readable reasons this set-up cannot be used; empty when it is fine."""
        out = []
        if "/" not in self.repo_id or self.repo_id.startswith("/") or self.repo_id.endswith("/"):
            out.append(f"repo id {self.repo_id!r} must look like USER/NAME")
        if not self.task.strip():
            out.append("the task text is empty (say what the robot should do, e.g. 'pick the red cube')")
        if not 1 <= self.fps <= 240:
            out.append(f"fps {self.fps} is out of range 1..240")
        if self.episodes < 1:
            out.append("the number of episodes must be at least 1")
        if self.episode_time_s <= 0:
            out.append("the episode time limit must be positive")
        if self.reset_time_s < 0:
            out.append("the reset time cannot be negative")
        if self.video_encoding_batch_size < 1:
            out.append("the video encoding batch size must be at least 1")
        return out

    @property
    def frames_per_episode(self) -> int:
        return max(1, round(self.episode_time_s * self.fps))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["root"] = str(self.root)
        return d


def root_problem(root: Path, resume: bool | None) -> str:
    """Why `root` cannot be recorded into ("" when it can). resume=True: it must be a dataset or empty
    (`record --resume`); False: it must be new or empty (`record`); None: a dataset is appended to,
    a new or empty folder created (the window and the lab launcher)."""
    root = Path(root).expanduser()
    if root.exists() and not root.is_dir():
        return f"{root} is a file, not a dataset folder"
    has_dataset = (root / "meta" / "info.json").exists()
    used = root.exists() and any(root.iterdir())
    if used and not has_dataset and resume is not False:
        return f"{root} is not empty and holds no dataset (meta/info.json is missing): choose another folder"
    if used and resume is False:
        return (f"{root} already exists{' and holds a dataset' if has_dataset else ''}.\n"
                f"  Pass --resume to append episodes to it, or choose a new --root.")
    return ""
