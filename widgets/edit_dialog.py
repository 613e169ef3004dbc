"""Edit dialog of the Datasets panel: pick an edit, its output folder, run it with progress and
Cancel. The edit runs on a worker thread (app.edit: stream copy, nothing re-encoded); progress and
the outcome come back through queued signals. A cancelled or failed edit leaves the source as it
was and no output folder (app/edit/build.py)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.edit.ops import make_plans, pairs
from widgets.tasks import TaskRunner, find_runner

OPERATIONS = (("delete-episodes", "Delete episodes"), ("keep-accepted", "Keep the accepted episodes"),
              ("split", "Split into parts"), ("modify-tasks", "Change task strings"),
              ("remove-feature", "Remove a feature"), ("merge", "Merge with other datasets"))


class EditRunner(QObject):
    """Runs one edit on the window's task runner (or the dialog's own); every signal arrives on the GUI thread."""
    progress = Signal(int, int, str)
    finished = Signal(object)           # list of build Results
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.cancel_event = threading.Event()
        self.tasks = find_runner(parent) or TaskRunner(workers=1, parent=self)
        self.task = None

    def start(self, job: Callable) -> None:
        self.cancel_event.clear()
        self.task = self.tasks.run(self._run, job, channel="edit", label="Dataset edit", on_cancel=self.cancel)

    def _run(self, job) -> None:
        from app.edit.build import EditCancelled
        from app.hub.errors import explain

        try:
            self.finished.emit(job(self.progress.emit, self.cancel_event.is_set))
        except EditCancelled:
            self.failed.emit("Cancelled. The dataset is unchanged and no output was left.")
        except Exception as exc:  # shown in the dialog, one line
            self.failed.emit(explain(exc, "the edit"))

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.wait(0)


class EditDialog(QDialog):
    done_editing = Signal(object)       # Results, once an edit succeeded

    def __init__(self, open_sources: Callable, title: str, features: list[str], default_out: Path,
                 rejected: list[int], selected: list[int], local: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Edit {title}")
        self.open_sources, self.default_out = open_sources, Path(default_out)
        self.op = QComboBox()
        for key, label in OPERATIONS:
            self.op.addItem(label, key)
        self.episodes = QLineEdit(",".join(map(str, rejected or selected)))
        self.episodes.setPlaceholderText("episodes to delete, e.g. 5,150,299 or 10-19")
        self.parts = QLineEdit("train=0.8,val=0.2")
        self.replace = QLineEdit()
        self.replace.setPlaceholderText("old task=new task; another=new")
        self.feature = QComboBox()
        self.feature.addItems(features)
        self.others = QLineEdit()
        self.others.setPlaceholderText("other dataset folders or repo ids, separated by ;")
        self.out = QLineEdit(str(default_out))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.in_place = QCheckBox("replace this dataset (crash-safe swap)")
        self.local = local
        self.in_place.setEnabled(local)
        self.in_place.toggled.connect(lambda on: self.out.setEnabled(not on))
        form = QFormLayout()
        form.addRow("Edit", self.op)
        self.rows = {"delete-episodes": self.episodes, "split": self.parts, "modify-tasks": self.replace,
                     "remove-feature": self.feature, "merge": self.others}
        labels = {"delete-episodes": "Episodes", "split": "Parts", "modify-tasks": "Replace",
                  "remove-feature": "Feature", "merge": "Merge with"}
        for key, w in self.rows.items():
            form.addRow(labels[key], w)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out, 1)
        out_row.addWidget(browse)
        form.addRow("Output folder", out_row)
        form.addRow("", self.in_place)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.message = QLabel("Episodes are copied as they are: no video is re-encoded.")
        self.message.setWordWrap(True)
        self.run_button, self.cancel_button = QPushButton("Run"), QPushButton("Cancel")
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        v = QVBoxLayout(self)
        v.addLayout(form)
        v.addWidget(self.bar)
        v.addWidget(self.message)
        v.addLayout(buttons)
        self.runner = EditRunner(self)
        self.runner.progress.connect(self._progress)
        self.runner.finished.connect(self._finished)
        self.runner.failed.connect(self._failed)
        self.op.currentIndexChanged.connect(self._op_changed)
        self._op_changed()
        self.results = None

    def _op_changed(self) -> None:
        key = self.op.currentData()
        for k, w in self.rows.items():
            w.setEnabled(k == key)
        self.in_place.setEnabled(self.local and key != "split")
        if not self.in_place.isEnabled():
            self.in_place.setChecked(False)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Output folder (a new folder inside it, or an empty one)")
        if folder:
            self.out.setText(folder)

    def run(self) -> None:
        if self.runner.running:
            return
        op, in_place = self.op.currentData(), self.in_place.isChecked()
        out = None if in_place else Path(self.out.text()).expanduser()
        params = {"episodes": self.episodes.text(), "parts": self.parts.text(),
                  "replace": self.replace.text(), "feature": self.feature.currentText(),
                  "others": [s.strip() for s in self.others.text().split(";") if s.strip()]}

        def job(progress, cancel):
            from app.edit.build import build

            sources = self.open_sources(params["others"] if op == "merge" else [])
            try:
                plans = make_plans(op, sources, episodes=params["episodes"], parts=params["parts"],
                                   replace=pairs([p for p in params["replace"].split(";") if p.strip()], "replace"),
                                   features=[params["feature"]])
                return [build(plan, None if out is None else (out if name is None else out / name),
                              in_place=in_place, progress=progress, cancel=cancel)
                        for name, plan in plans.items()]
            finally:
                for s in sources:
                    s.close()

        self.bar.setRange(0, 0)
        self.message.setText("Starting…")
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.runner.start(job)

    def cancel(self) -> None:
        self.runner.cancel()
        self.message.setText("Cancelling…")

    def _progress(self, done: int, total: int, what: str) -> None:
        self.bar.setRange(0, total)
        self.bar.setValue(done)
        self.message.setText(f"{done} / {total} episodes: {what}")

    def _finished(self, results) -> None:
        self.results = results
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.message.setText("\n".join(r.summary() for r in results))
        self.done_editing.emit(results)

    def _failed(self, text: str) -> None:
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.message.setText(text)

    def closeEvent(self, event) -> None:
        self.runner.cancel()
        super().closeEvent(event)
