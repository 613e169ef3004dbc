"""Replay button of the Datasets panel: plays the shown episode's actions on the follower of the
window's rig at the dataset's fps (app.rig.replay). Esc stops it where it is (torque stays on, the
arm holds the pose); teleoperation resumes when asked (Resume teleoperation) or when a take starts.
Refused while a take is recording (the studio model says what can run) and for an episode whose
joint count does not fit the rig (replay.py's one-line error shown here)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QPushButton, QWidget

from app.hub.errors import explain


class ReplayControl(QWidget):
    finished = Signal(object)   # the Replay, re-emitted on the GUI thread

    def __init__(self, ctx, browser, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx, self.browser = ctx, browser
        self.replay = None      # the running or last Replay
        self.paused = False     # teleoperation paused by a replay, not resumed yet
        self._episode = None
        self.button = QPushButton("Replay")
        self.button.setToolTip("Play this episode's actions on the follower at the dataset's fps (Esc stops)")
        self.button.clicked.connect(self.start)
        self.resume_button = QPushButton("Resume teleoperation")
        self.resume_button.clicked.connect(self.resume_teleop)
        self.resume_button.hide()
        self.label = QLabel("")
        self.label.setWordWrap(True)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        row.addWidget(self.resume_button)
        row.addWidget(self.label, 1)
        self.finished.connect(self._done, Qt.ConnectionType.QueuedConnection)
        self._progress = QTimer(self)
        self._progress.timeout.connect(self._show_progress)
        self._esc = _EscFilter(self.stop, self)
        if ctx.events is not None:
            ctx.events.event.connect(self._on_studio_event)

    def running(self) -> bool:
        return self.replay is not None and not self.replay.finished.is_set()

    def start(self) -> None:
        if self.running():
            return
        episode, b = self.browser.current, self.browser
        source = str(b.local_root) if b.local_root is not None else (b.hub[1] if b.hub else None)
        if episode is None or source is None:
            return self.say("Open a dataset and pick an episode to replay.")
        studio = self.ctx.studio
        if studio is not None and not studio.can("replay"):
            return self.say("Not while a take is recording: end the take (or the reset) first.")
        if self.ctx.rig.follower is None:
            return self.say("This rig has no follower arm to replay on.")
        from app.rig.replay import load_episode_actions

        self.button.setEnabled(False)
        self.say(f"Loading episode {episode}…")
        self.ctx.tasks.run(load_episode_actions, source, episode, channel="replay-load", on_done=self._play,
                           on_error=self._load_failed, label="replay")

    def _load_failed(self, exc: BaseException) -> None:
        self.button.setEnabled(True)
        self.say(f"Cannot replay: {explain(exc, 'the episode')}")

    def _play(self, ep) -> None:
        from app.rig.replay import replay_on_rig

        studio = self.ctx.studio
        if studio is not None and not studio.can("replay"):  # a take started while loading
            self.button.setEnabled(True)
            return self.say("Not while a take is recording: end the take (or the reset) first.")
        try:
            self.replay = replay_on_rig(self.ctx.rig, ep, on_done=self.finished.emit)
        except ValueError as exc:
            self.button.setEnabled(True)
            return self.say(f"Cannot replay: {exc}")
        self._episode, self.paused = ep.episode, True
        self.resume_button.hide()
        QApplication.instance().installEventFilter(self._esc)
        self._progress.start(100)
        self._show_progress()

    def stop(self) -> None:
        """Esc: stop where it is; the follower holds that pose, torque on."""
        if self.running():
            self.replay.stop()

    def _show_progress(self) -> None:
        r = self.replay
        if r is not None and not r.finished.is_set():
            self.say(f"Replaying episode {self._episode}: {r.index}/{r.total}  (Esc stops)")

    def _done(self, r) -> None:
        self._progress.stop()
        QApplication.instance().removeEventFilter(self._esc)
        self.button.setEnabled(True)
        self.resume_button.setVisible(self.paused)
        if r.error:
            self.say(f"Replay of episode {self._episode} failed after {r.index}/{r.total}: {r.error}")
        elif r.stopped:
            self.say(f"Replay of episode {self._episode} stopped at {r.index}/{r.total}; the arm holds its pose.")
        else:
            self.say(f"Replayed episode {self._episode}: {r.index}/{r.total}; the arm holds its pose.")

    def resume_teleop(self) -> None:
        if self.running():
            return
        self.paused = False
        self.resume_button.hide()
        self.ctx.rig.teleop.start()
        self.say("Teleoperation resumed.")

    def _on_studio_event(self, event: str, data) -> None:
        """A take starting needs the leader to drive the follower again."""
        if event == "state" and self.ctx.studio is not None and not self.ctx.studio.can("replay"):
            if self.running():
                self.replay.stop()
                self.replay.wait(2)
            if self.paused:
                self.resume_teleop()

    def shutdown(self) -> None:
        if self.running():
            self.replay.stop()
            self.replay.wait(2)
        QApplication.instance().removeEventFilter(self._esc)

    def say(self, text: str) -> None:
        self.label.setText(text)


class _EscFilter(QObject):
    """While a replay runs, Esc anywhere in the studio stops it (and nothing else: the Recording
    panel's Esc shortcut does not end a session meanwhile)."""

    def __init__(self, on_esc, parent: QObject):
        super().__init__(parent)
        self.on_esc = on_esc

    def eventFilter(self, obj, event) -> bool:
        if event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) and event.key() == Qt.Key.Key_Escape:
            event.accept()
            self.on_esc()  # stopping twice is harmless
            return True
        return False
