#!/usr/bin/env bash
# macOS recipe: "Teleop Studio.app" (PyInstaller BUNDLE from the same spec) in a compressed .dmg with an
# /Applications link to drag it onto. Runs on a macOS runner (.github/workflows/package.yml, job macos);
# needs Xcode's command-line tools (iconutil, hdiutil, codesign). Builds for the runner's architecture.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
[ "$(uname)" = Darwin ] || { echo "build_dmg.sh runs on macOS only" >&2; exit 1; }

VERSION="$(project_version)"
ICONS="$OUT/icons"
VENV="$OUT/venv"

# the icon first: the spec picks up teleop-studio.icns from TELEOP_STUDIO_ICON_DIR
"$(build_python)" -m venv "$OUT/icon-venv"
"$OUT/icon-venv/bin/python" -m pip install --quiet "PySide6-Essentials>=6.7,<6.13"
"$OUT/icon-venv/bin/python" "$PKG_DIR/make_icons.py" "$ICONS"
iconutil -c icns "$ICONS/teleop-studio.iconset" -o "$ICONS/teleop-studio.icns"
export TELEOP_STUDIO_ICON_DIR="$ICONS"

bash "$PKG_DIR/build_bundle.sh"
APP="$OUT/dist/Teleop Studio.app"
[ -d "$APP" ] || { echo "no $APP" >&2; exit 1; }
# PyInstaller signs ad hoc; sign the whole .app again after BUNDLE moved files (needed on Apple silicon).
# A Developer ID signature and notarization need the lab's Apple account: set MACOS_SIGN_IDENTITY.
codesign --force --deep --sign "${MACOS_SIGN_IDENTITY:--}" "$APP"
"$APP/Contents/MacOS/teleop-studio" --version

DMG="$OUT/teleop-studio-$VERSION-macos-$(uname -m).dmg"
stage="$OUT/dmg-stage"
rm -rf "$stage" "$DMG"; mkdir -p "$stage"
cp -R "$APP" "$stage/"
ln -s /Applications "$stage/Applications"
hdiutil create -volname "Teleop Studio $VERSION" -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$DMG"
rm -rf "$stage"
echo "dmg: $DMG ($(human_size "$DMG"))"
