"""The push panel and dialog (pytest-qt, offscreen) against the writable Hub stand-in."""

from __future__ import annotations

from types import SimpleNamespace

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMainWindow, QMenu

from app.hub.push import PushOptions
from tests.push_helpers import TOKEN, make_dataset, remote_files, whub  # noqa: F401
from widgets.push_panel import PushDialog, PushPanel, install


def test_panel_shows_progress_to_the_end(qtbot, whub, tmp_path):  # noqa: F811
    root = make_dataset(tmp_path / "ds")
    whub.latency = 0.02
    panel = PushPanel()
    qtbot.addWidget(panel)
    seen = []
    orig = panel.show_progress
    panel.show_progress = lambda p: (seen.append(p.phase), orig(p))
    push = panel.start(PushOptions(root, "studio/panel", endpoint=whub.endpoint))
    qtbot.waitUntil(lambda: push.done.is_set() and not panel._timer.isActive(), timeout=20000)
    assert push.error is None and panel.phase.text() == "Pushed"
    assert panel.bar.value() == 1000 and panel.values["Files"].text() == "8 / 8"
    assert panel.open_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert "tagged v3.0" in panel.message.text() and "README.md" in remote_files(whub, "studio/panel")
    assert len(set(seen)) >= 2


def test_cancel_and_dialog_remember_no_token(qtbot, whub, tmp_path):  # noqa: F811
    root = make_dataset(tmp_path / "ds", episodes=1)
    whub.latency = 0.3
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    dialog = PushDialog(root, "studio/dialog", settings, endpoint=whub.endpoint)
    qtbot.addWidget(dialog)
    dialog.visibility.setCurrentIndex(dialog.visibility.findData("private"))
    push = dialog.start_push()
    dialog.panel.cancel()
    qtbot.waitUntil(push.done.is_set, timeout=20000)
    qtbot.waitUntil(lambda: not dialog.panel._timer.isActive(), timeout=5000)
    assert dialog.panel.phase.text() == "Cancelled" and "resume" in dialog.panel.message.text()
    settings.sync()
    text = (tmp_path / "settings.ini").read_text()
    assert "studio/dialog" in text and TOKEN not in text and "hf_" not in text
    again = PushDialog(root, "", settings, endpoint=whub.endpoint)
    qtbot.addWidget(again)
    assert again.visibility.currentData() == "private" and again.repo_edit.text() == "studio/dialog"
    fresh = PushDialog(root, "", QSettings(str(tmp_path / "new.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(fresh)
    assert fresh.visibility.currentData() == "default"          # the organisation decides unless chosen


def test_install_adds_the_file_menu_action(qtbot, tmp_path):
    window = QMainWindow()
    qtbot.addWidget(window)
    window.ctx = SimpleNamespace(studio=None, events=None)
    window.settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    menu = QMenu("&File", window)
    quit_action = menu.addAction("&Quit")
    install(window, menu, before=quit_action)
    assert [a.text() for a in menu.actions()] == ["Push to &Hub…", "&Quit"]
    assert window.push_offer is None        # no session yet: no prompt


def test_refused_push_offers_a_pull_request_button(qtbot, whub, tmp_path):  # noqa: F811
    whub.add_user("hf_maintainertokenEEEEEEEEEE", "boss", orgs=["lab"])
    PushPanel().start(PushOptions(make_dataset(tmp_path / "lab", episodes=1), "lab/shared", endpoint=whub.endpoint,
                                  token="hf_maintainertokenEEEEEEEEEE")).done.wait(30)
    panel = PushPanel()
    qtbot.addWidget(panel)
    panel.show()
    push = panel.start(PushOptions(make_dataset(tmp_path / "ds", episodes=2), "lab/shared", endpoint=whub.endpoint))
    qtbot.waitUntil(lambda: push.done.is_set() and not panel._timer.isActive(), timeout=20000)
    assert panel.phase.text() == "Failed" and "pull request" in panel.message.text()
    assert panel.pr_button.isVisible() and not panel.open_button.isEnabled()
    qtbot.mouseClick(panel.pr_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.push is not push and panel.push.done.is_set() and not panel._timer.isActive(),
                    timeout=20000)
    assert panel.phase.text() == "Pushed" and panel.push.result.pr_url in panel.message.text()
    assert panel.open_button.isEnabled() and panel.open_button.text() == "Open the pull request"
    assert not panel.pr_button.isVisible() and "(pull request)" in panel.title.text()
    assert len(whub.pull_requests) == 1 and "lab/shared" in panel.push.result.pr_url


def test_push_runs_on_the_windows_runner_and_closing_it_stops_the_push(qtbot, whub, tmp_path):  # noqa: F811
    from widgets.tasks import TaskRunner

    root = make_dataset(tmp_path / "ds", episodes=1)
    whub.latency = 0.3
    window = QMainWindow()
    qtbot.addWidget(window)
    window.tasks = TaskRunner(parent=window)
    dialog = PushDialog(root, "studio/tracked", None, window, endpoint=whub.endpoint)
    qtbot.addWidget(dialog)
    push = dialog.start_push()
    assert push.thread is None                                  # no thread of its own
    assert [t.context["label"] for t in window.tasks.in_flight()] == ["Push to studio/tracked"]
    assert window.tasks.shutdown(20.0)                          # what the window does when it closes
    assert push.done.is_set() and push.cancelled and not window.tasks.in_flight()
    qtbot.waitUntil(lambda: dialog.panel.phase.text() == "Cancelled", timeout=5000)
