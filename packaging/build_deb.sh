#!/usr/bin/env bash
# Builds packaging/out/teleop-studio_<version>_<arch>.deb from the bundle made by build_bundle.sh:
#   /opt/teleop-studio/            the one-folder bundle
#   /usr/bin/teleop-studio         symlink to the bundle's launcher (on PATH)
#   /usr/share/applications/       teleop-studio.desktop
#   /usr/share/icons/hicolor/scalable/apps/teleop-studio.svg
#   /usr/lib/udev/rules.d/70-teleop-studio.rules
# The version comes from pyproject.toml.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ -x "$BUNDLE/teleop-studio" ] || { echo "no bundle at $BUNDLE: run packaging/build_bundle.sh first" >&2; exit 1; }
VERSION="$(project_version)"
[ -n "$VERSION" ] || { echo "no version in pyproject.toml" >&2; exit 1; }
ARCH="$(dpkg --print-architecture)"
DEB="$OUT/teleop-studio_${VERSION}_${ARCH}.deb"
STAGE="$OUT/deb-root"

rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
    "$STAGE/usr/share/icons/hicolor/scalable/apps" "$STAGE/usr/lib/udev/rules.d" "$STAGE/usr/share/doc/teleop-studio"
cp -a "$BUNDLE" "$STAGE/opt/teleop-studio"
ln -s ../../opt/teleop-studio/teleop-studio "$STAGE/usr/bin/teleop-studio"
install -m 644 "$REPO/resources/desktop/teleop-studio.desktop" "$STAGE/usr/share/applications/"
install -m 644 "$REPO/resources/icons/teleop-studio.svg" "$STAGE/usr/share/icons/hicolor/scalable/apps/"
install -m 644 "$PKG_DIR/deb/70-teleop-studio.rules" "$STAGE/usr/lib/udev/rules.d/"
cat > "$STAGE/usr/share/doc/teleop-studio/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: teleop-studio
License: Apache-2.0
 The bundled Python, Qt (LGPL-3), FFmpeg (LGPL/GPL builds from PyAV), OpenCV, Apache Arrow and
 NumPy keep their own licenses; their license files are inside /opt/teleop-studio/_internal.
 On Debian systems the Apache License 2.0 is in /usr/share/common-licenses/Apache-2.0.
COPYRIGHT
for script in postinst prerm postrm; do install -m 755 "$PKG_DIR/deb/$script" "$STAGE/DEBIAN/"; done
# files and folders: root-owned (dpkg-deb --root-owner-group), world-readable, nothing world-writable
chmod -R u+rwX,go+rX,go-w "$STAGE/opt" "$STAGE/usr"

glibc="$(getconf GNU_LIBC_VERSION | awk '{print $2}')"
depends="libc6 (>= $glibc)$(grep -v '^[[:space:]]*\(#\|$\)' "$PKG_DIR/deb/depends.txt" | sed 's/^/, /' | tr -d '\n')"
installed_kib="$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)"
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@INSTALLED_SIZE@/$installed_kib/" \
    -e "s/@DEPENDS@/$depends/" "$PKG_DIR/deb/control.in" > "$STAGE/DEBIAN/control"
(cd "$STAGE" && find opt usr -type f -print0 | sort -z | xargs -0 md5sum > DEBIAN/md5sums)

rm -f "$OUT"/teleop-studio_*.deb
# zstd -9 (measured here, 2 cores, ~630 MB bundle): zstd -3 209 MB in 6 s, zstd -9 188 MB in 10 s,
# zstd -19 165 MB in 233 s, xz -6 150 MB in 8.6 min. The dpkg of Debian 12 and Ubuntu 22.04 (the oldest
# systems whose glibc the bundle runs on) read zstd. For a release: DEB_COMPRESSION=xz DEB_COMPRESSION_LEVEL=6.
dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-zstd}" -z"${DEB_COMPRESSION_LEVEL:-9}" --build "$STAGE" "$DEB" >/dev/null
rm -rf "$STAGE"
echo "deb: $DEB ($(human_size "$DEB"))"
