"""Renders resources/icons/teleop-studio.svg into the icon files installers need, with Qt's SVG renderer:
    python packaging/make_icons.py OUT_DIR
OUT_DIR/teleop-studio.ico (Windows: 256 px, Windows scales it), OUT_DIR/teleop-studio.iconset/ (macOS:
`iconutil -c icns` turns it into teleop-studio.icns) and OUT_DIR/teleop-studio-256.png."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

SVG = Path(__file__).resolve().parents[1] / "resources" / "icons" / "teleop-studio.svg"
ICONSET = {"icon_16x16.png": 16, "icon_16x16@2x.png": 32, "icon_32x32.png": 32, "icon_32x32@2x.png": 64,
           "icon_128x128.png": 128, "icon_128x128@2x.png": 256, "icon_256x256.png": 256,
           "icon_256x256@2x.png": 512, "icon_512x512.png": 512, "icon_512x512@2x.png": 1024}


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    return image


def main(out: Path) -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (fonts need an app)
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"cannot read {SVG}", file=sys.stderr)
        return 1
    iconset = out / "teleop-studio.iconset"
    iconset.mkdir(parents=True, exist_ok=True)
    for name, size in ICONSET.items():
        if not render(renderer, size).save(str(iconset / name), "PNG"):
            raise OSError(f"could not write {iconset / name}")
    big = render(renderer, 256)
    for path, fmt in ((out / "teleop-studio.ico", "ICO"), (out / "teleop-studio-256.png", "PNG")):
        if not big.save(str(path), fmt):
            raise OSError(f"could not write {path} (Qt image format {fmt})")
    print(f"icons in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "packaging/out/icons")))
