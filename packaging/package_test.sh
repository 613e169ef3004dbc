#!/usr/bin/env bash
# `make package-test`: builds the .deb, installs it into a clean Debian root (debootstrap, cached under
# packaging/out/cache), starts the installed studio there offscreen on the simulated rig the way its
# .desktop entry does, records one short episode headless, checks the dataset, purges the package and
# verifies that nothing but user data is left. Prints bundle size, .deb size and start-up time.
# Needs root (chroot, mounts) and Debian's package archive. Set PACKAGE_TEST_SKIP_BUILD=1 to reuse the
# last build, PACKAGE_TEST_KEEP_ROOT=1 to keep the test root for a look.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SUITE="${PACKAGE_TEST_SUITE:-bookworm}"
MIRROR="${PACKAGE_TEST_MIRROR:-http://deb.debian.org/debian}"
CACHE="$OUT/cache"
ROOT="$OUT/test-root"
t0=$(date +%s)
step() { echo; echo "== $*"; }
fail() { echo "PACKAGE TEST FAILED: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root (chroot and mounts): run it as root or in a root container"

mounted=()
cleanup() {
    for ((i=${#mounted[@]}-1; i>=0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
    mounted=()
    if [ -z "${PACKAGE_TEST_KEEP_ROOT:-}" ]; then rm -rf "$ROOT"; fi
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------- build
if [ -z "${PACKAGE_TEST_SKIP_BUILD:-}" ]; then
    step "build (packaging/build.sh)"
    bash "$PKG_DIR/build.sh"
fi
DEB="$(ls "$OUT"/teleop-studio_*.deb 2>/dev/null | head -n1)"
[ -f "$DEB" ] || fail "no .deb in $OUT"
[ -x "$BUNDLE/teleop-studio" ] || fail "no bundle in $BUNDLE"
[ "$(dpkg-deb -f "$DEB" Version)" = "$(project_version)" ] || fail ".deb version is not pyproject's $(project_version)"

# ------------------------------------------------------------------------- start-up time from the bundle
# Time from spawning the launcher to the window shown (reported by the app's start-up probe), with fresh
# per-user folders; under Xvfb (the real xcb platform) when available, else offscreen.
probe_start() {  # prints seconds from exec to window shown
    local home; home="$(mktemp -d)"
    local cmd=(env HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share"
               XDG_STATE_HOME="$home/.local/state" XDG_CACHE_HOME="$home/.cache" TELEOP_STUDIO_EXIT_AFTER_SHOWN=1
               sh -c 'echo "spawned $(date +%s.%N)"; exec "$0" --sim' "$BUNDLE/teleop-studio")
    local out
    if command -v xvfb-run >/dev/null; then
        out="$(timeout 120 xvfb-run -a -s "-screen 0 1600x1000x24" "${cmd[@]}" 2>"$home/stderr")" || true
    else
        out="$(QT_QPA_PLATFORM=offscreen timeout 120 "${cmd[@]}" 2>"$home/stderr")" || true
    fi
    local spawned shown
    spawned="$(sed -n 's/^spawned //p' <<<"$out")"
    shown="$(sed -n 's/^startup-probe: .* epoch \([0-9.]*\)$/\1/p' <<<"$out")"
    if [ -z "$shown" ]; then tail -n 20 "$home/stderr" >&2; rm -rf "$home"; return 1; fi
    rm -rf "$home"
    awk -v a="$spawned" -v b="$shown" 'BEGIN { printf "%.2f\n", b - a }'
}
step "start-up time of the bundle (window shown)"
first="$(probe_start)" || fail "the bundle did not show its window"
warm=()
for _ in 1 2 3; do warm+=("$(probe_start)") || fail "the bundle did not show its window"; done
warm_median="$(printf '%s\n' "${warm[@]}" | sort -n | sed -n 2p)"
echo "first start after the build: ${first} s; next three: ${warm[*]} s (median ${warm_median} s)"

# --------------------------------------------------------------------------------- clean Debian root
depends="$(dpkg-deb -f "$DEB" Depends | sed 's/([^)]*)//g; s/,/ /g')"
deps_key="$(echo "$SUITE $depends" | sha256sum | cut -c1-12)"
BASE_TAR="$CACHE/$SUITE-minbase.tar"
DEPS_TAR="$CACHE/$SUITE-runtime-$deps_key.tar"
mkdir -p "$CACHE"
if [ ! -f "$DEPS_TAR" ]; then
    if [ ! -f "$BASE_TAR" ]; then
        step "debootstrap $SUITE minbase (once; cached in $BASE_TAR)"
        command -v debootstrap >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
        rm -rf "$CACHE/staging"
        debootstrap --variant=minbase "$SUITE" "$CACHE/staging" "$MIRROR" > "$CACHE/debootstrap.log" 2>&1 \
            || { tail -n 20 "$CACHE/debootstrap.log"; fail "debootstrap failed"; }
        tar -C "$CACHE/staging" -cf "$BASE_TAR.partial" . && mv "$BASE_TAR.partial" "$BASE_TAR"
        rm -rf "$CACHE/staging"
    fi
    step "runtime libraries in the root (once per Depends list; cached in $DEPS_TAR)"
    rm -rf "$CACHE/staging"; mkdir -p "$CACHE/staging"
    tar -C "$CACHE/staging" -xf "$BASE_TAR"
    cp /etc/resolv.conf "$CACHE/staging/etc/resolv.conf" 2>/dev/null || true
    # shellcheck disable=SC2086
    chroot "$CACHE/staging" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $depends >/dev/null && apt-get clean" \
        || fail "could not install the runtime libraries in the root"
    rm -rf "$CACHE/staging/var/lib/apt/lists/"*
    tar -C "$CACHE/staging" -cf "$DEPS_TAR.partial" . && mv "$DEPS_TAR.partial" "$DEPS_TAR"
    rm -rf "$CACHE/staging"
fi
step "fresh root from $(basename "$DEPS_TAR")"
rm -rf "$ROOT"; mkdir -p "$ROOT"
tar -C "$ROOT" -xf "$DEPS_TAR"

# /proc for tools that read it; devpts (a private instance) for the simulated rig's pseudo-terminals
if mount -t proc proc "$ROOT/proc" 2>/dev/null; then mounted+=("$ROOT/proc"); echo "/proc mounted"
else echo "note: mounting /proc in the root is not permitted here; going on without it"; fi
mkdir -p "$ROOT/dev/pts"
if mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$ROOT/dev/pts" 2>/dev/null; then
    mounted+=("$ROOT/dev/pts"); rm -f "$ROOT/dev/ptmx"; ln -s pts/ptmx "$ROOT/dev/ptmx"
elif mount --bind /dev/pts "$ROOT/dev/pts" 2>/dev/null; then
    mounted+=("$ROOT/dev/pts")
else
    fail "cannot mount devpts in the root: the simulated rig needs pseudo-terminals"
fi

# everything outside user-data places, before the install
snapshot() {
    (cd "$ROOT" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./sys -o -path ./run -o -path ./tmp \
        -o -path ./root -o -path ./home -o -path ./var/log -o -path ./var/cache -o -path ./var/lib/dpkg \
        -o -path ./var/lib/apt \) -prune -o -print | sort)
}
snapshot > "$OUT/files-before.txt"

in_root() { chroot "$ROOT" env -i HOME=/root USER=root LANG=C.UTF-8 PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin "$@"; }

step "install $(basename "$DEB")"
cp "$DEB" "$ROOT/tmp/"
in_root dpkg -i "/tmp/$(basename "$DEB")" || fail "dpkg -i failed"
in_root dpkg-query -W -f='${Status} ${Version}\n' teleop-studio
[ -L "$ROOT/usr/bin/teleop-studio" ] && [ -x "$ROOT/opt/teleop-studio/teleop-studio" ] || fail "launcher not installed"
in_root teleop-studio --version

step "shared libraries resolve in the clean root"
# (the bundle's launcher puts _internal on the library path, as here)
in_root env LD_LIBRARY_PATH=/opt/teleop-studio/_internal sh -c 'find /opt/teleop-studio -name "*.so*" -type f | while read -r f; do
    ldd "$f" 2>/dev/null | grep "not found" | sed "s|^|$f: |"; done' > "$OUT/ldd-missing.txt" || true
# Wayland plug-ins need the desktop's libwayland (present wherever Wayland runs); all else must resolve
if grep -v -e '/wayland' -e 'libqwayland' -e 'libQt6Wayland' -e 'libQt6WlShell' "$OUT/ldd-missing.txt"; then
    fail "libraries missing in a clean root (above)"
fi
echo "ok ($(wc -l < "$OUT/ldd-missing.txt") unresolved in Wayland-only plug-ins)"

step "launch from the .desktop entry (offscreen, simulated rig)"
desktop="$ROOT/usr/share/applications/teleop-studio.desktop"
[ -f "$desktop" ] || fail "no desktop entry installed"
[ -f "$ROOT/usr/share/icons/hicolor/scalable/apps/$(sed -n 's/^Icon=//p' "$desktop")".svg ] || fail "icon not installed"
# Exec lines without field codes (%f, %U, ...): the main entry and the "simulated rig" action
mapfile -t execs < <(sed -n 's/^Exec=//p' "$desktop" | sed 's/ *%[fFuUick]//g')
[ "${#execs[@]}" -ge 2 ] || fail "expected the main Exec and the simulated-rig action"
for e in "${execs[@]}"; do
    in_root sh -c "command -v ${e%% *}" >/dev/null || fail "Exec=$e: ${e%% *} is not on PATH"
done
sim_exec=""
for e in "${execs[@]}"; do case " $e " in *" --sim "*) sim_exec="$e";; esac; done
[ -n "$sim_exec" ] || fail "no Exec line starts the simulated rig"
# the main entry too: with no rig profile it falls back to the simulated rig
for e in "${execs[0]}" "$sim_exec"; do
    out="$(in_root env QT_QPA_PLATFORM=offscreen TELEOP_STUDIO_EXIT_AFTER_SHOWN=1 timeout 120 sh -c "$e" 2>"$OUT/launch.err")" \
        || { tail -n 30 "$OUT/launch.err"; fail "Exec=$e exited with an error"; }
    grep '^startup-probe:' <<<"$out" || { tail -n 30 "$OUT/launch.err"; fail "Exec=$e showed no window"; }
done

step "record one short episode headless and check it"
in_root timeout 300 teleop-studio record --sim --repo-id lab/package-test --root /root/datasets/package-test \
    --episodes 1 --episode-time-s 2 --reset-time-s 0 --task "pick up the cube" --fps 30 \
    --width 320 --height 240 \
    || fail "teleop-studio record failed"
in_root timeout 120 teleop-studio check /root/datasets/package-test || fail "teleop-studio check failed"
n_videos="$(find "$ROOT/root/datasets/package-test/videos" -name '*.mp4' | wc -l)"
[ "$n_videos" -ge 1 ] || fail "no videos recorded"
echo "dataset: $(du -sh "$ROOT/root/datasets/package-test" | cut -f1), $n_videos video file(s)"

step "purge and look for leftovers"
in_root dpkg --purge teleop-studio || fail "dpkg --purge failed"
snapshot > "$OUT/files-after.txt"
if ! diff "$OUT/files-before.txt" "$OUT/files-after.txt" > "$OUT/files-diff.txt"; then
    cat "$OUT/files-diff.txt"; fail "files left behind (or removed) outside user data"
fi
[ -d "$ROOT/root/datasets/package-test" ] || fail "user data was removed"
echo "no files left behind; user data kept: $(cd "$ROOT/root" && find . -mindepth 1 -maxdepth 3 -type d | sort | tr '\n' ' ')"

cleanup
echo
echo "PACKAGE TEST PASSED in $(( $(date +%s) - t0 )) s"
echo "  bundle    $(human_size "$BUNDLE")  ($BUNDLE)"
echo "  .deb      $(human_size "$DEB")  ($(basename "$DEB"), installed $(dpkg-deb -f "$DEB" Installed-Size) KiB)"
echo "  start-up  ${first} s to window, first run after the build; median of the next three ${warm_median} s (target <= 3 s)"
