"""Help > About: what this studio runs on, and which video encoders this machine's FFmpeg offers."""

from __future__ import annotations

import platform
import sys

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from app import __version__

# (FFmpeg name, what it is to us); only the ones this FFmpeg build has are listed
ENCODERS = (
    ("libsvtav1", "AV1 (SVT-AV1), LeRobot's default"),
    ("libaom-av1", "AV1 (libaom)"),
    ("librav1e", "AV1 (rav1e)"),
    ("libx264", "H.264 (x264)"),
    ("libx265", "HEVC (x265)"),
    ("h264_nvenc", "H.264, NVIDIA GPU"),
    ("hevc_nvenc", "HEVC, NVIDIA GPU"),
    ("av1_nvenc", "AV1, NVIDIA GPU"),
    ("h264_vaapi", "H.264, VA-API (Intel/AMD GPU)"),
    ("hevc_vaapi", "HEVC, VA-API"),
    ("av1_vaapi", "AV1, VA-API"),
    ("h264_qsv", "H.264, Intel Quick Sync"),
    ("av1_qsv", "AV1, Intel Quick Sync"),
    ("h264_videotoolbox", "H.264, Apple VideoToolbox"),
    ("hevc_videotoolbox", "HEVC, Apple VideoToolbox"),
)
DECODERS = (
    ("libdav1d", "AV1 (dav1d), fast"),
    ("libaom-av1", "AV1 (libaom)"),
    ("av1", "AV1 (FFmpeg native, needs hwaccel)"),
    ("h264", "H.264"),
    ("hevc", "HEVC"),
)


def _has(name: str, mode: str) -> bool:
    import av

    try:
        av.codec.Codec(name, mode)
        return True
    except Exception:
        return False


def available_encoders() -> list[tuple[str, str]]:
    return [(n, d) for n, d in ENCODERS if _has(n, "w")]


def available_decoders() -> list[tuple[str, str]]:
    return [(n, d) for n, d in DECODERS if _has(n, "r")]


def versions() -> list[tuple[str, str]]:
    import PySide6
    from PySide6.QtCore import qVersion

    rows = [("Teleop Studio", __version__),
            ("Python", f"{platform.python_version()} ({sys.executable})"),
            ("Qt / PySide6", f"{qVersion()} / {PySide6.__version__}")]
    for label, module, attr in (("PyAV", "av", "__version__"), ("numpy", "numpy", "__version__"),
                                ("pyarrow", "pyarrow", "__version__"), ("pyqtgraph", "pyqtgraph", "__version__")):
        try:
            rows.append((label, getattr(__import__(module), attr)))
        except Exception as exc:
            rows.append((label, f"not available ({exc})"))
    try:
        import av

        libs = ", ".join(f"{k} {'.'.join(map(str, v))}" for k, v in sorted(av.library_versions.items())
                         if k in ("libavcodec", "libavformat", "libavutil", "libswscale"))
        rows.append(("FFmpeg", f"{getattr(av, 'ffmpeg_version_info', '?')} ({libs})"))
    except Exception as exc:
        rows.append(("FFmpeg", f"not available ({exc})"))
    rows.append(("Platform", f"{platform.system()} {platform.release()} {platform.machine()}"))
    return rows


def about_html() -> str:
    def table(rows):
        return "<table cellspacing=4>" + "".join(
            f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows) + "</table>"

    enc = available_encoders()
    dec = available_decoders()
    return (
        "<h2>Teleop Studio</h2>"
        "<p>Record, encode, review and publish LeRobot v3.0 robot-learning datasets.</p>"
        f"<h3>Versions</h3>{table(versions())}"
        f"<h3>Video encoders</h3>{table(enc) if enc else '<p>none of the usual encoders found</p>'}"
        "<p><small>Hardware encoders are listed when FFmpeg was built with them; they still need the "
        "matching GPU and driver when used.</small></p>"
        f"<h3>Video decoders</h3>{table(dec) if dec else '<p>none found</p>'}"
    )


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("AboutDialog")
        self.setWindowTitle("About Teleop Studio")
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setHtml(about_html())
        self.browser.setMinimumSize(560, 480)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text()))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)

    def text(self) -> str:
        return self.browser.toPlainText()
