#!/usr/bin/env bash
# `make package`: the self-contained bundle, then the .deb; prints their sizes.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
start=$(date +%s)
bash "$PKG_DIR/build_bundle.sh"
bash "$PKG_DIR/build_deb.sh"
echo
echo "bundle  $BUNDLE  $(human_size "$BUNDLE")"
for deb in "$OUT"/teleop-studio_*.deb; do echo "deb     $deb  $(human_size "$deb")"; done
echo "built in $(( $(date +%s) - start )) s"
