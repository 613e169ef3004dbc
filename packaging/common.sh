# Shared by the packaging scripts (sourced, not run).
set -euo pipefail
PKG_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$PKG_DIR/.." && pwd)"
OUT="${TELEOP_PACKAGING_OUT:-$PKG_DIR/out}"
BUNDLE="$OUT/dist/teleop-studio"

# The project version, read from pyproject.toml (the single source of truth).
project_version() {
    sed -n '/^\[project\]/,/^\[/{s/^version *= *"\([^"]*\)".*/\1/p;}' "$REPO/pyproject.toml" | head -n1
}

# Python used for the build venv: $PYTHON, else the project venv's base interpreter, else the newest found.
# PyInstaller needs a Python built with a shared libpython.
build_python() {
    if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
    if [ -x "$REPO/.venv/bin/python" ]; then
        "$REPO/.venv/bin/python" -c 'import sys; print(sys._base_executable)'; return
    fi
    for p in python3.12 python3.11 python3; do
        command -v "$p" >/dev/null && "$p" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null \
            && { command -v "$p"; return; }
    done
    echo "Python >= 3.11 not found" >&2; return 1
}

human_size() { du -sh "$1" | cut -f1; }
