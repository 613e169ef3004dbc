"""Push to Hub: the progress panel (bytes, files, speed, ETA, cancel), the dialog that asks where to push
(repo id, visibility: the owner's default, private or public; branch), the end-of-session prompt, and the
File menu action "Push to Hub…". A push refused for lack of write access to an existing repo offers
"Open a pull request" instead.

The push itself runs on its own thread (`app.hub.push.Push`); the panel only polls its progress five
times a second. The token is never asked for here: huggingface_hub finds it (`hf auth login` or
HF_TOKEN); a missing one gets a message telling how to log in.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.hub.push import Push, PushError, PushOptions, PushProgress
from widgets.tasks import find_runner
from widgets.units import fmt_bytes, fmt_duration

log = logging.getLogger(__name__)
PHASES = {"waiting": "Waiting", "checking token": "Checking the token", "creating repo": "Creating the repo",
          "preparing": "Preparing", "hashing": "Hashing files", "uploading": "Uploading",
          "committing": "Committing", "tagging": "Tagging v3.0", "done": "Pushed", "failed": "Failed",
          "cancelled": "Cancelled"}


VISIBILITIES = (("Owner's default (the organisation decides)", "default"), ("Private", "private"),
                ("Public", "public"))


class PushPanel(QWidget):
    """Shows one push: start(options) or attach(push); Cancel stops it, files already sent stay sent."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("PushPanel")
        self.push: Push | None = None
        self.title = QLabel("<b>Push to Hub</b>")
        self.phase = QLabel("Waiting")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        grid = QGridLayout()
        self.values: dict[str, QLabel] = {}
        for i, name in enumerate(("Files", "Sent", "Speed", "Time left", "Unchanged", "Already on the Hub")):
            value = QLabel("—")
            value.setObjectName(f"push_{name.lower().replace(' ', '_')}")
            self.values[name] = value
            grid.addWidget(QLabel(name + ":"), i // 2, (i % 2) * 2)
            grid.addWidget(value, i // 2, (i % 2) * 2 + 1)
        self.notice = QLabel("")           # e.g. "Xet storage could not be reached...; sending over LFS"
        self.notice.setObjectName("push_notice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.open_button = QPushButton("Open on the Hub")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open)
        self.pr_button = QPushButton("Open a pull request instead")
        self.pr_button.setToolTip("Your token cannot write to this dataset: propose your files to its "
                                  "maintainers as a Hub pull request")
        self.pr_button.hide()
        self.pr_button.clicked.connect(self.open_pull_request)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.pr_button)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        for w in (self.title, self.phase, self.bar):
            layout.addWidget(w)
        layout.addLayout(grid)
        layout.addWidget(self.notice)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)

    def start(self, options: PushOptions) -> Push:
        return self.attach(Push(options), start=True)

    def attach(self, push: Push, start: bool = False) -> Push:
        self.push = push
        o = push.options
        self.title.setText(f"<b>Push to Hub</b> — {o.repo_id}" + (" (pull request)" if o.create_pr else
                           {True: " (private)", False: " (public)"}.get(o.private, "")))
        self.cancel_button.setEnabled(True)
        self.open_button.setEnabled(False)
        self.pr_button.hide()
        if start:
            tasks = find_runner(self)
            if tasks is not None:  # the window's runner: tracked, cancelled and awaited when it closes
                tasks.run(_push_quietly, push, channel="push", label=f"Push to {o.repo_id}", on_cancel=push.cancel)
            else:
                push.start()
        self._timer.start(200)
        self.refresh()
        return push

    def cancel(self) -> None:
        if self.push is not None and not self.push.done.is_set():
            self.push.cancel()
            self.phase.setText("Cancelling…")
            self.cancel_button.setEnabled(False)

    def show_progress(self, p: PushProgress) -> None:
        self.phase.setText(PHASES.get(p.phase, p.phase))
        self.phase.setProperty("state", p.phase)
        if p.phase in ("uploading", "committing", "tagging", "done"):
            frac = p.bytes_done / p.bytes_total if p.bytes_total else (1.0 if p.phase != "uploading" else 0.0)
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * min(1.0, frac)))
            self.bar.setFormat(f"{100 * frac:.0f} %")
        elif p.finished:
            self.bar.setRange(0, 1000)
        else:
            self.bar.setRange(0, 0)          # busy: nothing countable yet
        v = self.values
        v["Files"].setText(f"{p.files_done} / {p.files_total}")
        v["Sent"].setText(f"{fmt_bytes(p.bytes_done) or '0 B'} of {fmt_bytes(p.bytes_total)}")
        v["Speed"].setText(f"{fmt_bytes(p.speed)}/s" if p.speed else "—")
        left = fmt_duration(p.eta, missing="—") if p.phase == "uploading" else ("0 s" if p.phase == "done" else "—")
        v["Time left"].setText(left)
        v["Unchanged"].setText(str(p.unchanged))
        v["Already on the Hub"].setText(str(p.resumed))
        self.notice.setText(p.notice)
        self.notice.setVisible(bool(p.notice))
        self.message.setText(p.message)

    def refresh(self) -> None:
        if self.push is None:
            return
        p = self.push.progress
        self.show_progress(p)
        if p.finished:
            self._timer.stop()
            self.cancel_button.setEnabled(False)
            self.open_button.setEnabled(p.phase == "done")
            self.open_button.setText("Open the pull request" if p.phase == "done" and self.push.result
                                     and self.push.result.pr_url else "Open on the Hub")
            self.pr_button.setVisible(p.phase == "failed" and self.push.can_open_pr)

    def open_pull_request(self) -> Push | None:
        """Same dataset and repo, as a pull request (after a push refused for lack of write access)."""
        if self.push is None or not self.push.done.is_set():
            return None
        o = self.push.options
        return self.start(PushOptions(o.root, o.repo_id, branch="main", tags=o.tags, endpoint=o.endpoint,
                                      token=o.token, workers=o.workers, create_pr=True))

    def _open(self) -> None:
        if self.push is not None and self.push.result is not None:
            QDesktopServices.openUrl(QUrl(self.push.result.url))

    def shutdown(self) -> None:
        self.cancel()


def _push_quietly(push: Push) -> None:
    try:
        push.run()
    except PushError:
        pass  # already in push.error and its progress, which the panel shows


class PushDialog(QDialog):
    """Where to push (repo id, private, branch), then the progress panel in the same window."""

    def __init__(self, root: Path, repo_id: str = "", settings: QSettings | None = None,
                 parent: QWidget | None = None, endpoint: str | None = None):
        super().__init__(parent)
        self.setWindowTitle("Push to Hub")
        self.root, self.settings, self.endpoint = Path(root), settings, endpoint
        self.repo_edit = QLineEdit(repo_id or (settings.value("push/repo_id", "") if settings else ""))
        self.repo_edit.setPlaceholderText("user/dataset-name")
        self.visibility = QComboBox()      # what a new repo becomes; an existing repo keeps its own
        for text, value in VISIBILITIES:
            self.visibility.addItem(text, value)
        old = "private" if settings and settings.value("push/private", "false") == "true" else "default"
        saved = settings.value("push/visibility", old) if settings else "default"     # push/private: before 3 choices
        values = [v for _, v in VISIBILITIES]
        self.visibility.setCurrentIndex(values.index(saved) if saved in values else 0)
        self.branch_edit = QLineEdit("main")
        form = QFormLayout()
        form.addRow("Dataset", QLabel(str(self.root)))
        form.addRow("Repo id", self.repo_edit)
        form.addRow("New repo", self.visibility)
        form.addRow("Branch", self.branch_edit)
        hint = QLabel("Uses the token from <code>hf auth login</code> (or HF_TOKEN). Files already on the "
                      "Hub are not sent again; an interrupted push resumes where it stopped.")
        hint.setWordWrap(True)
        self.panel = PushPanel(self)
        self.panel.hide()
        self.buttons = QDialogButtonBox()
        self.push_button = self.buttons.addButton("Push", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.push_button.clicked.connect(self.start_push)
        self.close_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.panel)
        layout.addWidget(self.buttons)
        self.resize(520, 200)

    def start_push(self) -> Push | None:
        repo_id = self.repo_edit.text().strip()
        if repo_id.count("/") != 1 or repo_id.startswith("/") or repo_id.endswith("/"):
            QMessageBox.warning(self, "Push to Hub", "The repo id must look like user/dataset-name.")
            return None
        if self.settings is not None:    # the repo id and visibility only; never a token
            self.settings.setValue("push/repo_id", repo_id)
            self.settings.setValue("push/visibility", self.visibility.currentData())
        for w in (self.repo_edit, self.visibility, self.branch_edit, self.push_button):
            w.setEnabled(False)
        self.panel.show()
        self.resize(560, 420)
        private = {"private": True, "public": False}.get(self.visibility.currentData())
        return self.panel.start(PushOptions(self.root, repo_id, private=private,
                                            branch=self.branch_edit.text().strip() or "main",
                                            endpoint=self.endpoint))

    def reject(self) -> None:
        push = self.panel.push
        if push is not None and not push.done.is_set():
            answer = QMessageBox.question(self, "Push to Hub", "Stop the push? Files already sent stay on the "
                                          "Hub; pushing again later resumes.")
            if answer != QMessageBox.StandardButton.Yes:
                return
            self.panel.cancel()
        super().reject()


def offer_push(parent: QWidget, root: Path, repo_id: str, episodes: int,
               settings: QSettings | None = None) -> QMessageBox:
    """End-of-session prompt, once every take of the session is committed: `episodes` is what the
    dataset holds now. Not modal, owned by the window (closed with it); Yes opens the push dialog."""
    box = QMessageBox(QMessageBox.Icon.Question, "Session done",
                      f"{episodes} episode(s) are in {root}.\n\n"
                      f"Push the dataset to the Hugging Face Hub as {repo_id} now?",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setObjectName("PushOffer")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def answered(button) -> None:
        if box.standardButton(button) == QMessageBox.StandardButton.Yes:
            dialog = PushDialog(root, repo_id, settings, parent)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.show()
            parent.push_dialog = dialog

    box.buttonClicked.connect(answered)
    box.destroyed.connect(lambda *_: setattr(parent, "push_offer", None)
                          if getattr(parent, "push_offer", None) is box else None)
    box.setWindowModality(Qt.WindowModality.NonModal)  # the operator may go on recording
    box.show()
    return box


def _offer_when_committed(window, event: str, result) -> None:
    """Studio event "session_committed": the session ended and all its takes are committed."""
    if event == "session_committed" and result.kept and window.isVisible():
        window.push_offer = offer_push(window, result.root, result.repo_id, result.committed, window.settings)


def open_push_dialog(window) -> PushDialog | None:
    studio = window.ctx.studio
    cfg = studio.config if studio is not None else None
    root = cfg.root if cfg is not None else None
    if root is None:
        chosen = QFileDialog.getExistingDirectory(window, "Dataset to push")
        if not chosen:
            return None
        root = Path(chosen)
    if not (Path(root) / "meta" / "info.json").exists():
        QMessageBox.warning(window, "Push to Hub", f"{root} is not a dataset (meta/info.json is missing).")
        return None
    dialog = PushDialog(Path(root), cfg.repo_id if cfg is not None else "", window.settings, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def install(window, file_menu, before: QAction | None = None) -> QAction:
    """Adds File > Push to Hub… and the end-of-session push offer to the main window."""
    action = QAction("Push to &Hub…", window)
    action.setToolTip("Upload the dataset to the Hugging Face Hub (card, v3.0 tag, resumable)")
    action.triggered.connect(lambda: open_push_dialog(window))
    file_menu.insertAction(before, action) if before is not None else file_menu.addAction(action)
    window.push_action = action
    window.push_offer = None
    events = getattr(window.ctx, "events", None)
    if events is not None:
        events.event.connect(lambda event, data: _offer_when_committed(window, event, data))
    return action
