#!/usr/bin/env bash
# Opt-in check (`make compat`): datasets written by our writer load in lerobot 0.6.1, every frame decoded.
# Creates a separate Python 3.12 venv (lerobot pulls torch, about 3 GB), writes two small datasets with
# the studio's .venv (one mp4 per camera, and one file per episode with chunks_size 2), then loads them
# with LeRobotDataset(repo_id, root=...) and compares rows and pixels.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
COMPAT_VENV="${COMPAT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/teleop-studio/lerobot-compat-venv}"
STUDIO_PY="${STUDIO_PY:-$REPO/.venv/bin/python}"
PY312=""
for p in /root/.pyenv/versions/3.12.1/bin/python3.12 python3.12 "$HOME"/.pyenv/versions/3.12*/bin/python3.12; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
        PY312="$(command -v "$p")"; break
    fi
done
[ -n "$PY312" ] || { echo "compat: Python 3.12 not found (lerobot 0.6.1 needs it)"; exit 2; }
if [ ! -x "$COMPAT_VENV/bin/python" ] || ! "$COMPAT_VENV/bin/python" -c 'import lerobot' 2>/dev/null; then
    echo "compat: creating $COMPAT_VENV with $PY312 and installing lerobot[dataset]==0.6.1 (pulls torch, ~3 GB)"
    "$PY312" -m venv "$COMPAT_VENV"
    "$COMPAT_VENV/bin/python" -m pip install --quiet --upgrade pip
    "$COMPAT_VENV/bin/python" -m pip install "lerobot[dataset,feetech,deepdiff-dep]==0.6.1"
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$REPO"
"$STUDIO_PY" "$HERE/lerobot_load.py" write "$WORK"
HF_HUB_OFFLINE=1 "$COMPAT_VENV/bin/python" "$HERE/lerobot_load.py" load "$WORK"
mkdir -p "$WORK/edits"
# the lerobot-made lab dataset takes ~7 min to record; EDIT_COMPAT_LAB=DIR/lerobot_lab_300ep reuses one
if [ -n "${EDIT_COMPAT_LAB:-}" ] && [ -f "$EDIT_COMPAT_LAB/meta/info.json" ]; then cp -r "$EDIT_COMPAT_LAB" "$WORK/edits/"; fi
HF_HUB_OFFLINE=1 "$COMPAT_VENV/bin/python" "$HERE/edit_compat.py" make "$WORK/edits"
"$STUDIO_PY" "$HERE/edit_compat.py" write "$WORK/edits"
HF_HUB_OFFLINE=1 "$COMPAT_VENV/bin/python" "$HERE/edit_compat.py" load "$WORK/edits"
"$COMPAT_VENV/bin/python" -c 'import lerobot_doctor' 2>/dev/null || "$COMPAT_VENV/bin/python" -m pip install --quiet "lerobot-doctor==0.2.0"
HF_HUB_OFFLINE=1 "$COMPAT_VENV/bin/python" "$HERE/edit_compat.py" doctor "$WORK/edits"
mkdir -p "$WORK/bimanual"
"$STUDIO_PY" "$HERE/bimanual_compat.py" write "$WORK/bimanual"
HF_HUB_OFFLINE=1 "$COMPAT_VENV/bin/python" "$HERE/bimanual_compat.py" load "$WORK/bimanual"
