#!/usr/bin/env bash
# Builds the self-contained one-folder bundle with PyInstaller into packaging/out/dist/teleop-studio/.
# A build venv under packaging/out/venv holds PyInstaller and a normal (not editable) install of the
# project, so the bundle holds exactly what pip would install, and nothing from the test extra.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

VENV="$OUT/venv"
PY="$(build_python)"
mkdir -p "$OUT"
if [ ! -x "$VENV/bin/python" ]; then
    echo "== build venv ($PY)"
    "$PY" -c 'import sysconfig, sys; sys.exit(0 if sysconfig.get_config_var("Py_ENABLE_SHARED") or sys.platform != "linux" else
        "this Python has no shared libpython; PyInstaller needs one (pyenv: PYTHON_CONFIGURE_OPTS=--enable-shared)")'
    "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi
# dependencies only when pyproject.toml changed; the project itself every time (it is small)
stamp="$VENV/.deps-$(cksum < "$REPO/pyproject.toml" | cut -d' ' -f1)"
if [ ! -e "$stamp" ]; then
    echo "== dependencies"
    "$VENV/bin/python" -m pip install --quiet "pyinstaller>=6.10,<7" "$REPO"
    rm -f "$VENV"/.deps-*; touch "$stamp"
fi
echo "== project $(project_version)"
# build from a clean copy: the working tree may hold other people's half-written files and build/ dirs
src="$OUT/src"
rm -rf "$src"; mkdir -p "$src"
git -C "$REPO" ls-files -z --cached --others --exclude-standard -- pyproject.toml README.md app widgets resources \
    | while IFS= read -r -d '' f; do [ -f "$REPO/$f" ] && printf '%s\0' "$f"; done \
    | (cd "$REPO" && tar --null -T - -cf -) | tar -xf - -C "$src"
"$VENV/bin/python" -m pip install --quiet --no-deps --force-reinstall "$src"

echo "== PyInstaller"
rm -rf "$OUT/dist/teleop-studio"
(cd "$OUT" && "$VENV/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$OUT/dist" --workpath "$OUT/pyinstaller-work" "$PKG_DIR/pyinstaller/teleop-studio.spec")
# py files of the source never ship; the spec collected compiled modules only
test -x "$BUNDLE/teleop-studio"
echo "bundle: $BUNDLE ($(human_size "$BUNDLE"))"
