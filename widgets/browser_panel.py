"""Datasets panel: pick a local or Hub dataset, list its episodes (filter by task and review state),
view one, review it (A accept, R reject, N note, M marker, J/K next/previous episode) and edit it.

Local: recent folders, our recordings (app.paths.data_dir()) and the Hugging Face caches. Hub:
search by text and author (LeRobot-tagged first) or open a repo id at a revision (default v3.0).
Opening and searching run off the GUI thread (app.hub.qt_tasks); problems show as a message here.
Review verdicts live in app.review (saved on every key press); edits run in widgets.edit_dialog.
Filtering never leaves the viewer on an episode the table hides.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.dataset.reader import DatasetReader
from app.hub.episode_frames import EpisodeFrames
from app.hub.errors import explain
from app.hub.qt_tasks import QtTasks
from app.hub.range_cache import RangeCache
from app.hub.remote_fs import DEFAULT_REVISION, open_hub_dataset
from app.hub.search import find_local, hf_cache_dirs, search_hub
from app.hub.tasks import TaskPool
from app.paths import data_dir
from app.review.health_index import episode_health
from app.review.state import ACCEPTED, REJECTED, STATES, ReviewState
from widgets.episode_viewer import EpisodeViewer
from widgets.review_actions import ALL_STATES, ReviewActions
from widgets.review_bar import COLOURS, ReviewBar

ALL_TASKS = "All tasks"
COLUMNS = ["#", "task", "frames", "seconds", "review", "health"]
RECENT_KEY, CACHE_MB_KEY, ENDPOINT_KEY = "browser/recent", "hub/cache_mb", "hub/endpoint"


def create_panel(ctx) -> QWidget:
    panel = BrowserPanel(ctx.settings, tasks=ctx.tasks)  # the window's runner: shut down with it
    if getattr(ctx, "rig", None) is not None:  # Replay on the window's rig (widgets/replay_control.py)
        from widgets.replay_control import ReplayControl

        panel.replay = ReplayControl(ctx, panel)
        panel.right_layout.addWidget(panel.replay)
    window = getattr(ctx, "window", None)
    if window is not None and getattr(window, "view_menu", None) is not None:
        action = QAction("Re&view layout (Datasets fill the window)", window)
        action.triggered.connect(lambda: review_layout(window))
        window.view_menu.addAction(action)
        panel.review_layout_action = action
    return panel


def review_layout(window) -> None:
    """The Datasets panel alone in the window, for reviewing; View > Reset layout brings the rest back."""
    for key, dock in window.docks.items():
        if key != "datasets":
            dock.hide()
    window.docks["datasets"].show()
    window.docks["datasets"].raise_()


class BrowserPanel(ReviewActions, QWidget):
    def __init__(self, settings, parent: QWidget | None = None, tasks: QtTasks | None = None):
        super().__init__(parent)
        self.settings = settings
        self.tasks = tasks if tasks is not None else QtTasks(TaskPool(workers=4, name="datasets"), self)
        self.reader: DatasetReader | None = None
        self.title = ""
        self.review: ReviewState | None = None
        self.local_root: Path | None = None
        self.hub: tuple | None = None          # (fs, repo_id, revision) of an open Hub dataset
        self.health: dict = {}
        self.current: int | None = None        # the episode the viewer shows
        self.edit_dialog = None
        self.cache = RangeCache(max_bytes=int(settings.value(CACHE_MB_KEY, 2048)) * 1024 * 1024)

        # local tab
        self.local_list = QListWidget()
        self.local_list.itemActivated.connect(lambda item: self.open_local(item.data(Qt.ItemDataRole.UserRole)))
        browse = QPushButton("Open folder…")
        browse.clicked.connect(self._browse)
        local = QWidget()
        lv = QVBoxLayout(local)
        lv.addWidget(self.local_list)
        lv.addWidget(browse)
        # hub tab
        self.search_text, self.search_author = QLineEdit(), QLineEdit()
        self.search_text.setPlaceholderText("search text")
        self.search_author.setPlaceholderText("author")
        search = QPushButton("Search")
        search.clicked.connect(self.search)
        self.search_text.returnPressed.connect(self.search)
        self.hub_list = QListWidget()
        self.hub_list.itemActivated.connect(lambda item: self._pick_hub(item.data(Qt.ItemDataRole.UserRole)))
        self.repo_id, self.revision = QLineEdit(), QLineEdit(DEFAULT_REVISION)
        self.repo_id.setPlaceholderText("owner/name")
        self.revision.setMaximumWidth(90)
        open_hub = QPushButton("Open")
        open_hub.clicked.connect(lambda: self.open_hub(self.repo_id.text(), self.revision.text()))
        self.repo_id.returnPressed.connect(open_hub.click)
        hub = QWidget()
        hv = QVBoxLayout(hub)
        row = QHBoxLayout()
        for w in (self.search_text, self.search_author, search):
            row.addWidget(w)
        hv.addLayout(row)
        hv.addWidget(self.hub_list)
        row = QHBoxLayout()
        for w in (self.repo_id, self.revision, open_hub):
            row.addWidget(w)
        hv.addLayout(row)
        self.sources = QTabWidget()
        self.sources.addTab(local, "This computer")
        self.sources.addTab(hub, "Hub")                      # short: readable in a narrow dock
        self.sources.setTabToolTip(1, "Hugging Face Hub: search datasets or open one by id")
        self.sources.setElideMode(Qt.TextElideMode.ElideNone)
        self.sources.tabBar().setExpanding(False)
        # episodes
        self.status = QLabel("Pick a dataset.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.task_filter = QComboBox()
        self.task_filter.currentIndexChanged.connect(self._fill_episodes)
        self.state_filter = QComboBox()
        self.state_filter.addItems([ALL_STATES, *STATES])
        self.state_filter.currentIndexChanged.connect(self._fill_episodes)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._episode_selected)
        self.table.installEventFilter(self)     # review keys work from the table too
        self.viewer = EpisodeViewer(self.tasks)
        self.viewer.message.connect(self.show_message)
        self.review_bar = ReviewBar()
        rb = self.review_bar
        rb.accept.connect(lambda: self.set_verdict(ACCEPTED))
        rb.reject.connect(lambda: self.set_verdict(REJECTED))
        rb.note_wanted.connect(self.ask_note)
        rb.marker_wanted.connect(self.add_marker)
        rb.next_episode.connect(lambda: self.step_episode(1))
        rb.prev_episode.connect(lambda: self.step_episode(-1))
        rb.text_entered.connect(self._text_entered)
        rb.export_wanted.connect(self._export_clicked)
        rb.import_wanted.connect(self._import_clicked)
        rb.edit_wanted.connect(self.open_edit_dialog)
        rb.text.installEventFilter(self)

        left = QWidget()
        v = QVBoxLayout(left)
        v.setContentsMargins(0, 0, 0, 0)
        v.addWidget(self.sources, 2)
        v.addWidget(self.status)
        filters = QHBoxLayout()
        filters.addWidget(self.task_filter, 2)
        filters.addWidget(self.state_filter, 1)
        v.addLayout(filters)
        v.addWidget(self.table, 3)
        right = QWidget()
        rv = self.right_layout = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.viewer, 1)
        rv.addWidget(self.review_bar)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        split.setSizes([440, 1060])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(split)
        self.refresh_local()

    # -- sources -----------------------------------------------------------------------------------
    def recent(self) -> list[str]:
        value = self.settings.value(RECENT_KEY, []) or []
        return [value] if isinstance(value, str) else list(value)

    def remember(self, root: str) -> None:
        recent = [root] + [p for p in self.recent() if p != root]
        self.settings.setValue(RECENT_KEY, recent[:10])

    def refresh_local(self) -> None:
        dirs = [(Path(p), "recent") for p in self.recent() if Path(p).is_dir()]
        dirs += [(data_dir(), "recordings")] + [(d, "HF cache") for d in hf_cache_dirs() if d.is_dir()]
        self.local_list.clear()
        for ds in find_local(dirs, depth=4):
            item = QListWidgetItem(f"{ds.root.name}  ·  {ds.episodes} episodes  ·  {ds.source}  ({ds.version})")
            item.setToolTip(str(ds.root))
            item.setData(Qt.ItemDataRole.UserRole, str(ds.root))
            self.local_list.addItem(item)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a LeRobot dataset folder")
        if folder:
            self.open_local(folder)

    def search(self) -> None:
        self.show_message("Searching the Hub…")
        self.tasks.run(lambda text, author: search_hub(text, author, 50, endpoint=self._endpoint()),
                       self.search_text.text(), self.search_author.text(),
                       channel="search", on_done=self._show_search,
                       on_error=lambda exc: self.show_message(explain(exc, "the Hub search")))

    def _endpoint(self) -> str | None:
        return self.settings.value(ENDPOINT_KEY) or None

    def _show_search(self, found) -> None:
        self.hub_list.clear()
        for d in found:
            item = QListWidgetItem(("★ " if d.lerobot else "   ") + d.repo_id + ("  (gated)" if d.gated else ""))
            item.setData(Qt.ItemDataRole.UserRole, d.repo_id)
            self.hub_list.addItem(item)
        self.show_message(f"{len(found)} datasets found (★ = LeRobot). Double-click one to open it.")

    def _pick_hub(self, repo_id: str) -> None:
        self.repo_id.setText(repo_id)
        self.open_hub(repo_id, self.revision.text())

    # -- opening -----------------------------------------------------------------------------------
    def open_local(self, root: str) -> None:
        self.show_message(f"Opening {root}…")

        def work(root):
            from app.edit.inplace import recover_swap

            recover_swap(Path(root))           # an in-place edit a crash interrupted
            return DatasetReader(root)

        self.tasks.run(work, root, channel="open",
                       on_done=lambda r: self._opened(r, Path(root).name, root),
                       on_error=lambda exc: self.show_message(explain(exc, Path(root).name)))

    def open_hub(self, repo_id: str, revision: str = DEFAULT_REVISION) -> None:
        repo_id, revision = repo_id.strip(), revision.strip() or DEFAULT_REVISION
        if repo_id.count("/") != 1:
            self.show_message("Enter a Hub dataset id as owner/name.")
            return
        self.show_message(f"Opening {repo_id}@{revision} from the Hub…")
        endpoint = self._endpoint()

        def work():
            fs = open_hub_dataset(repo_id, revision, cache=self.cache, endpoint=endpoint)
            return fs, DatasetReader(fs.root, fs)

        self.tasks.run(work, channel="open", on_error=lambda exc: self.show_message(explain(exc, repo_id)),
                       on_done=lambda res: self._opened(res[1], f"{repo_id}@{revision}", None,
                                                        res[0].manifest.note, (res[0], repo_id, revision)))

    def _opened(self, reader: DatasetReader, title: str, local_root: str | None, note: str = "",
                hub: tuple | None = None) -> None:
        if self.reader is not None:
            self.reader.close()
        self.reader, self.title = reader, title
        self.local_root, self.hub, self.current = (Path(local_root) if local_root else None), hub, None
        try:
            self.review = ReviewState.for_reader(reader, self.local_root, hub[1] if hub else "",
                                                 hub[0].manifest.commit if hub else "")
        except (OSError, ValueError) as exc:
            self.review = ReviewState(None, fp="")
            note = (note + "\n" if note else "") + f"The saved review could not be read ({exc}); changes are not saved."
        self.health = episode_health(self.local_root)
        if local_root:
            self.remember(local_root)
        self.task_filter.blockSignals(True)
        self.task_filter.clear()
        self.task_filter.addItems([ALL_TASKS] + reader.tasks)
        self.task_filter.blockSignals(False)
        self.state_filter.blockSignals(True)
        self.state_filter.setCurrentIndex(0)
        self.state_filter.blockSignals(False)
        self._fill_episodes()
        self._show_review()
        cams = ", ".join(k.removeprefix("observation.images.") for k in reader.video_keys) or "none"
        self.show_message(f"{title}: {len(reader.episodes)} episodes, {reader.fps} fps, cameras: {cams}"
                          + (f"\n{note}" if note else ""))

    def _fill_episodes(self) -> None:
        """Fill the table from the filters. The viewer stays on its episode while the filter shows
        it; otherwise the first shown episode opens, or the viewer empties when none is shown."""
        if self.reader is None:
            return
        task, state = self.task_filter.currentText(), self.state_filter.currentText()
        shown = [e for e in self.reader.episodes if (task in ("", ALL_TASKS) or task in e.tasks)
                 and (state in ("", ALL_STATES) or self.review is None or self.review.state(e.index) == state)]
        self.table.blockSignals(True)
        self.table.clearSelection()
        self.table.setRowCount(len(shown))
        keep = None
        for row, e in enumerate(shown):
            h = self.health.get(e.index)
            values = (e.index, ", ".join(e.tasks), e.length, f"{e.length / self.reader.fps:.1f}",
                      self.review.state(e.index) if self.review else "", h.text() if h else "")
            for col, value in enumerate(values):
                item = QTableWidgetItem(str(value))
                item.setData(Qt.ItemDataRole.UserRole, e.index)
                if col == 5 and h is not None and h.warning:
                    item.setToolTip(h.warning)
                    item.setForeground(QBrush(QColor(COLOURS["rejected"])))
                self.table.setItem(row, col, item)
            self._colour_row(row, values[4])
            if e.index == self.current:
                keep = row
        if keep is not None:
            self.table.selectRow(keep)
        self.table.blockSignals(False)
        if keep is None:
            if shown:
                self.table.selectRow(0)
            else:
                self.current = None
                self.viewer.clear("No episode matches the filter.")
                self._show_review()

    def _colour_row(self, row: int, state: str) -> None:
        item = self.table.item(row, 4)
        if item is not None and state in COLOURS:
            item.setForeground(QBrush(QColor(COLOURS[state])))

    def shown_episodes(self) -> list[int]:
        return [self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(self.table.rowCount())]

    def _episode_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if self.reader is None or not rows:
            return
        self.open_episode(self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole))

    def open_episode(self, index: int) -> None:
        """Rows and the first frame of every camera load at the same time; the viewer appears with
        the rows and finds the frames decoded (or being decoded: EpisodeFrames decodes each once)."""
        episode = EpisodeFrames(self.reader, index)
        self.current = index
        self._show_review()

        def show(rows):
            if self.current == index:
                self.viewer.set_episode(episode, rows)
                if self.review is not None:
                    self.viewer.set_markers(self.review.get(index).markers)

        self.tasks.run(episode.rows, channel="episode", on_error=self.show_error, on_done=show)
        for key in episode.cameras:
            self.tasks.run(episode.load, key, 0, channel=f"first:{key}")

    def shutdown(self) -> None:
        """Window closing: stop the background reads first, then release the dataset."""
        if getattr(self, "replay", None) is not None:
            self.replay.shutdown()
        self.tasks.shutdown()
        if self.reader is not None:
            self.reader.close()
            self.reader = None

    # -- messages ----------------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        self.status.setText(text)

    def show_error(self, exc: BaseException) -> None:
        self.show_message(explain(exc, self.title or "the dataset"))
