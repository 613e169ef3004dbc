"""Encoding queue panel: one row per recorded take (state, progress, speed, ETA, size, codec, error),
the total backlog, and the operator's commands. It observes the encode queues of every dataset the
studio model has open (the one being recorded into first; one switched away from keeps encoding
until it is empty) and holds no state of its own.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QRect, Qt, QUrl
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.encoding.queue import EncodeQueue, Row
from app.encoding.status import behind
from app.encoding.workers import QueueSignals
from widgets.units import fmt_bytes, fmt_duration

log = logging.getLogger(__name__)
COLUMNS = ("Take", "State", "Progress", "fps", "ETA", "Size", "Codec", "Message")
PROGRESS_COL, STATE_COL, MESSAGE_COL = 2, 1, 7
STATE_COLORS = {"pending": "#8a8a8a", "encoding": "#1f6fd1", "verifying": "#7a4fd1", "done": "#2e8b3d",
                "failed": "#c62828"}


def take_label(row: Row) -> str:
    # spool ids start with YYYYmmdd-HHMMSS
    when = row.id[9:15]
    when = f"{when[:2]}:{when[2:4]}:{when[4:]}" if len(when) == 6 and when.isdigit() else row.id[:8]
    ep = f"ep {row.episode_index} · " if row.episode_index is not None else ""
    return f"{ep}{when} {row.task}".strip()


class QueueModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.rows: list[Row] = []

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r, col = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(r, col)
        if role == Qt.ItemDataRole.UserRole:
            return r.progress if col == PROGRESS_COL else r.id
        if role == Qt.ItemDataRole.ForegroundRole and col in (STATE_COL, MESSAGE_COL):
            return QBrush(QColor(STATE_COLORS.get(r.state, "#000000")))
        if role == Qt.ItemDataRole.ToolTipRole:
            return r.error or f"{r.length} frames x {len(r.cameras)} cameras at {r.fps} fps\n{r.spool}"
        return None

    @staticmethod
    def _text(r: Row, col: int) -> str:
        if col == 0:
            return take_label(r)
        if col == 1:
            if r.state == "pending" and not r.runnable:
                return "waiting for batch"
            return r.state + (f" (try {r.attempts})" if r.attempts > 1 and r.state != "done" else "")
        if col == 2:
            return f"{r.progress:.0%}"
        if col == 3:
            return f"{r.encode_fps:.0f}" if r.encode_fps else ""
        if col == 4:
            return fmt_duration(r.eta_s) if r.state != "done" else ""
        if col == 5:
            return fmt_bytes(r.output_bytes)
        if col == 6:
            return r.codec
        return r.error

    def set_rows(self, rows: list[Row]) -> None:
        if [r.id for r in rows] == [r.id for r in self.rows]:
            self.rows = rows
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(COLUMNS) - 1))
        else:
            self.beginResetModel()
            self.rows = rows
            self.endResetModel()


class ProgressDelegate(QStyledItemDelegate):
    """A progress bar in the cell, painted from the palette (a style sheet's QProgressBar rules do
    not reach a delegate's style option: the text would sit in a corner)."""

    def paint(self, painter, option, index):
        frac = max(0.0, min(1.0, index.data(Qt.ItemDataRole.UserRole) or 0.0))
        r = option.rect.adjusted(3, 4, -3, -4)
        pal = option.palette
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(pal.color(QPalette.ColorRole.Mid))
        painter.setBrush(pal.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(r, 3, 3)
        if frac > 0:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pal.color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(QRect(r.x(), r.y(), max(3, int(r.width() * frac)), r.height()), 3, 3)
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        painter.drawText(r, Qt.AlignmentFlag.AlignCenter, index.data(Qt.ItemDataRole.DisplayRole) or "")
        painter.restore()


class EncodePanel(QWidget):
    def __init__(self, queue: EncodeQueue | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.queues: list[EncodeQueue] = []
        self.signals: list[QueueSignals] = []
        self.model = QueueModel(self)
        self.summary = QLabel("No dataset open: recorded takes will appear here while they encode.")
        self.summary.setObjectName("backlog")
        self.summary.setWordWrap(True)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(PROGRESS_COL, ProgressDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        # fits its dock: short columns take their contents' width, the take and message columns
        # share what is left and elide (the full text is in the tooltip); no sideways scrolling
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(36)
        for col in range(len(COLUMNS)):
            mode = (QHeaderView.ResizeMode.Stretch if col in (0, MESSAGE_COL) else
                    QHeaderView.ResizeMode.Fixed if col == PROGRESS_COL else QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(col, mode)
        header.resizeSection(PROGRESS_COL, 90)
        self.pause_btn = QPushButton("Pause")
        self.pause_btn.setCheckable(True)
        self.pause_btn.setMinimumWidth(self.pause_btn.fontMetrics().horizontalAdvance("Resume") + 36)
        self.cancel_btn = QPushButton("Cancel")
        self.retry_btn = QPushButton("Retry failed")
        self.raise_btn = QPushButton("Raise priority")
        self.open_btn = QPushButton("Open folder")
        self.pause_btn.toggled.connect(self._toggle_pause)
        self.cancel_btn.clicked.connect(lambda: self._for_selected("cancel"))
        self.retry_btn.clicked.connect(self._retry)
        self.raise_btn.clicked.connect(lambda: self._for_selected("raise_priority"))
        self.open_btn.clicked.connect(self._open_folder)
        buttons = QHBoxLayout()
        for b in (self.pause_btn, self.cancel_btn, self.retry_btn, self.raise_btn, self.open_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)
        lay.addLayout(buttons)
        self.set_queue(queue)

    # ----- model wiring --------------------------------------------------------------------------------
    @property
    def queue(self) -> EncodeQueue | None:
        return self.queues[0] if self.queues else None

    def set_queue(self, queue: EncodeQueue | None) -> None:
        self.set_queues([queue] if queue is not None else [])

    def set_queues(self, queues: list[EncodeQueue]) -> None:
        if queues == self.queues:
            return
        self._detach()
        self.queues = list(queues)
        for q in self.queues:
            # No Qt parent: the encoder threads may still be emitting when this panel goes away; a
            # parentless object lives as long as the queue holds its observer, and Qt drops the connection.
            sig = QueueSignals(q)
            sig.changed.connect(self.refresh)
            self.signals.append(sig)
        for b in (self.pause_btn, self.cancel_btn, self.retry_btn, self.raise_btn, self.open_btn):
            b.setEnabled(bool(self.queues))
        self.refresh()

    def _detach(self) -> None:
        for sig in self.signals:
            sig.detach()
        self.signals = []

    def closeEvent(self, event):  # noqa: N802
        self._detach()
        super().closeEvent(event)

    def refresh(self) -> None:
        for sig in self.signals:
            sig.take_changes()
        if not self.queues:
            self.model.set_rows([])
            self.summary.setText("No dataset open: recorded takes will appear here while they encode.")
            return
        self.model.set_rows([r for q in self.queues for r in q.rows()])
        backlogs = [q.backlog() for q in self.queues]
        episodes = sum(b.episodes for b in backlogs)
        failed = sum(q.counts()["failed"] for q in self.queues)
        parts = [f"Backlog: {episodes} take{'s' if episodes != 1 else ''}",
                 f"{sum(b.video_seconds for b in backlogs) / 60:.1f} min of video"]
        left = behind(backlogs).eta_s  # the status bar's figure, rounded the same way
        if episodes and left is not None:
            parts.append(f"about {fmt_duration(left)} to encode")
        if len(self.queues) > 1:
            parts.append(f"{len(self.queues)} datasets")
        if failed:
            parts.append(f"{failed} failed")
        paused = any(q.paused for q in self.queues)
        if paused:
            parts.append("PAUSED")
        elif self.queue.throttled:
            parts.append("throttled while recording")
        self.summary.setText("  ·  ".join(parts))
        self.pause_btn.blockSignals(True)
        self.pause_btn.setChecked(paused)
        self.pause_btn.setText("Resume" if paused else "Pause")
        self.pause_btn.blockSignals(False)

    # ----- commands --------------------------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        return [self.model.rows[i.row()].id for i in self.table.selectionModel().selectedRows()]

    def _queue_of(self, entry_id: str) -> EncodeQueue | None:
        return next((q for q in self.queues if q.row(entry_id) is not None), None)

    def _for_selected(self, command: str) -> None:
        for entry_id in self.selected_ids():
            q = self._queue_of(entry_id)
            if q is not None:
                getattr(q, command)(entry_id)

    def _toggle_pause(self, on: bool) -> None:
        for q in self.queues:
            q.pause() if on else q.resume()

    def _retry(self) -> None:
        ids = [i for i in self.selected_ids() if (r := self._row(i)) is not None and r.state == "failed"]
        for q in self.queues:
            mine = [i for i in ids if q.row(i) is not None]
            if mine or not ids:
                q.retry_failed(mine or None)

    def _row(self, entry_id: str) -> Row | None:
        q = self._queue_of(entry_id)
        return q.row(entry_id) if q is not None else None

    def folder_for_selection(self) -> Path | None:
        if not self.queues:
            return None
        for entry_id in self.selected_ids():
            row = self._row(entry_id)
            if row and row.state != "done" and Path(row.spool).is_dir():
                return Path(row.spool)
        return self.queue.root

    def _open_folder(self) -> None:
        folder = self.folder_for_selection()
        if folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def create_panel(ctx) -> QWidget:
    """The Encoding queue dock: the queues of the datasets the studio model has open."""
    panel = EncodePanel(None)

    def follow(event: str, _data) -> None:
        if event in ("datasets", "session_opened"):
            panel.set_queues(ctx.studio.queues())

    ctx.events.event.connect(follow)
    panel.set_queues(ctx.studio.queues())
    return panel
