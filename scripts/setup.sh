#!/usr/bin/env bash
# Installs what building and testing libsocketio needs, and only what is missing:
#   - Debian packages (apt-get; `apt-get update` runs only when something has to be installed),
#   - the pinned npm packages of package-lock.json (`npm ci`, when node_modules is missing or stale).
# Idempotent and quiet when there is nothing to do. Called by scripts/run.sh and scripts/test.sh.
#
# To add a dependency, append it to one of the lists below (one group per purpose).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# ---- Debian packages, grouped by purpose --------------------------------------------------------
# Installed with --no-install-recommends: list everything needed explicitly.
APT_BUILD=(build-essential cmake ninja-build pkg-config ca-certificates)
APT_QT=(qt6-base-dev qt6-websockets-dev)
# clang 14 with its runtime libraries: libFuzzer and the sanitizer runtimes for tests/fuzz
APT_FUZZ=(clang libclang-rt-14-dev)
# QML module SocketIo and its Qt Quick Test: Qml/QuickTest development files plus the QML modules
# the test imports at run time (QtTest needs QtQuick and QtQuick.Window; QtQml needs Models and
# WorkerScript), which --no-install-recommends would otherwise leave out
APT_QML=(qt6-declarative-dev qml6-module-qtqml qml6-module-qtqml-models qml6-module-qtqml-workerscript
         qml6-module-qtquick qml6-module-qtquick-window qml6-module-qttest)
# tests/interop/tst_interop_tls generates a throwaway self-signed certificate with the openssl CLI;
# tst_server_values sets TZ to named zones (the handshake time as Node prints it), which the C
# library reads from tzdata (minimal Debian images leave it out)
APT_TLS=(openssl tzdata)
# Admin dashboard (admin-ui/, QML module SocketIoAdmin): Qt Quick Controls and Layouts, Shapes for the
# charts, QtKeychain for credentials; its tests store secrets in gnome-keyring inside dbus-run-session
# (dbus-x11 provides dbus-launch) and take screenshots offscreen. libcrypt-dev: crypt_r for bcrypt.
APT_ADMIN=(qml6-module-qtquick-controls qml6-module-qtquick-layouts qml6-module-qtquick-templates
           qml6-module-qtquick-shapes qml6-module-qt-labs-settings qml6-module-qtquick-dialogs
           qml6-module-qt-labs-platform qtkeychain-qt6-dev libcrypt-dev gnome-keyring dbus-x11 libsecret-tools)
# The official admin UI is driven by playwright-core in Debian's chromium; xvfb for a real display
APT_BROWSER=(chromium xvfb)
# Redis adapter (target SocketIo::Redis): hiredis with its Qt adapter, msgpack-c; redis-server for tests
APT_REDIS=(libhiredis-dev libmsgpack-dev redis-server)
# AppImage (scripts/package-appimage.sh, tests/packaging): mksquashfs/unsquashfs, and for our own type-2
# runtime squashfuse's library and libfuse3 (static), with the .a of the decompressors squashfuse uses
APT_PACKAGING=(squashfs-tools libsquashfuse-dev libfuse3-dev fuse3 liblz4-dev libzstd-dev liblzo2-dev)
APT_PACKAGES=("${APT_BUILD[@]}" "${APT_QT[@]}" "${APT_FUZZ[@]}" "${APT_QML[@]}" "${APT_TLS[@]}"
              "${APT_ADMIN[@]}" "${APT_BROWSER[@]}" "${APT_REDIS[@]}" "${APT_PACKAGING[@]}")

# Node.js: any `node` on PATH will do (developer machines often have one from nodesource or nvm);
# Debian's own is installed only when there is none.
if ! command -v node >/dev/null 2>&1; then
    APT_PACKAGES+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
    APT_PACKAGES+=(npm)
fi

log() { printf 'setup: %s\n' "$*" >&2; }

is_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" == ii* ]]
}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done

if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    SUDO=()
    if ((EUID != 0)); then
        if command -v sudo >/dev/null 2>&1; then
            SUDO=(sudo)
        else
            log "not root and no sudo: please install ${missing[*]}"
            exit 1
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    for pkg in "${missing[@]}"; do
        is_installed "$pkg" || { log "failed to install $pkg"; exit 1; }
    done
    log "Debian packages installed"
fi

# ---- npm packages (pinned in package-lock.json) ----------------------------------------------------
# npm writes node_modules/.package-lock.json after a successful install: if it is missing or older
# than the lockfile (or package.json), the tree is incomplete or stale.
marker="$ROOT/node_modules/.package-lock.json"
if [[ ! -f "$marker" || "$ROOT/package-lock.json" -nt "$marker" || "$ROOT/package.json" -nt "$marker" ]]; then
    log "installing npm packages (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    touch "$marker"
    log "npm packages installed"
fi
