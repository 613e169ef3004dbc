"""The Recording dock: big session controls with their keys, the clock, what to do next, and the
health of the last take.

A view of app.studio.Studio: it sends the model commands and redraws on the model's events (hopped
to the GUI thread by widgets.context.StudioEvents); it holds no recording logic of its own.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.cues import Speaker
from app.recording.config import SessionConfig
from app.recording.session import State
from app.recording.spool import Spool
from app.studio import StudioError

log = logging.getLogger(__name__)

# action -> (button text, default key); keys are remappable under [recording] keys/<action> in the settings
ACTIONS = {
    "start": ("Start", "Space"),
    "next": ("Next", "Right"),
    "rerecord": ("Re-record", "Left"),
    "exit_early": ("Exit early", "Ctrl+E"),
    "skip_reset": ("Skip reset", "Ctrl+R"),
    "end": ("End session", "Esc"),
}
NEW_SESSION_KEY = "Ctrl+N"
COLORS = {None: "#888", State.IDLE: "#2a7", State.RECORDING: "#d22", State.RESET: "#d80", State.DONE: "#2a2"}
CUES = {State.RECORDING: "Recording episode {n}", State.RESET: "Reset", State.DONE: "Session done"}


class RecordingPanel(QWidget):
    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx, self.studio = ctx, ctx.studio
        self.speaker = Speaker()
        self._trashed: str | None = None
        self._result = None  # the last "session committed" report
        self.keys = {a: str(ctx.settings.value(f"recording/keys/{a}", k)) for a, (_, k) in ACTIONS.items()}

        self.dataset_label = QLabel("No dataset")
        self.dataset_label.setObjectName("RecordingDataset")
        self.dataset_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.new_button = QPushButton(f"New session…  [{NEW_SESSION_KEY}]")
        self.new_button.setObjectName("rec_new")
        self.new_button.clicked.connect(self.new_session)
        self.new_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.state_label = QLabel()
        self.state_label.setObjectName("RecordingState")
        self.hint_label = QLabel()
        self.hint_label.setObjectName("RecordingHint")
        self.hint_label.setWordWrap(True)
        self.episode_label = QLabel("")
        self.time_label = QLabel("")
        for lab, size in ((self.state_label, 20), (self.episode_label, 15), (self.time_label, 15)):
            f = lab.font()
            f.setPointSize(size)
            f.setBold(lab is self.state_label)
            lab.setFont(f)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setRange(0, 1000)
        self.task_edit = QLineEdit()
        self.task_edit.setPlaceholderText("task of the next episode")
        self.task_edit.editingFinished.connect(self._apply_task)

        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for i, (action, (text, _)) in enumerate(ACTIONS.items()):
            b = QPushButton(f"{text}  [{_key_text(self.keys[action])}]")
            b.setObjectName(f"rec_{action}")
            b.setMinimumHeight(38)
            f = b.font()
            f.setPointSize(12)
            b.setFont(f)
            b.clicked.connect(lambda _=False, a=action: self.command(a))
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space is Start, never "press the focused button"
            grid.addWidget(b, i // 2, i % 2)
            self.buttons[action] = b
        self.health_label = QLabel("")
        self.health_label.setWordWrap(True)
        self.warning_label = QLabel("")
        self.warning_label.setObjectName("RecordingWarning")
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
        for b in (self.trim_button, self.trash_button, self.undo_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        top = QHBoxLayout()  # the dataset's name and New session stay at the top, always visible
        top.addWidget(self.dataset_label, 1)
        top.addWidget(self.new_button)
        status = QHBoxLayout()
        status.addWidget(self.state_label, 1)
        status.addWidget(self.episode_label)
        status.addSpacing(12)
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
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(status)
        lay.addWidget(self.hint_label)
        lay.addWidget(self.progress)
        lay.addLayout(task_row)
        lay.addLayout(grid)
        lay.addWidget(self.health_label)
        lay.addWidget(self.warning_label)
        lay.addLayout(take_row)
        lay.addStretch(1)

        self.shortcuts: dict[str, QShortcut] = {}
        self._install_shortcuts()
        ctx.events.event.connect(self._on_event)
        self._clock = QTimer(self)  # the time label only; the model's own clock is StudioEvents'
        self._clock.timeout.connect(self._update_clock)
        self._clock.start(100)
        self.refresh()

    # -- set-up -------------------------------------------------------------------------------
    def _install_shortcuts(self) -> None:
        host = self.ctx.window if self.ctx.window is not None else self
        context = (Qt.ShortcutContext.WindowShortcut if self.ctx.window is not None
                   else Qt.ShortcutContext.WidgetWithChildrenShortcut)
        for action in [*ACTIONS, "new"]:
            key = self.keys.get(action, NEW_SESSION_KEY)
            sc = QShortcut(QKeySequence(key), host)
            sc.setContext(context)
            sc.activated.connect(self.new_session if action == "new" else (lambda a=action: self.command(a)))
            self.shortcuts[action] = sc
            if action in self.buttons:
                self.buttons[action].setToolTip(f"Key: {_key_text(key)} (remap under [recording] keys/{action} "
                                                "in the settings file)")

    def key_list(self) -> list[tuple[str, str]]:
        """(key, what it does) for Help > Keyboard shortcuts."""
        return [(_key_text(NEW_SESSION_KEY), "New session…")] + [
            (_key_text(self.keys[a]), text) for a, (text, _) in ACTIONS.items()]

    def new_session(self) -> None:
        from widgets.session_dialog import SessionDialog

        if not self.studio.can("new_session"):
            QMessageBox.information(self, "Session running", "End the current session first (Esc).")
            return
        dlg = SessionDialog(self.ctx.rig, self.ctx.settings, self, speaker=self.speaker)
        if dlg.exec() and dlg.result_config is not None:
            self.open_session(dlg.result_config)

    def open_session(self, cfg: SessionConfig, video=None) -> bool:
        """Open the dataset, recover what a crash left, and get ready to record. False on error."""
        self._trashed, self._result = None, None
        try:
            report = self.studio.open_session(cfg, decide=self._ask_recover, video=video)
        except StudioError as exc:  # a clear message, never a traceback
            log.warning("could not open %s: %s", cfg.root, exc)
            self.warning_label.setText(f"⚠ Cannot record into {cfg.root}: {exc}")
            self.refresh()
            if QApplication.instance() is not None and self.isVisible():
                QMessageBox.warning(self, "Cannot record into this dataset", str(exc))
            return False
        self.task_edit.setText(cfg.task)
        self.health_label.setText("Recovered: " + "; ".join(report.lines()) if not report.empty else "")
        self.warning_label.setText("")
        self.refresh()
        self.setFocus()  # keys go to the session controls, not to the task field
        return True

    def _ask_recover(self, spool: Spool) -> bool:
        if not self.isVisible() or self.ctx.settings.value("recording/auto_recover", "") == "true":
            return True
        box = QMessageBox(QMessageBox.Icon.Question, "Interrupted take found",
                          f"A take of {spool.recorded_length / spool.fps:.1f} s ('{spool.task}') was interrupted "
                          "while it was being recorded.", parent=self)
        keep = box.addButton("Keep it (up to its last frame)", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard it", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(keep)
        box.exec()
        return box.clickedButton() is keep

    # -- commands -----------------------------------------------------------------------------
    def command(self, action: str) -> None:
        if self.studio.session is None and action in ("start", "next"):
            self.new_session()
            return
        self.studio.command(action)
        self.refresh()

    def _apply_task(self) -> None:
        s = self.studio.session
        if s is not None and self.task_edit.text().strip() and self.task_edit.text() != s.task:
            self.studio.set_task(self.task_edit.text())

    def trim_last(self) -> None:
        try:
            self.studio.trim_held(self.head.value(), self.tail.value())
            self.health_label.setText(f"Last take trimmed: {self.head.value():g} s cut from its head, "
                                      f"{self.tail.value():g} s from its tail.")
        except StudioError as exc:
            QMessageBox.warning(self, "Cannot trim", str(exc))
        self.refresh()
        self.setFocus()  # the arrow keys are Next / Re-record again, not the spin boxes' cursor

    def trash_last(self) -> None:
        self._trashed = self.studio.trash_held() or self._trashed
        self.refresh()

    def undo_trash(self) -> None:
        if self._trashed:
            self.studio.restore_from_trash(self._trashed)
            self._trashed = None
            self.refresh()

    # -- view ---------------------------------------------------------------------------------
    def _on_event(self, event: str, data) -> None:
        s, cfg = self.studio.session, self.studio.config
        if event == "state" and s is not None and cfg is not None and cfg.sound and data in CUES:
            self.speaker.say(CUES[data].format(n=s.episode_number))
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
        elif event == "session_committed":
            self._result = data
        self.refresh()

    def _update_clock(self) -> None:
        s = self.studio.session
        limit = 0
        if s is not None:
            limit = {State.RECORDING: s.config.episode_time_s, State.RESET: s.config.reset_time_s}.get(s.state, 0)
        if limit:
            self.time_label.setText(f"{_mmss(s.elapsed())} / -{_mmss(s.remaining())}")
            self.progress.setValue(int(1000 * s.elapsed() / limit))
        else:
            self.time_label.setText("")
            self.progress.setValue(0)
        self.time_label.setVisible(bool(limit))

    def headline(self) -> tuple[str, str]:
        """(state, what to do next) in the teleoperator's words."""
        s, k = self.studio.session, {a: _key_text(v) for a, v in self.keys.items()}
        if s is None:
            return "No session", f"Press New session… ({_key_text(NEW_SESSION_KEY)}) to choose a dataset and a task."
        n, total = s.episode_number, s.config.episodes
        if s.state == State.IDLE:
            return "Ready to record", f"Press Start ({k['start']}) to record episode {n} of {total}."
        if s.state == State.RECORDING:
            return "● RECORDING", (f"Next ({k['next']}) keeps the take · Re-record ({k['rerecord']}) throws it "
                                   f"away · End session ({k['end']}) keeps it and stops.")
        if s.state == State.RESET:
            return "Reset the scene", (f"Episode {n} starts when the reset time is up; Next ({k['next']}) starts it "
                                       f"now, Re-record ({k['rerecord']}) redoes the last one.")
        r = self._result
        if r is None:
            return "Session done", f"{s.kept} episode(s) kept; encoding them into the dataset…"
        failed = f" {r.failed} take(s) failed to encode (see the Encoding queue)." if r.failed else ""
        return "Session done", (f"{r.committed} episode(s) in the dataset.{failed} New session… "
                                f"({_key_text(NEW_SESSION_KEY)}) records more.")

    def refresh(self) -> None:
        st, cfg = self.studio.state, self.studio.config
        text, hint = self.headline()
        self.state_label.setText(text)
        self.state_label.setStyleSheet(f"color: {COLORS.get(st, '#888')};")
        self.hint_label.setText(hint)
        self.dataset_label.setText(f"<b>{cfg.repo_id}</b> — {cfg.root}" if cfg is not None else "No dataset")
        self.dataset_label.setToolTip(str(cfg.root) if cfg is not None else "")
        for action, b in self.buttons.items():
            b.setEnabled(self.studio.can(action) or (action == "start" and self.studio.session is None))
        self.new_button.setEnabled(self.studio.can("new_session"))
        held = self.studio.can("trim")
        for w in (self.trim_button, self.trash_button, self.head, self.tail):
            w.setEnabled(held)
        self.undo_button.setEnabled(bool(self._trashed) and st not in (None, State.DONE))
        s = self.studio.session
        self.episode_label.setText(f"Episode {s.episode_number} of {s.config.episodes}" if s is not None else "")
        self.task_edit.setEnabled(st not in (None, State.DONE))
        for label in (self.health_label, self.warning_label, self.episode_label):  # no empty strips
            label.setVisible(bool(label.text()))
        self._update_clock()


def _key_text(key: str) -> str:
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText) or key


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
