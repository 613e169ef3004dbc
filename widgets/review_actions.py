"""The Datasets panel's review and edit actions (a mixin of BrowserPanel): verdict keys, notes and
markers, moving between the episodes the table shows, review export/import, and the edit dialog.
The verdicts themselves live in app.review; the edits in app.edit."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QFileDialog

from app.dataset.features import DEFAULT_FEATURES
from app.dataset.reader import DatasetReader
from app.paths import data_dir
from app.review.exchange import DATASET_FILE, export, import_file
from app.review.state import ACCEPTED, REJECTED
from widgets.edit_dialog import EditDialog

ALL_STATES = "All states"
REVIEW_KEYS = {Qt.Key.Key_A: "accept", Qt.Key.Key_R: "reject", Qt.Key.Key_N: "note", Qt.Key.Key_M: "marker",
               Qt.Key.Key_J: "next", Qt.Key.Key_K: "prev"}


class ReviewActions:
    """Expects the panel's reader, review, current, table, viewer, review_bar, state_filter,
    local_root, hub, title, _fill_episodes, _colour_row, remember, refresh_local,
    open_local and show_message."""

    # -- review ------------------------------------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.KeyPress:
            if obj is self.review_bar.text:
                if event.key() == Qt.Key.Key_Escape:
                    self.review_bar.text.clear()
                    self.viewer.setFocus()
                    return True
                return False
            if event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier) \
                    and event.key() in REVIEW_KEYS:
                self.keyPressEvent(event)
                return True
        return super().eventFilter(obj, event)

    def keyPressEvent(self, event) -> None:
        action = REVIEW_KEYS.get(event.key()) if event.modifiers() == Qt.KeyboardModifier.NoModifier else None
        if action is None:
            super().keyPressEvent(event)
            return
        {"accept": lambda: self.set_verdict(ACCEPTED), "reject": lambda: self.set_verdict(REJECTED),
         "note": self.ask_note, "marker": self.add_marker,
         "next": lambda: self.step_episode(1), "prev": lambda: self.step_episode(-1)}[action]()

    def _row_of(self, episode: int | None) -> int | None:
        for r in range(self.table.rowCount()):
            if self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == episode:
                return r
        return None

    def step_episode(self, delta: int) -> None:
        rows = self.table.rowCount()
        if not rows:
            return
        row = self._row_of(self.current)
        row = 0 if row is None else max(0, min(rows - 1, row + delta))
        self.table.selectRow(row)
        self.viewer.setFocus()

    def set_verdict(self, state: str) -> None:
        if self.review is None or self.current is None:
            return
        try:
            self.review.set_state(self.current, state)
        except OSError as exc:
            self.show_message(f"The verdict could not be saved: {exc}")
            return
        row = self._row_of(self.current)
        if row is not None:
            self.table.item(row, 4).setText(state)
            self._colour_row(row, state)
        self._show_review()
        if self.state_filter.currentText() not in (ALL_STATES, state):
            self._fill_episodes()        # the episode no longer matches: the viewer moves on

    def ask_note(self) -> None:
        if self.review is not None and self.current is not None:
            self.review_bar.ask(("note", None), self.review.get(self.current).note)

    def add_marker(self) -> None:
        if self.review is None or self.current is None or self.viewer.episode is None:
            return
        frame = self.viewer.cursor
        self.review.add_marker(self.current, frame, self.review.get(self.current).markers.get(frame, ""))
        self.viewer.set_markers(self.review.get(self.current).markers)
        self._show_review()
        self.review_bar.ask(("marker", frame), self.review.get(self.current).markers.get(frame, ""))

    def _text_entered(self, text: str, mode) -> None:
        if self.review is None or self.current is None:
            return
        if mode[0] == "note":
            self.review.set_note(self.current, text)
        else:
            self.review.add_marker(self.current, mode[1], text)
        self._show_review()
        self.viewer.setFocus()

    def _show_review(self) -> None:
        if self.review is None or self.reader is None:
            return
        v = self.review.get(self.current) if self.current is not None else None
        self.review_bar.show_verdict(self.current, v.state if v else "", v.note if v else "", v.markers if v else {})
        self.review_bar.show_counts(self.review.counts(len(self.reader.episodes)))

    def export_review(self, path) -> Path | None:
        if self.review is None:
            return None
        out = export(self.review, path)
        inside = self.local_root is not None and Path(out).resolve().parent == self.local_root.resolve()
        self.show_message(f"Review saved to {out}" + (" (it travels with the dataset when pushed; lerobot "
                                                       "ignores it)" if inside else ""))
        return out

    def import_review(self, path) -> None:
        if self.review is None:
            return
        try:
            res = import_file(self.review, path)
        except (OSError, ValueError) as exc:
            self.show_message(str(exc))
            return
        self._fill_episodes()
        self._show_review()
        self.show_message(f"Imported {Path(path).name}: " + res.summary()
                          + ("\nConflicting verdicts were left as they were here." if res.conflicts else ""))

    def _export_clicked(self) -> None:
        if self.review is None:
            return
        start = str((self.local_root or data_dir()) / DATASET_FILE)
        path, _ = QFileDialog.getSaveFileName(self, "Export the review", start, "Review (*.json)")
        if path:
            self.export_review(path)

    def _import_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a review", str(self.local_root or data_dir()),
                                              "Review (*.json)")
        if path:
            self.import_review(path)

    # -- edits -------------------------------------------------------------------------------------
    def _open_sources(self, others: list[str]) -> list:
        """Fresh readers for an edit thread: this dataset first, then any others (merge)."""
        from app.edit.source import Source, open_source

        if self.hub is not None:
            fs, repo_id, revision = self.hub
            first = Source(DatasetReader(fs.root, fs), f"{repo_id}@{revision}", None, fs.manifest.commit)
        else:
            first = open_source(str(self.local_root))
        return [first] + [open_source(o) for o in others]

    def open_edit_dialog(self) -> EditDialog | None:
        if self.reader is None:
            return None
        base = self.local_root.parent if self.local_root else data_dir()
        name = (self.local_root.name if self.local_root else self.title.split("@")[0].split("/")[-1]) + "-edited"
        out, n = base / name, 2
        while out.exists():
            out, n = base / f"{name}-{n}", n + 1
        rejected = [e for e in range(len(self.reader.episodes)) if self.review and self.review.state(e) == REJECTED]
        selected = [self.current] if self.current is not None else []
        removable = [f for f in self.reader.features if f not in DEFAULT_FEATURES]
        self.edit_dialog = EditDialog(self._open_sources, self.title, removable, out, rejected,
                                      selected, self.local_root is not None, self)
        self.edit_dialog.done_editing.connect(self._edited)
        self.edit_dialog.show()
        return self.edit_dialog

    def _edited(self, results) -> None:
        if self.local_root is not None and any(r.path == self.local_root for r in results):
            self.open_local(str(self.local_root))          # edited in place: show the new content
            return
        for r in reversed(results):
            self.remember(str(r.path))
        self.refresh_local()
        self.show_message("Edited: " + "; ".join(f"{r.path} ({r.episodes} episodes)" for r in results))
