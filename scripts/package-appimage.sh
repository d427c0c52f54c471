#!/usr/bin/env bash
# Builds the Linux AppImage of libsocketio: SocketIo-<version>-x86_64.AppImage, holding
#   socketio-dashboard (the QML admin dashboard, default program) and chat-server (examples/chat-server)
# with the Qt libraries, plugins and QML modules they use, started by our own type-2 runtime
# (packaging/appimage/runtime.c).
#
#   scripts/package-appimage.sh [--build-dir DIR] [--output FILE] [--jobs N]
#
#   --build-dir DIR  CMake build directory to use (configured as Release if it has no CMakeCache.txt;
#                    an existing one is reused as it is). Default: <source>/build-appimage
#   --output FILE    the AppImage to write. Default: ./SocketIo-<version>-x86_64.AppImage
#   --jobs N         build parallelism (default 2)
#   --zstd-level N   SquashFS zstd level (default 9: within 10 % of level 15's size at a tenth of its time)
#
# Needs: cmake, a compiler, Qt 6 (qmake6 or qtpaths6, qmlimportscanner), mksquashfs (squashfs-tools),
# libsquashfuse-dev + libfuse3-dev for the runtime, ldd.
#
# What is bundled and what is not: every shared library `ldd` reports for the programs, the Qt plugins and
# the QML plugins, except the base system below (EXCLUDES), which a desktop Linux always has and which must
# match the host (loader, GPU driver, X server, font configuration, system bus). Libraries are found through
# LD_LIBRARY_PATH set by AppRun (no patchelf needed); Qt finds plugins and QML modules through usr/bin/qt.conf.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$ROOT/build-appimage"
OUTPUT=""
JOBS=2
ZSTD_LEVEL=9

while [ $# -gt 0 ]; do
    case "$1" in
        --build-dir) BUILD=$2; shift 2 ;;
        --build-dir=*) BUILD=${1#*=}; shift ;;
        --output) OUTPUT=$2; shift 2 ;;
        --output=*) OUTPUT=${1#*=}; shift ;;
        --jobs) JOBS=$2; shift 2 ;;
        --zstd-level) ZSTD_LEVEL=$2; shift 2 ;;
        -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "package-appimage: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

log() { printf '[package-appimage] %s\n' "$*" >&2; }
fail() { printf 'package-appimage: error: %s\n' "$*" >&2; exit 1; }

command -v mksquashfs >/dev/null || fail "mksquashfs not found (Debian: squashfs-tools)"
command -v ldd >/dev/null || fail "ldd not found"

ARCH=$(uname -m)
VERSION=$(sed -nE 's/^project\(SocketIo VERSION ([0-9.]+).*/\1/p' "$ROOT/CMakeLists.txt" | head -n1)
[ -n "$VERSION" ] || VERSION=0.0.0
[ -n "$OUTPUT" ] || OUTPUT="$PWD/SocketIo-$VERSION-$ARCH.AppImage"
mkdir -p "$(dirname "$OUTPUT")"
OUTPUT="$(cd "$(dirname "$OUTPUT")" && pwd)/$(basename "$OUTPUT")"
BUILD=$(mkdir -p "$BUILD" && cd "$BUILD" && pwd)

# ---------------------------------------------------------------- build
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    log "configuring $BUILD (Release)"
    gen=()
    command -v ninja >/dev/null && gen=(-G Ninja)
    cmake -S "$ROOT" -B "$BUILD" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DSOCKETIO_BUILD_BENCH=OFF \
          -DSOCKETIO_BUILD_TESTS=OFF >/dev/null
fi
grep -q '^SOCKETIO_BUILD_DASHBOARD:BOOL=ON' "$BUILD/CMakeCache.txt" \
    || fail "$BUILD does not build the dashboard (SOCKETIO_BUILD_DASHBOARD=OFF)"

# the programs, and every target an install rule refers to (cmake --install needs them built)
available=$(cmake --build "$BUILD" --target help 2>/dev/null | sed -E 's/^\.\.\. //; s/:.*$//')
targets=()
for t in socketio-dashboard chat-server SocketIo Protocol Redis SocketIoQml appimage-runtime; do
    if grep -qx "$t" <<<"$available"; then targets+=("$t"); fi
done
for t in socketio-dashboard chat-server; do
    grep -qx "$t" <<<"$available" || fail "target $t is missing in $BUILD"
done
log "building ${targets[*]}"
mkdir -p "$BUILD/appimage"
if ! cmake --build "$BUILD" -j "$JOBS" --target "${targets[@]}" >"$BUILD/appimage/build.log" 2>&1; then
    grep -E 'error|FAILED' "$BUILD/appimage/build.log" | head -n 20 >&2
    fail "the build failed (full log: $BUILD/appimage/build.log)"
fi

if grep -qx appimage-runtime <<<"$available"; then
    RUNTIME=$(find "$BUILD" -path '*/packaging/appimage/appimage-runtime' -type f -print -quit)
else
    # the runtime is not part of that build tree: build it standalone next to it
    log "building the AppImage runtime standalone"
    cmake -S "$ROOT/packaging/appimage" -B "$BUILD/appimage-runtime-build" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD/appimage-runtime-build" -j "$JOBS" >/dev/null
    RUNTIME="$BUILD/appimage-runtime-build/appimage-runtime"
fi
[ -x "$RUNTIME" ] || fail "appimage-runtime was not built (needs libsquashfuse-dev and libfuse3-dev)"

# ---------------------------------------------------------------- AppDir
WORK="$BUILD/appimage"
APPDIR="$WORK/AppDir"
rm -rf "$APPDIR"
mkdir -p "$APPDIR/usr/bin" "$APPDIR/usr/lib" "$APPDIR/usr/plugins" "$APPDIR/usr/qml"
: >"$WORK/bundled-libs.txt"
log "installing into $APPDIR/usr"
cmake --install "$BUILD" --prefix "$APPDIR/usr" >/dev/null
# development files are of no use in an application bundle
rm -rf "$APPDIR/usr/include" "$APPDIR/usr/share/doc"
find "$APPDIR/usr" -depth \( -path '*/lib*/cmake' -o -path '*/lib*/pkgconfig' \) -exec rm -rf {} +
find "$APPDIR/usr" -name '*.a' -delete
# our QML module SocketIo (installed under <libdir>/qml) goes next to Qt's QML modules
for d in "$APPDIR"/usr/lib/qml "$APPDIR"/usr/lib/*/qml; do
    if [ -d "$d" ]; then cp -a "$d/." "$APPDIR/usr/qml/" && rm -rf "$d"; fi
done
# libraries installed into a multiarch libdir move to usr/lib
for d in "$APPDIR"/usr/lib/*-linux-gnu*; do
    if [ -d "$d" ]; then cp -a "$d/." "$APPDIR/usr/lib/" && rm -rf "$d"; fi
done

# chat-server has no install rule: take it from the build tree, without its build-tree RUNPATH
chat=$(find "$BUILD/examples" -path '*/chat-server/chat-server' -type f -print -quit)
[ -n "$chat" ] || fail "chat-server binary not found under $BUILD/examples"
cp "$chat" "$APPDIR/usr/bin/chat-server"
cat >"$WORK/rpath-remove.cmake" <<'EOF'
file(RPATH_REMOVE FILE "${FILE}")
EOF
cmake -DFILE="$APPDIR/usr/bin/chat-server" -P "$WORK/rpath-remove.cmake"
[ -x "$APPDIR/usr/bin/socketio-dashboard" ] || fail "socketio-dashboard was not installed"

# ---------------------------------------------------------------- Qt plugins and QML modules
QMAKE=$(command -v qmake6 || command -v /usr/lib/qt6/bin/qmake || true)
[ -n "$QMAKE" ] || fail "qmake6 not found (Qt 6 development tools)"
QT_PLUGINS=$("$QMAKE" -query QT_INSTALL_PLUGINS)
QT_QML=$("$QMAKE" -query QT_INSTALL_QML)
QT_LIBEXEC=$("$QMAKE" -query QT_INSTALL_LIBEXECS)

# plugin directories the programs use: windowing (xcb, wayland, offscreen, minimal), GL on xcb, images,
# icon engines (SVG icons), TLS backends (https/wss), input methods, network information.
# platformthemes (gtk3) is left out: it would pull the whole GTK stack for native dialogs we do not use.
for sub in platforms xcbglintegrations imageformats iconengines tls platforminputcontexts networkinformation \
           wayland-shell-integration wayland-decoration-client wayland-graphics-integration-client; do
    [ -d "$QT_PLUGINS/$sub" ] || continue
    mkdir -p "$APPDIR/usr/plugins/$sub"
    for so in "$QT_PLUGINS/$sub"/*.so; do
        [ -e "$so" ] || continue
        case "$sub/$(basename "$so")" in
            # framebuffer, VNC and Vulkan-display back ends are for embedded devices
            platforms/libqlinuxfb.so|platforms/libqvnc.so|platforms/libqvkkhrdisplay.so|platforms/libqeglfs.so|platforms/libqminimalegl.so) continue ;;
        esac
        cp "$so" "$APPDIR/usr/plugins/$sub/"
    done
done

# QML modules the dashboard imports, recursively, as Qt's import scanner resolves them
# (QtQuick, QtQuick.Controls + styles, QtQuick.Layouts, QtQuick.Shapes, QtQml, ...)
scanner="$QT_LIBEXEC/qmlimportscanner"
[ -x "$scanner" ] || fail "qmlimportscanner not found in $QT_LIBEXEC"
"$scanner" -rootPath "$ROOT/admin-ui/qml" -importPath "$QT_QML" \
    | sed -nE 's/^ *"path": *"([^"]*)".*/\1/p' | sort -u >"$WORK/qml-modules.txt"
while IFS= read -r dir; do
    case "$dir" in "$QT_QML"/*) ;; *) continue ;; esac   # only Qt's own modules (ours are compiled in)
    rel=${dir#"$QT_QML"/}
    mkdir -p "$APPDIR/usr/qml/$rel"
    find "$dir" -maxdepth 1 -type f -exec cp {} "$APPDIR/usr/qml/$rel/" \;
done <"$WORK/qml-modules.txt"
[ -f "$APPDIR/usr/qml/QtQuick/Controls/qmldir" ] || fail "QtQuick.Controls was not found by qmlimportscanner"

cat >"$APPDIR/usr/bin/qt.conf" <<'EOF'
[Paths]
Prefix = ..
Libraries = lib
Plugins = plugins
QmlImports = qml
Qml2Imports = qml
EOF

# ---------------------------------------------------------------- shared libraries
# Not bundled (the host's own copy must be used), one reason each:
EXCLUDES=(
    # glibc: must match the host's dynamic loader and kernel interface; the AppImage targets glibc >= build host
    'ld-linux*' 'libc.so*' 'libm.so*' 'libdl.so*' 'libpthread.so*' 'librt.so*' 'libresolv.so*' 'libutil.so*'
    'libanl.so*' 'libnsl.so*' 'libBrokenLocale.so*' 'libmvec.so*' 'libthread_db.so*'
    # C++ runtime: the host GPU driver loads its own (newer) libstdc++ into our process; two copies conflict.
    # Every distribution with glibc >= 2.36 ships GCC >= 12's libstdc++.
    'libstdc++.so*' 'libgcc_s.so*'
    # OpenGL/EGL/Vulkan and DRM: belong to the host's GPU driver
    'libGL.so*' 'libGLX*.so*' 'libEGL*.so*' 'libGLdispatch.so*' 'libOpenGL.so*' 'libGLESv2.so*' 'libdrm*.so*'
    'libgbm.so*' 'libvulkan.so*'
    # X11 core protocol libraries: part of every X session, shared with the GL driver
    'libX11.so*' 'libX11-xcb.so*' 'libxcb.so*' 'libXau.so*' 'libXdmcp.so*' 'libxcb-dri*.so*' 'libxcb-glx.so*'
    'libxcb-present.so*' 'libxcb-sync.so*' 'libxshmfence.so*'
    # fonts: must read the host's fontconfig configuration and cache format
    'libfontconfig.so*' 'libfreetype.so*' 'libexpat.so*'
    # D-Bus: speaks to the host's bus daemon
    'libdbus-1.so*'
    # zlib: universally present and ABI stable
    'libz.so*'
)
excluded() {
    local n=$1 p
    for p in "${EXCLUDES[@]}"; do
        # shellcheck disable=SC2053
        [[ $n == $p ]] && return 0
    done
    return 1
}

# libraries the programs load with dlopen() (ldd cannot see them), bundled when the build machine has them:
#   libsecret-1: QtKeychain's Secret Service backend (the dashboard's password store); it must match the
#                bundled GLib, so the host's copy is not used
DLOPENED=(libsecret-1.so.0)
for lib in "${DLOPENED[@]}"; do
    # awk reads to the end (no early exit): under pipefail, ldconfig killed by SIGPIPE would end the script
    src=$(ldconfig -p 2>/dev/null | awk -v n="$lib" '!found && $1 == n && /x86-64|64bit/ {print $NF; found = 1}')
    if [ -z "$src" ]; then
        for cand in /usr/lib/*-linux-gnu/"$lib" /usr/lib64/"$lib" /usr/lib/"$lib"; do
            if [ -e "$cand" ]; then src=$cand; break; fi
        done
    fi
    if [ -n "$src" ]; then
        cp -L "$src" "$APPDIR/usr/lib/$lib"
        echo "$lib <= $src (dlopen)" >>"$WORK/bundled-libs.txt"
    else
        log "note: $lib not found on this machine; the AppImage will use the host's"
    fi
done

log "collecting shared libraries"
mapfile -t elfs < <(find "$APPDIR/usr" -type f \( -perm -u+x -o -name '*.so' -o -name '*.so.*' \) \
                        -exec sh -c 'head -c4 "$1" | grep -q ELF && echo "$1"' _ {} \;)
missing=0
for f in "${elfs[@]}"; do
    while read -r name arrow path _; do
        if [ "$arrow" = "=>" ] && [ "$path" = "not" ]; then
            echo "package-appimage: warning: $(basename "$f") needs $name, which is not installed" >&2
            missing=1
            continue
        fi
        [ "$arrow" = "=>" ] && [ -f "$path" ] || continue
        excluded "$name" && continue
        [ -e "$APPDIR/usr/lib/$name" ] && continue
        cp -L "$path" "$APPDIR/usr/lib/$name"
        echo "$name <= $path" >>"$WORK/bundled-libs.txt"
    done < <(LD_LIBRARY_PATH="$APPDIR/usr/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ldd "$f" 2>/dev/null || true)
done
[ "$missing" = 0 ] || log "some plugin dependencies are missing on this machine (see warnings); those plugins will not load"
log "bundled $(wc -l <"$WORK/bundled-libs.txt") libraries (list: $WORK/bundled-libs.txt)"

# ---------------------------------------------------------------- AppRun, desktop entry, icon
install -m 0755 "$ROOT/packaging/appimage/AppRun" "$APPDIR/AppRun"
cp "$ROOT/resources/socketio-dashboard.desktop" "$APPDIR/"
cp "$ROOT/resources/socketio-dashboard.svg" "$APPDIR/"
ln -sf socketio-dashboard.svg "$APPDIR/.DirIcon"
mkdir -p "$APPDIR/usr/share/applications" "$APPDIR/usr/share/icons/hicolor/scalable/apps"
cp "$ROOT/resources/socketio-dashboard.desktop" "$APPDIR/usr/share/applications/"
cp "$ROOT/resources/socketio-dashboard.svg" "$APPDIR/usr/share/icons/hicolor/scalable/apps/"

# ---------------------------------------------------------------- image
log "creating the SquashFS image (zstd level $ZSTD_LEVEL)"
rm -f "$WORK/image.squashfs"
mksquashfs "$APPDIR" "$WORK/image.squashfs" -root-owned -noappend -comp zstd -Xcompression-level "$ZSTD_LEVEL" -processors "$JOBS" \
    -quiet -no-progress >/dev/null
cat "$RUNTIME" "$WORK/image.squashfs" >"$OUTPUT.tmp"
chmod 0755 "$OUTPUT.tmp"
mv -f "$OUTPUT.tmp" "$OUTPUT"
rm -f "$WORK/image.squashfs"   # the AppDir stays for inspection
log "wrote $OUTPUT ($(du -h "$OUTPUT" | cut -f1))"
echo "$OUTPUT"
