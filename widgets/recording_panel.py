"""The Recording dock: big session controls, hotkeys, the clock, and the health of the last take.

It observes app.recording.session.Session (callbacks arrive on rig threads and are hopped to the GUI
thread through a queued signal) and sends it commands; it holds no recording logic of its own.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QApplication, QCheckBox, QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit,
                               QMessageBox, QProgressBar, QPushButton, QVBoxLayout, QWidget)

from app.recording.config import SessionConfig
from app.recording.session import Session, State
from app.recording.spool import Spool
from widgets.settings import read_bool

log = logging.getLogger(__name__)

# action -> (button text, default key); keys are remappable under [recording] keys/<action> in the settings
ACTIONS = {
    "start": ("Start", "Space"),
    "next": ("Next  →", "Right"),
    "rerecord": ("Re-record  ←", "Left"),
    "exit_early": ("Exit early", "Ctrl+E"),
    "skip_reset": ("Skip reset", "Ctrl+R"),
    "end": ("End session  (Esc)", "Esc"),
}
STATE_TEXT = {State.IDLE: ("Ready", "#666"), State.RECORDING: ("● RECORDING", "#d22"),
              State.RESET: ("Reset the scene", "#d80"), State.DONE: ("Session done", "#2a2")}


class _Relay(QObject):
    event = Signal(str, object)


class RecordingPanel(QWidget):
    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.session: Session | None = None
        self.setup = None
        self._trashed: str | None = None
        self._relay = _Relay(self)
        self._relay.event.connect(self._on_event, Qt.ConnectionType.QueuedConnection)

        self.dataset_label = QLabel("No session: press New session to choose a dataset and a task.")
        self.dataset_label.setWordWrap(True)
        self.new_button = QPushButton("New session…")
        self.new_button.clicked.connect(self.new_session)
        self.state_label = QLabel("Ready")
        self.state_label.setObjectName("RecordingState")
        self.episode_label = QLabel("")
        self.time_label = QLabel("")
        for lab, size in ((self.state_label, 22), (self.episode_label, 16), (self.time_label, 16)):
            f = lab.font()
            f.setPointSize(size)
            f.setBold(lab is self.state_label)
            lab.setFont(f)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.task_edit = QLineEdit()
        self.task_edit.setPlaceholderText("task of the next episode")
        self.task_edit.editingFinished.connect(self._apply_task)

        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for i, (action, (text, _)) in enumerate(ACTIONS.items()):
            b = QPushButton(text)
            b.setObjectName(f"rec_{action}")
            b.setMinimumHeight(48)
            f = b.font()
            f.setPointSize(13)
            b.setFont(f)
            b.clicked.connect(lambda _=False, a=action: self.command(a))
            grid.addWidget(b, i // 2, i % 2)
            self.buttons[action] = b
        self.health_label = QLabel("")
        self.health_label.setWordWrap(True)
        self.warning_label = QLabel("")
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet("color: #d33; font-weight: bold;")
        self.head = _spin()
        self.tail = _spin()
        self.trim_button = QPushButton("Trim last take")
        self.trim_button.clicked.connect(self.trim_last)
        self.trash_button = QPushButton("Trash last take")
        self.trash_button.clicked.connect(self.trash_last)
        self.undo_button = QPushButton("Undo trash")
        self.undo_button.clicked.connect(self.undo_trash)
        self.sound = QCheckBox("Sound cue")
        self.sound.setChecked(read_bool(ctx.settings, "session/sound", False))

        top = QHBoxLayout()
        top.addWidget(self.dataset_label, 1)
        top.addWidget(self.new_button)
        status = QHBoxLayout()
        status.addWidget(self.state_label, 1)
        status.addWidget(self.episode_label)
        status.addSpacing(16)
        status.addWidget(self.time_label)
        task_row = QHBoxLayout()
        task_row.addWidget(QLabel("Task:"))
        task_row.addWidget(self.task_edit, 1)
        take_row = QGridLayout()  # two short rows: the dock stays narrow enough beside the cameras
        for col, w in enumerate((QLabel("cut head"), self.head, QLabel("tail"), self.tail)):
            take_row.addWidget(w, 0, col)
        take_row.addWidget(self.trim_button, 0, 4)
        take_row.addWidget(self.trash_button, 1, 0, 1, 2)
        take_row.addWidget(self.undo_button, 1, 2, 1, 2)
        take_row.addWidget(self.sound, 1, 4)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(status)
        lay.addWidget(self.progress)
        lay.addLayout(task_row)
        lay.addLayout(grid)
        lay.addWidget(self.health_label)
        lay.addWidget(self.warning_label)
        lay.addLayout(take_row)
        lay.addStretch(1)

        self.shortcuts: dict[str, QShortcut] = {}
        self._install_shortcuts()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._timer.start(100)
        self.refresh()

    # -- set-up -------------------------------------------------------------------------------
    def _install_shortcuts(self) -> None:
        host = self.ctx.window if self.ctx.window is not None else self
        for action, (_, default) in ACTIONS.items():
            key = str(self.ctx.settings.value(f"recording/keys/{action}", default))
            sc = QShortcut(QKeySequence(key), host)
            sc.setContext(Qt.ShortcutContext.WindowShortcut if self.ctx.window is not None
                          else Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(lambda a=action: self.command(a))
            self.shortcuts[action] = sc
            self.buttons[action].setToolTip(f"Key: {QKeySequence(key).toString()} (remap under [recording] "
                                            f"keys/{action} in the settings file)")

    def new_session(self) -> None:
        from widgets.session_dialog import SessionDialog

        if self.session is not None and self.session.state in (State.RECORDING, State.RESET):
            QMessageBox.information(self, "Session running", "End the current session first (Esc).")
            return
        dlg = SessionDialog(self.ctx.rig, self.ctx.settings, self)
        if dlg.exec() and dlg.result_config is not None:
            self.open_session(dlg.result_config)

    def open_session(self, cfg: SessionConfig) -> bool:
        """Open the dataset, recover what a crash left, and get ready to record. False on error."""
        from app.recording.setup import open_recording

        self.close_session()
        try:
            self.setup = open_recording(self.ctx.rig, cfg, decide=self._ask_recover)
        except Exception as exc:  # a clear message, never a traceback
            log.warning("could not open %s: %s", cfg.root, exc)
            QMessageBox.warning(self, "Cannot record into this dataset", str(exc))
            return False
        self.session = self.setup.session
        self.session.add_observer(self._relay.event.emit)
        shared = self.ctx.shared
        shared["session"], shared["dataset_root"] = self.session, cfg.root
        shared["dataset_writer"], shared["encode_queue"] = self.setup.writer, self.setup.queue
        from app.encoding.workers import EncodeWorkers

        old = shared.get("encode_workers")
        if old is not None and old.queue is not self.setup.queue:
            old.stop()
        workers = EncodeWorkers(self.setup.queue)
        workers.start()
        shared["encode_workers"] = workers
        self.task_edit.setText(cfg.task)
        self.sound.setChecked(cfg.sound)
        self.dataset_label.setText(f"<b>{cfg.repo_id}</b> — {cfg.root}"
                                   + ("" if self.setup.recovery.empty else
                                      "<br>Recovered: " + "; ".join(self.setup.recovery.lines())))
        self.refresh()
        return True

    def _ask_recover(self, spool: Spool) -> bool:
        if QApplication.instance() is None or self.ctx.settings.value("recording/auto_recover", "") == "true":
            return True
        answer = QMessageBox.question(
            self, "Interrupted take found",
            f"A take of {spool.recorded_length / spool.fps:.1f} s ('{spool.task}') was interrupted while it was "
            "being recorded. Keep it up to its last complete frame, or discard it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Discard, QMessageBox.StandardButton.Yes)
        return answer == QMessageBox.StandardButton.Yes

    def close_session(self) -> None:
        if self.session is not None:
            self.session.remove_observer(self._relay.event.emit)
            self.session.close()
            self.session = None

    # -- commands -----------------------------------------------------------------------------
    def command(self, action: str) -> None:
        s = self.session
        if s is None:
            if action in ("start", "next"):
                self.new_session()
            return
        if action == "start" and s.state == State.DONE:
            return
        getattr(s, action)()
        self.refresh()

    def _apply_task(self) -> None:
        if self.session is not None and self.task_edit.text().strip() and self.task_edit.text() != self.session.task:
            self.session.set_task(self.task_edit.text())

    def trim_last(self) -> None:
        if self.session is None:
            return
        try:
            self.session.trim_held(self.head.value(), self.tail.value())
        except Exception as exc:
            QMessageBox.warning(self, "Cannot trim", str(exc))

    def trash_last(self) -> None:
        if self.session is not None:
            self._trashed = self.session.trash_held()
            self.refresh()

    def undo_trash(self) -> None:
        if self.session is not None and self._trashed:
            self.session.restore_from_trash(self._trashed)
            self._trashed = None
            self.refresh()

    # -- view ---------------------------------------------------------------------------------
    def _on_event(self, event: str, data) -> None:
        s = self.session
        if s is None:
            return
        if event == "state" and self.sound.isChecked() and data in (State.RECORDING, State.RESET, State.DONE):
            QApplication.beep()
        if event in ("take_closed", "take_submitted") and getattr(data, "health", None) is not None:
            h = data.health
            self.health_label.setText(f"Episode {data.number}: {h.summary()}")
            self.warning_label.setText(f"⚠ {h.warning}" if h.warning else "")
        elif event == "take_discarded":
            self.health_label.setText(f"Episode {data.number} discarded: it will be recorded again.")
            self.warning_label.setText("")
        elif event in ("disk_low", "disk_full"):
            self.warning_label.setText(f"⚠ Disk: {data.message()}")
        elif event == "error":
            self.warning_label.setText(f"⚠ {data}")
        self.refresh()

    def _tick(self) -> None:
        if self.session is not None:
            self.session.poll()
            self._update_clock()

    def _update_clock(self) -> None:
        s = self.session
        limit = {State.RECORDING: s.config.episode_time_s, State.RESET: s.config.reset_time_s}.get(s.state, 0)
        if limit:
            self.time_label.setText(f"{_mmss(s.elapsed())} / -{_mmss(s.remaining())}")
            self.progress.setValue(int(1000 * s.elapsed() / limit))
        else:
            self.time_label.setText("")
            self.progress.setValue(0)

    def refresh(self) -> None:
        s = self.session
        state = s.state if s is not None else State.IDLE
        text, color = STATE_TEXT[state]
        self.state_label.setText(text)
        self.state_label.setStyleSheet(f"color: {color};")
        self.progress.setRange(0, 1000)
        enabled = {
            "start": s is None or state == State.IDLE,
            "next": s is not None and state in (State.RECORDING, State.RESET, State.IDLE),
            "rerecord": s is not None and (state == State.RECORDING or (state == State.RESET and s.held_take() is not None)),
            "exit_early": state == State.RECORDING,
            "skip_reset": state == State.RESET,
            "end": s is not None and state != State.DONE,
        }
        for action, b in self.buttons.items():
            b.setEnabled(enabled[action])
        held = s is not None and state == State.RESET and s.held_take() is not None
        for w in (self.trim_button, self.trash_button, self.head, self.tail):
            w.setEnabled(held)
        self.undo_button.setEnabled(bool(self._trashed) and s is not None and state != State.DONE)
        if s is not None:
            self.episode_label.setText(f"Episode {s.episode_number} of {s.config.episodes}")
            self.task_edit.setEnabled(state != State.DONE)
            self._update_clock()


def _spin() -> QDoubleSpinBox:
    b = QDoubleSpinBox()
    b.setRange(0, 600)
    b.setSingleStep(0.5)
    b.setSuffix(" s")
    return b


def _mmss(t: float) -> str:
    return f"{int(t) // 60:02d}:{int(t) % 60:02d}"


def create_panel(ctx) -> QWidget:
    return RecordingPanel(ctx)
