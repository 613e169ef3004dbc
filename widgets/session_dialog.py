"""Session set-up: which dataset, what task, how many episodes of how long. Remembered in QSettings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.paths import data_dir
from app.recording.config import SessionConfig, root_problem
from app.rig.rig import Rig
from widgets.settings import read_bool

PREFIX = "session/"
CODECS = (("libsvtav1", "AV1 (SVT-AV1): small files, lerobot's default"),
          ("h264", "H.264: fastest to encode, larger files"), ("hevc", "HEVC (H.265)"))


class SessionDialog(QDialog):
    def __init__(self, rig: Rig, settings: QSettings, parent: QWidget | None = None, speaker=None):
        super().__init__(parent)
        self.setWindowTitle("New recording session")
        self.rig, self.settings = rig, settings
        v = lambda key, default: settings.value(PREFIX + key, default)  # noqa: E731
        self.root = QLineEdit(str(v("root", str(data_dir() / "my_dataset"))))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        root_row = QHBoxLayout()
        root_row.addWidget(self.root, 1)
        root_row.addWidget(browse)
        self.dataset_state = QLabel()
        self.root.textChanged.connect(self._update_state)
        self.repo_id = QLineEdit(str(v("repo_id", "user/my_dataset")))
        self.task = QLineEdit(str(v("task", "")))
        self.task.setPlaceholderText("what the robot should do, e.g. pick the red cube and put it in the box")
        self.fps = _spin(QSpinBox(), 1, 120, int(v("fps", rig.fps)), " fps")
        self.episodes = _spin(QSpinBox(), 1, 100000, int(v("episodes", 10)), "")
        self.episode_time = _spin(QDoubleSpinBox(), 0.5, 3600, float(v("episode_time_s", 60)), " s")
        self.reset_time = _spin(QDoubleSpinBox(), 0, 3600, float(v("reset_time_s", 30)), " s")
        self.batch = _spin(QSpinBox(), 1, 1000, int(v("video_encoding_batch_size", 1)), " episode(s)")
        from app.cues import Speaker

        speaker = speaker if speaker is not None else Speaker()
        self.sound = QCheckBox("Say when a take starts, stops and the reset begins"
                               + ("" if speaker.available else " (no text-to-speech program found: "
                                  "install espeak-ng to hear the cues)"))
        self.sound.setChecked(read_bool(settings, PREFIX + "sound", False))
        self.codec = QComboBox()
        for value, label in CODECS:
            self.codec.addItem(label, value)
        self.codec.setCurrentIndex(max(0, self.codec.findData(str(v("vcodec", "libsvtav1")))))
        chosen = settings.value(PREFIX + "cameras", None)
        chosen = list(rig.cameras) if chosen in (None, "", []) else ([chosen] if isinstance(chosen, str) else chosen)
        self.cameras: dict[str, QCheckBox] = {}
        cam_row = QHBoxLayout()
        for name, cam in rig.cameras.items():
            box = QCheckBox(f"{name} ({cam.width}x{cam.height})")
            box.setChecked(name in chosen or not set(chosen) & set(rig.cameras))
            self.cameras[name] = box
            cam_row.addWidget(box)
        arms = ", ".join(f"{a.role}: {a.name}" for a in (rig.leader, rig.follower) if a is not None) or "none"

        form = QFormLayout()
        form.addRow("Dataset folder", root_row)
        form.addRow("", self.dataset_state)
        form.addRow("Repo id", self.repo_id)
        form.addRow("Task", self.task)
        form.addRow("Episodes", self.episodes)
        form.addRow("Episode time limit", self.episode_time)
        form.addRow("Reset time", self.reset_time)
        form.addRow("Frame rate", self.fps)
        form.addRow("Cameras", cam_row)
        form.addRow("Arms", QLabel(arms))
        form.addRow("Encode videos every", self.batch)
        form.addRow("Video codec", self.codec)
        form.addRow("", self.sound)
        self.error = QLabel()
        self.error.setObjectName("DialogError")
        self.error.setStyleSheet("color: #d33;")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start session")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self.result_config: SessionConfig | None = None
        self._update_state()

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Dataset folder", self.root.text())
        if d:
            self.root.setText(d)

    def _update_state(self) -> None:
        root = Path(self.root.text()).expanduser()
        exists = (root / "meta" / "info.json").exists()
        if hasattr(self, "codec"):
            self.codec.setEnabled(not exists)
            self.codec.setToolTip("An existing dataset keeps the codec it was recorded with." if exists else "")
        if exists:
            self.dataset_state.setText("Existing dataset: new episodes are appended to it.")
        elif root.exists() and any(root.iterdir()):
            self.dataset_state.setText("This folder is not empty and holds no dataset: choose another.")
        else:
            self.dataset_state.setText("A new dataset will be created here.")

    def config(self) -> SessionConfig:
        root = Path(self.root.text()).expanduser()
        return SessionConfig(root=root, repo_id=self.repo_id.text().strip(), task=self.task.text().strip(),
                             fps=self.fps.value(), episodes=self.episodes.value(),
                             episode_time_s=self.episode_time.value(), reset_time_s=self.reset_time.value(),
                             cameras=[n for n, b in self.cameras.items() if b.isChecked()],
                             resume=(root / "meta" / "info.json").exists(),
                             video_encoding_batch_size=self.batch.value(), sound=self.sound.isChecked(),
                             vcodec=self.codec.currentData())

    def _accept(self) -> None:
        cfg = self.config()
        problems = cfg.problems()
        if not cfg.cameras:
            problems.append("choose at least one camera")
        problem = root_problem(cfg.root, None)
        if problem:
            problems.append(problem)
        if problems:
            self.error.setText("\n".join(problems))
            return
        self.remember(cfg)
        self.result_config = cfg
        self.accept()

    def remember(self, cfg: SessionConfig) -> None:
        s = self.settings
        for key in ("repo_id", "task", "fps", "episodes", "episode_time_s", "reset_time_s",
                    "video_encoding_batch_size", "sound", "cameras", "vcodec"):
            s.setValue(PREFIX + key, getattr(cfg, key))
        s.setValue(PREFIX + "root", str(cfg.root))
        s.sync()


def _spin(box, lo, hi, value, suffix):
    box.setRange(lo, hi)
    box.setValue(value)
    box.setSuffix(suffix)
    return box
