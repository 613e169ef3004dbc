#!/usr/bin/env bash
# `make hub-floor`: the push, remote and range tests on the oldest huggingface_hub pyproject allows and on
# the newest one PyPI serves below the ceiling. Each version goes into its own folder with pip --target
# (huggingface_hub and its dependencies, hf-xet included where that version pulls it in: the default
# install) and is put in front of the project's venv with PYTHONPATH; nothing in .venv changes.
#   HUB_VERSIONS="1.3.0 2.4.0" bash tests/hub_floor.sh     # other versions
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
DIR=${HUB_FLOOR_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/teleop-studio/hub-floor}
SPEC=$(grep -o '"huggingface_hub[^"]*"' pyproject.toml | tr -d '"')         # huggingface_hub>=X,<Y
FLOOR=$(sed -E 's/.*>=([0-9.]+).*/\1/' <<<"$SPEC")
CEIL=$(sed -E 's/.*<([0-9.]+).*/\1/' <<<"$SPEC")
VERSIONS=${HUB_VERSIONS:-"$FLOOR newest"}
TESTS=${HUB_FLOOR_TESTS:-"tests/test_push_hub.py tests/test_push_xet.py tests/test_push_visibility.py
  tests/test_push_pull_request.py tests/test_push_cli.py tests/test_push_public_api.py tests/test_hub_remote.py
  tests/test_hub_ranges.py"}
mkdir -p "$DIR"
status=0
for v in $VERSIONS; do
  if [ "$v" = newest ]; then req="huggingface_hub<$CEIL"; target="$DIR/newest"; up=--upgrade
  else req="huggingface_hub==$v"; target="$DIR/hf-$v"; up=; fi
  t0=$(date +%s)
  if [ -n "$up" ] || [ ! -f "$target/.done" ]; then
    rm -rf "$target"
    "$PY" -m pip install --quiet --disable-pip-version-check --target "$target" "$req" || { status=1; continue; }
    touch "$target/.done"
  fi
  got=$(PYTHONPATH="$target" "$PY" -c 'import huggingface_hub as h; print(h.__version__)')
  xet=$(PYTHONPATH="$target" "$PY" -c 'import importlib.util as u; print("hf-xet" if u.find_spec("hf_xet") else "no hf-xet")')
  echo "== huggingface_hub $got ($xet), installed in $(( $(date +%s) - t0 )) s"
  # shellcheck disable=SC2086
  PYTHONPATH="$target:$PWD" QT_QPA_PLATFORM=offscreen "$PY" -m pytest -q -p no:cacheprovider $TESTS \
    -W ignore::DeprecationWarning || status=1
done
exit $status
