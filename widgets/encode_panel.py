"""Encoding queue panel: one row per recorded take (state, progress, speed, ETA, size, codec, error),
the total backlog, and the operator's commands. It observes `app.encoding.queue.EncodeQueue` and
holds no state of its own; it also asks, when the window closes with takes still to encode, whether
to encode them now (with a progress dialog) or on the next launch.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, Qt, QTimer, QUrl
from PySide6.QtGui import QBrush, QColor, QDesktopServices
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QHBoxLayout, QHeaderView, QLabel,
                               QMessageBox, QProgressDialog, QPushButton, QStyle, QStyledItemDelegate,
                               QStyleOptionProgressBar, QTableView, QVBoxLayout, QWidget)

from app.encoding.queue import EncodeQueue, Row
from app.encoding.workers import EncodeWorkers, QueueSignals
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
    def paint(self, painter, option, index):
        opt = QStyleOptionProgressBar()
        opt.rect = option.rect.adjusted(2, 3, -2, -3)
        opt.minimum, opt.maximum = 0, 1000
        opt.progress = int(1000 * (index.data(Qt.ItemDataRole.UserRole) or 0.0))
        opt.text = index.data(Qt.ItemDataRole.DisplayRole)
        opt.textVisible = True
        opt.state = option.state | QStyle.StateFlag.State_Horizontal
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, opt, painter, option.widget)


class EncodePanel(QWidget):
    def __init__(self, queue: EncodeQueue | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.queue: EncodeQueue | None = None
        self.signals: QueueSignals | None = None
        self.model = QueueModel(self)
        self.summary = QLabel("No dataset open: recorded takes will appear here while they encode.")
        self.summary.setObjectName("backlog")
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(PROGRESS_COL, ProgressDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(PROGRESS_COL, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(PROGRESS_COL, 140)
        header.setStretchLastSection(True)
        self.pause_btn = QPushButton("Pause")
        self.pause_btn.setCheckable(True)
        self.cancel_btn = QPushButton("Cancel")
        self.retry_btn = QPushButton("Retry failed")
        self.raise_btn = QPushButton("Raise priority")
        self.open_btn = QPushButton("Open folder")
        self.pause_btn.toggled.connect(self._toggle_pause)
        self.cancel_btn.clicked.connect(lambda: self._for_selected(self.queue.cancel))
        self.retry_btn.clicked.connect(self._retry)
        self.raise_btn.clicked.connect(lambda: self._for_selected(self.queue.raise_priority))
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
    def set_queue(self, queue: EncodeQueue | None) -> None:
        if self.signals is not None:
            self.signals.detach()
            self.signals.deleteLater()
            self.signals = None
        self.queue = queue
        if queue is not None:
            self.signals = QueueSignals(queue, self)
            self.signals.changed.connect(self.refresh)
        for b in (self.pause_btn, self.cancel_btn, self.retry_btn, self.raise_btn, self.open_btn):
            b.setEnabled(queue is not None)
        self.refresh()

    def closeEvent(self, event):  # noqa: N802
        if self.signals is not None:
            self.signals.detach()
        super().closeEvent(event)

    def refresh(self) -> None:
        if self.signals is not None:
            self.signals.take_changes()
        if self.queue is None:
            self.model.set_rows([])
            return
        self.model.set_rows(self.queue.rows())
        b = self.queue.backlog()
        counts = self.queue.counts()
        parts = [f"Backlog: {b.episodes} take{'s' if b.episodes != 1 else ''}",
                 f"{b.video_seconds / 60:.1f} min of video"]
        if b.episodes and b.eta_s is not None:
            parts.append(f"about {fmt_duration(b.eta_s)} to encode")
        if counts["failed"]:
            parts.append(f"{counts['failed']} failed")
        if self.queue.paused:
            parts.append("PAUSED")
        elif self.queue.throttled:
            parts.append("throttled while recording")
        self.summary.setText("  ·  ".join(parts))
        self.pause_btn.blockSignals(True)
        self.pause_btn.setChecked(self.queue.paused)
        self.pause_btn.setText("Resume" if self.queue.paused else "Pause")
        self.pause_btn.blockSignals(False)

    # ----- commands --------------------------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        return [self.model.rows[i.row()].id for i in self.table.selectionModel().selectedRows()]

    def _for_selected(self, fn) -> None:
        for entry_id in self.selected_ids():
            fn(entry_id)

    def _toggle_pause(self, on: bool) -> None:
        if self.queue is not None:
            self.queue.pause() if on else self.queue.resume()

    def _retry(self) -> None:
        ids = [i for i in self.selected_ids() if self.queue.row(i) and self.queue.row(i).state == "failed"]
        self.queue.retry_failed(ids or None)

    def folder_for_selection(self) -> Path | None:
        if self.queue is None:
            return None
        for entry_id in self.selected_ids():
            row = self.queue.row(entry_id)
            if row and row.state != "done" and Path(row.spool).is_dir():
                return Path(row.spool)
        return self.queue.root

    def _open_folder(self) -> None:
        folder = self.folder_for_selection()
        if folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


# ----- exit prompt ---------------------------------------------------------------------------------------
def encode_now(queue: EncodeQueue, parent: QWidget | None = None) -> bool:
    """Flush the queue and show a progress dialog until it is idle. False if the operator gave up
    (what is left stays in the journal for the next launch)."""
    queue.flush()
    queue.set_throttled(False)
    queue.resume()
    total = max(1, queue.backlog().episodes)
    dlg = QProgressDialog(f"Encoding {total} take(s) before closing…", "Leave the rest for next launch",
                          0, total, parent)
    dlg.setWindowTitle("Encoding queue")
    dlg.setWindowModality(Qt.WindowModality.WindowModal)
    dlg.setAutoClose(False)
    dlg.setAutoReset(False)
    dlg.setMinimumDuration(0)

    def tick() -> None:
        b = queue.backlog()
        dlg.setValue(total - b.episodes)
        eta = f" (about {fmt_duration(b.eta_s)} left)" if b.eta_s else ""
        dlg.setLabelText(f"Encoding {b.episodes} take(s) before closing{eta}…")
        if queue.wait_idle(0):
            dlg.accept()

    timer = QTimer(dlg)
    timer.timeout.connect(tick)
    timer.start(100)
    finished = dlg.exec() == QProgressDialog.DialogCode.Accepted
    timer.stop()
    return finished


def confirm_exit(queue: EncodeQueue | None, parent: QWidget | None = None) -> bool:
    """Ask what to do with takes not encoded yet. True: go on closing; False: stay open."""
    if queue is None or not queue.has_work():
        return True
    n = queue.backlog().episodes
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Takes not encoded yet")
    box.setText(f"{n} recorded take(s) are not encoded yet.")
    box.setInformativeText("Encode them now, or keep them safely on disk and encode them when the studio "
                           "next opens this dataset?")
    now = box.addButton("Encode now", QMessageBox.ButtonRole.AcceptRole)
    later = box.addButton("On next launch", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(now)
    box.exec()
    if box.clickedButton() is now:
        encode_now(queue, parent)
        return True
    return box.clickedButton() is later


class _ExitGuard(QObject):
    """Event filter on the main window: the close prompt, then the workers are stopped."""

    def __init__(self, panel: EncodePanel, ctx):
        super().__init__(panel)
        self.panel, self.ctx = panel, ctx

    def eventFilter(self, obj, event):  # noqa: N802
        if event.type() == QEvent.Type.Close and event.isAccepted():
            if not confirm_exit(self.panel.queue, self.ctx.window):
                event.ignore()
                return True
            workers = self.ctx.shared.get("encode_workers")
            if workers is not None:
                workers.stop()
        return False


def create_panel(ctx) -> QWidget:
    """The Encoding queue dock. Picks up the queue the recording panel shares under "encode_queue"
    (checked once a second, so the order panels are built in does not matter) and makes sure its
    workers run."""
    panel = EncodePanel(None)

    def sync() -> None:
        queue = ctx.shared.get("encode_queue")
        if queue is panel.queue:
            return
        workers = ctx.shared.get("encode_workers")
        if queue is not None and (workers is None or workers.queue is not queue):
            workers = EncodeWorkers(queue)
            workers.start()
            ctx.shared["encode_workers"] = workers
        panel.set_queue(queue)

    sync()
    timer = QTimer(panel)
    timer.timeout.connect(sync)
    timer.start(1000)
    if ctx.window is not None:
        ctx.window.installEventFilter(_ExitGuard(panel, ctx))
    return panel
