"""Review bar under the episode viewer: the verdict of the episode shown, the buttons that change it
(each with its key), a line for notes and marker text, and the review totals.

Keys (the Datasets panel binds them): A accept, R reject, N note, M marker at the current frame,
J next episode, K previous episode. Enter in the text line saves it; Esc goes back to the viewer.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

COLOURS = {"accepted": "#50c878", "rejected": "#e05d75", "unreviewed": "#9aa0a6"}


class ReviewBar(QWidget):
    accept = Signal()
    reject = Signal()
    note_wanted = Signal()
    marker_wanted = Signal()
    next_episode = Signal()
    prev_episode = Signal()
    text_entered = Signal(str, object)     # text, ("note", None) or ("marker", frame)
    export_wanted = Signal()
    import_wanted = Signal()
    edit_wanted = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.mode: tuple[str, int | None] = ("note", None)
        self.verdict = QLabel("no episode")
        self.verdict.setTextFormat(Qt.TextFormat.RichText)
        self.counts = QLabel("")
        self.text = QLineEdit()
        self.text.setPlaceholderText("N: note on this episode · M: marker at this frame")
        self.text.returnPressed.connect(self._entered)
        self.buttons = {}
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for name, label, signal, tip in (
                ("prev", "◀ K", self.prev_episode, "previous episode in the table (K)"),
                ("accept", "Accept A", self.accept, "accept this episode (A)"),
                ("reject", "Reject R", self.reject, "reject this episode (R)"),
                ("note", "Note N", self.note_wanted, "write a note on this episode (N)"),
                ("marker", "Marker M", self.marker_wanted, "mark the current frame (M)"),
                ("next", "J ▶", self.next_episode, "next episode in the table (J)")):
            b = QPushButton(label)
            b.setToolTip(tip)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(signal.emit)
            self.buttons[name] = b
            row.addWidget(b)
        row.addWidget(self.verdict, 1)
        tools = QHBoxLayout()
        tools.setContentsMargins(0, 0, 0, 0)
        tools.addWidget(self.text, 1)
        tools.addWidget(self.counts)
        for name, label, signal, tip in (
                ("export", "Export…", self.export_wanted, "save the review as one file (to share or push)"),
                ("import", "Import…", self.import_wanted, "combine another reviewer's file; conflicts are listed"),
                ("edit", "Edit dataset…", self.edit_wanted, "delete, keep accepted, split, merge, retask")):
            b = QPushButton(label)
            b.setToolTip(tip)
            b.clicked.connect(signal.emit)
            self.buttons[name] = b
            tools.addWidget(b)
        v = QVBoxLayout(self)
        v.setContentsMargins(4, 2, 4, 2)
        v.addLayout(row)
        v.addLayout(tools)

    def show_verdict(self, episode: int | None, state: str = "unreviewed", note: str = "",
                     markers: dict | None = None) -> None:
        if episode is None:
            self.verdict.setText("no episode")
            return
        colour = COLOURS.get(state, "#9aa0a6")
        marks = ", ".join(f"#{f}" + (f" {t}" if t else "") for f, t in sorted((markers or {}).items()))
        self.verdict.setText(f"episode {episode}: <b style='color:{colour}'>{state}</b>"
                             + (f" · {note}" if note else "") + (f" · markers {marks}" if marks else ""))

    def show_counts(self, counts: dict[str, int]) -> None:
        self.counts.setText(" · ".join(f"{n} {s}" for s, n in counts.items()))

    def ask(self, mode: tuple[str, int | None], text: str = "") -> None:
        """Focus the text line to type a note (mode ("note", None)) or a marker's text."""
        self.mode = mode
        self.text.setPlaceholderText("note on this episode, Enter to save" if mode[0] == "note"
                                     else f"what happened at frame {mode[1]}? Enter to save")
        self.text.setText(text)
        self.text.setFocus()
        self.text.selectAll()

    def _entered(self) -> None:
        self.text_entered.emit(self.text.text(), self.mode)
        self.text.clear()
        self.mode = ("note", None)
        self.text.setPlaceholderText("N: note on this episode · M: marker at this frame")
