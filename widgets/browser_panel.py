"""Datasets panel: pick a local or Hub dataset, list its episodes (filter by task), view one.

Local: recent folders, our recordings (app.paths.data_dir()) and the Hugging Face caches. Hub:
search by text and author (LeRobot-tagged first) or open a repo id at a revision (default v3.0).
Opening and searching run off the GUI thread (app.hub.qt_tasks); problems show as a message here.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPushButton, QSplitter, QTableWidget,
                               QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from app.dataset.reader import DatasetReader
from app.hub.episode_frames import EpisodeFrames
from app.hub.errors import explain
from app.hub.qt_tasks import QtTasks
from app.hub.range_cache import RangeCache
from app.hub.remote_fs import DEFAULT_REVISION, open_hub_dataset
from app.hub.search import find_local, hf_cache_dirs, search_hub
from app.hub.tasks import TaskPool
from app.paths import data_dir
from widgets.episode_viewer import EpisodeViewer

ALL_TASKS = "All tasks"
RECENT_KEY, CACHE_MB_KEY, ENDPOINT_KEY = "browser/recent", "hub/cache_mb", "hub/endpoint"


def create_panel(ctx) -> QWidget:
    return BrowserPanel(ctx.settings, tasks=ctx.tasks)  # the window's runner: shut down with it


class BrowserPanel(QWidget):
    def __init__(self, settings, parent: QWidget | None = None, tasks: QtTasks | None = None):
        super().__init__(parent)
        self.settings = settings
        self.tasks = tasks if tasks is not None else QtTasks(TaskPool(workers=4, name="datasets"), self)
        self.reader: DatasetReader | None = None
        self.title = ""
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
        self.sources.addTab(hub, "Hugging Face Hub")
        # episodes
        self.status = QLabel("Pick a dataset.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.task_filter = QComboBox()
        self.task_filter.currentIndexChanged.connect(self._fill_episodes)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["#", "task", "frames", "seconds"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._episode_selected)
        self.viewer = EpisodeViewer(self.tasks)
        self.viewer.message.connect(self.show_message)

        left = QWidget()
        v = QVBoxLayout(left)
        v.setContentsMargins(0, 0, 0, 0)
        v.addWidget(self.sources, 2)
        v.addWidget(self.status)
        v.addWidget(self.task_filter)
        v.addWidget(self.table, 3)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.viewer)
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
        self.tasks.run(DatasetReader, root, channel="open",
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
                                                        res[0].manifest.note))

    def _opened(self, reader: DatasetReader, title: str, local_root: str | None, note: str = "") -> None:
        if self.reader is not None:
            self.reader.close()
        self.reader, self.title = reader, title
        if local_root:
            recent = [local_root] + [p for p in self.recent() if p != local_root]
            self.settings.setValue(RECENT_KEY, recent[:10])
        self.task_filter.blockSignals(True)
        self.task_filter.clear()
        self.task_filter.addItems([ALL_TASKS] + reader.tasks)
        self.task_filter.blockSignals(False)
        self._fill_episodes()
        self.show_message(f"{title}: {len(reader.episodes)} episodes, {reader.fps} fps, "
                          f"cameras: {', '.join(k.removeprefix('observation.images.') for k in reader.video_keys) or 'none'}"
                          + (f"\n{note}" if note else ""))
        if reader.episodes:
            self.table.selectRow(0)

    def _fill_episodes(self) -> None:
        if self.reader is None:
            return
        task = self.task_filter.currentText()
        shown = [e for e in self.reader.episodes if task in ("", ALL_TASKS) or task in e.tasks]
        self.table.blockSignals(True)
        self.table.clearSelection()
        self.table.setRowCount(len(shown))
        for row, e in enumerate(shown):
            for col, value in enumerate((e.index, ", ".join(e.tasks), e.length, f"{e.length / self.reader.fps:.1f}")):
                item = QTableWidgetItem(str(value))
                item.setData(Qt.ItemDataRole.UserRole, e.index)
                self.table.setItem(row, col, item)
        self.table.blockSignals(False)

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
        self.tasks.run(episode.rows, channel="episode", on_error=self.show_error,
                       on_done=lambda rows: self.viewer.set_episode(episode, rows))
        for key in episode.cameras:
            self.tasks.run(episode.load, key, 0, channel=f"first:{key}")

    def shutdown(self) -> None:
        """Window closing: stop the background reads first, then release the dataset."""
        self.tasks.shutdown()
        if self.reader is not None:
            self.reader.close()
            self.reader = None

    # -- messages ----------------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        self.status.setText(text)

    def show_error(self, exc: BaseException) -> None:
        self.show_message(explain(exc, self.title or "the dataset"))
