#!/usr/bin/env bash
# CTest "packaging_appimage": builds the AppImage with scripts/package-appimage.sh from the current build
# tree and checks it for real (see the numbered checks below). Prints "PASS: ..." per check, "SKIP: <why>"
# for the FUSE path when this machine cannot mount, and fails on the first broken check.
#
#   test-appimage.sh --source DIR --build-dir DIR --work DIR
set -uo pipefail

SRC="" BUILD="" WORK=""
while [ $# -gt 0 ]; do
    case "$1" in
        --source) SRC=$2; shift 2 ;;
        --build-dir) BUILD=$2; shift 2 ;;
        --work) WORK=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$SRC" ] && [ -n "$BUILD" ] && [ -n "$WORK" ] || { echo "usage: $0 --source DIR --build-dir DIR --work DIR" >&2; exit 2; }

pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "PASS: $*"; }

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
rm -rf "$WORK/tmp" "$WORK/extract" "$WORK"/*.AppImage "$WORK"/*.log
mkdir -p "$WORK/tmp" "$WORK/extract"
export TMPDIR="$WORK/tmp"      # the runtime's mount points and extraction dirs land here, checked below
APP="$WORK/SocketIo-test-x86_64.AppImage"

# ---- build the AppImage, reusing the configured build tree
start=$SECONDS
bash "$SRC/scripts/package-appimage.sh" --build-dir "$BUILD" --output "$APP" >"$WORK/package.log" 2>&1 \
    || { cat "$WORK/package.log" >&2; fail "package-appimage.sh failed"; }
[ -x "$APP" ] || fail "no AppImage written"
echo "built $APP ($(du -h "$APP" | cut -f1)) in $((SECONDS - start)) s"

# ---- (1) ELF magic and the AppImage type-2 magic 'A' 'I' 0x02 at offset 8
magic=$(od -An -tx1 -N4 "$APP" | tr -d ' \n')
[ "$magic" = "7f454c46" ] || fail "(1) no ELF magic: $magic"
aimagic=$(od -An -tx1 -j8 -N3 "$APP" | tr -d ' \n')
[ "$aimagic" = "414902" ] || fail "(1) bytes 8-10 are $aimagic, expected 41 49 02 ('AI' 0x02)"
pass "(1) ELF with AppImage type-2 magic"

# ---- (2) --appimage-offset equals the end of the ELF; the image lists the expected files
offset=$("$APP" --appimage-offset) || fail "(2) --appimage-offset failed"
shoff=$(readelf -h "$APP" | sed -nE 's/.*Start of section headers: *([0-9]+).*/\1/p')
shentsize=$(readelf -h "$APP" | sed -nE 's/.*Size of section headers: *([0-9]+).*/\1/p')
shnum=$(readelf -h "$APP" | sed -nE 's/.*Number of section headers: *([0-9]+).*/\1/p')
elfend=$((shoff + shnum * shentsize))
[ "$offset" = "$elfend" ] || fail "(2) --appimage-offset $offset != ELF end $elfend"
unsquashfs -o "$offset" -l "$APP" >"$WORK/listing.txt" 2>&1 || { cat "$WORK/listing.txt" >&2; fail "(2) unsquashfs cannot list the image"; }
for f in usr/bin/socketio-dashboard usr/bin/chat-server AppRun socketio-dashboard.desktop usr/bin/qt.conf \
         usr/lib/libQt6Core.so.6 usr/plugins/platforms/libqxcb.so usr/plugins/platforms/libqoffscreen.so \
         usr/qml/QtQuick/Controls/qmldir usr/qml/QtQuick/Layouts/qmldir; do
    grep -qx "squashfs-root/$f" "$WORK/listing.txt" || fail "(2) $f missing in the image"
done
pass "(2) offset $offset = ELF end; image holds the programs, AppRun, desktop file, Qt, plugins, QML modules"

# ---- helpers: start a chat-server from the AppImage, wait for its port, handshake
# start_chat <log> [env...]: sets chat_pid (the runtime) and chat_port
start_chat() {
    local log=$1; shift
    env "$@" "$APP" chat-server --port 0 --host 127.0.0.1 >"$log" 2>&1 &
    chat_pid=$!
    pids+=("$chat_pid")
    chat_port=""
    local _
    for _ in $(seq 1 600); do
        chat_port=$(sed -nE 's/.*listening on port ([0-9]+).*/\1/p' "$log" 2>/dev/null)
        [ -n "$chat_port" ] && return 0
        kill -0 "$chat_pid" 2>/dev/null || { cat "$log" >&2; return 1; }
        sleep 0.1
    done
    cat "$log" >&2
    return 1
}
# GET /socket.io/?EIO=4&transport=polling over bash's /dev/tcp; prints the response body
handshake() {
    local port=$1 reply
    reply=$(timeout 10 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
        printf "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" >&3
        cat <&3' "$port" 2>/dev/null) || true
    printf '%s' "$reply" | tr -d '\r' | sed '1,/^$/d'
}
# the program started by AppRun (exec) is the runtime's only child
child_of() {
    local c
    c=$(cat "/proc/$1/task/$1/children" 2>/dev/null | awk '{print $1}')
    [ -n "$c" ] || c=$(pgrep -P "$1" 2>/dev/null | head -n1)
    echo "$c"
}
stop_chat() {
    kill -TERM "$chat_pid" 2>/dev/null
    wait "$chat_pid" 2>/dev/null
}

# ---- (3) extract-and-run: chat-server serves a real Engine.IO handshake; (5) with the bundled Qt
start_chat "$WORK/chat-ear.log" APPIMAGE_EXTRACT_AND_RUN=1 || fail "(3) chat-server did not start from the AppImage"
body=$(handshake "$chat_port")
case "$body" in
    '0{"sid":'*) pass "(3) chat-server from the AppImage (extract-and-run) answers the handshake: ${body:0:40}..." ;;
    *) fail "(3) unexpected handshake answer: $body" ;;
esac
cpid=$(child_of "$chat_pid")
[ -n "$cpid" ] || fail "(5) chat-server process not found under the runtime ($chat_pid)"
grep -q "/chat-server$" <(readlink "/proc/$cpid/exe") || fail "(5) the runtime's child is $(readlink "/proc/$cpid/exe"), not chat-server"
qtcore=$(grep -o '/[^ ]*libQt6Core\.so[^ ]*' "/proc/$cpid/maps" | head -n1)
case "$qtcore" in
    "$TMPDIR"/appimage_extracted_*/usr/lib/libQt6Core.so.6) pass "(5) chat-server uses the bundled Qt: $qtcore" ;;
    *) fail "(5) chat-server uses $qtcore, not the AppImage's libQt6Core" ;;
esac
socketio=$(grep -o '/[^ ]*/libsocketio\.so[^ ]*' "/proc/$cpid/maps" | head -n1)
case "$socketio" in
    "$TMPDIR"/appimage_extracted_*) pass "(5) and the bundled libsocketio: $socketio" ;;
    *) fail "(5) chat-server uses $socketio, not the AppImage's libsocketio" ;;
esac
stop_chat
leftover=$(find "$TMPDIR" -mindepth 1 -maxdepth 1 -name 'appimage_extracted_*' | head -n1)
[ -z "$leftover" ] || fail "(3) extract-and-run left $leftover behind"
pass "(3) SIGTERM stops the program; the extracted directory is deleted"

# ---- (4) the dashboard from the AppImage: --help exits 0, and the GUI really starts offscreen with the
#          bundled QML modules (Qt Quick Controls' Fusion style plugin mapped from the AppImage)
help=$(QT_QPA_PLATFORM=offscreen APPIMAGE_EXTRACT_AND_RUN=1 "$APP" --help 2>&1) || fail "(4) dashboard --help failed: $help"
grep -q -- "--url" <<<"$help" || fail "(4) dashboard --help printed no options: $help"
version=$(APPIMAGE_EXTRACT_AND_RUN=1 "$APP" dashboard --version 2>&1) || fail "(4) dashboard --version failed"
pass "(4) dashboard --help exits 0; --version: $version"

QT_QPA_PLATFORM=offscreen APPIMAGE_EXTRACT_AND_RUN=1 "$APP" --no-keychain --settings "$WORK/dashboard.ini" \
    >"$WORK/dashboard.log" 2>&1 &
dash_pid=$!
pids+=("$dash_pid")
loaded=""
for _ in $(seq 1 600); do
    dpid=$(child_of "$dash_pid")
    if [ -n "$dpid" ] && grep -q "$TMPDIR/appimage_extracted_[^/]*/usr/qml/QtQuick/Controls/Fusion/.*\.so" "/proc/$dpid/maps" 2>/dev/null; then
        loaded=yes
        break
    fi
    kill -0 "$dash_pid" 2>/dev/null || break
    sleep 0.1
done
[ -n "$loaded" ] || { cat "$WORK/dashboard.log" >&2; fail "(4) the dashboard did not load the bundled QtQuick.Controls.Fusion"; }
# the window is up: give the engine a moment to finish loading, then it must still run without QML errors
for _ in $(seq 1 20); do kill -0 "$dash_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$dash_pid" 2>/dev/null || { cat "$WORK/dashboard.log" >&2; fail "(4) the dashboard exited early"; }
if grep -Eiq "is not installed|module .* not found|failed to load|cannot load library" "$WORK/dashboard.log"; then
    cat "$WORK/dashboard.log" >&2
    fail "(4) QML/plugin errors from the dashboard"
fi
kill -TERM "$dash_pid"; wait "$dash_pid" 2>/dev/null
pass "(4) dashboard GUI runs offscreen from the AppImage with the bundled QML modules"

# ---- (4b) on a real X server (Xvfb), when available: the bundled xcb platform plugin with the host's libxcb/GL
if command -v xvfb-run >/dev/null && command -v xauth >/dev/null; then
    cat >"$WORK/xcb-check.sh" <<'EOF'
#!/usr/bin/env bash
# runs the dashboard on $DISPLAY, waits until the bundled xcb plugin is mapped, prints the proof, stops it
app=$1 work=$2
QT_QPA_PLATFORM=xcb APPIMAGE_EXTRACT_AND_RUN=1 "$app" --no-keychain --settings "$work/dashboard-xcb.ini" \
    >"$work/dashboard-xcb.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
    c=$(awk '{print $1}' "/proc/$pid/task/$pid/children" 2>/dev/null)
    if [ -n "$c" ] && grep -q "appimage_extracted_[^/]*/usr/plugins/platforms/libqxcb.so" "/proc/$c/maps" 2>/dev/null; then
        grep -o "/[^ ]*appimage_extracted_[^/]*/usr/plugins/platforms/libqxcb.so" "/proc/$c/maps" | head -n1
        # the window is being created: it must survive the first second on the X server
        for _ in $(seq 1 10); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null || { echo "dashboard exited"; exit 1; }
        kill -TERM "$pid"; wait "$pid"
        exit 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
kill -TERM "$pid" 2>/dev/null
echo "xcb platform plugin not loaded from the AppImage"
exit 1
EOF
    out=$(timeout 120 xvfb-run -a bash "$WORK/xcb-check.sh" "$APP" "$WORK" 2>&1) \
        || { cat "$WORK/dashboard-xcb.log" >&2; fail "(4b) dashboard on Xvfb: $out"; }
    pass "(4b) dashboard on Xvfb with the bundled $(tail -n1 <<<"$out")"
else
    echo "SKIP: (4b) xvfb-run/xauth not installed: the xcb platform plugin is not exercised"
fi

# ---- (6) --appimage-extract writes squashfs-root; the extracted tree runs on its own
(cd "$WORK/extract" && "$APP" --appimage-extract >/dev/null) || fail "(6) --appimage-extract failed"
[ -x "$WORK/extract/squashfs-root/AppRun" ] || fail "(6) squashfs-root/AppRun missing"
[ -x "$WORK/extract/squashfs-root/usr/bin/chat-server" ] || fail "(6) squashfs-root/usr/bin/chat-server missing"
[ -L "$WORK/extract/squashfs-root/.DirIcon" ] || fail "(6) symlink .DirIcon not extracted as a symlink"
"$WORK/extract/squashfs-root/AppRun" chat-server --help >/dev/null 2>&1 || fail "(6) extracted AppRun chat-server --help failed"
(cd "$WORK/extract" && rm -rf squashfs-root && "$APP" --appimage-extract '*.desktop' >/dev/null) \
    || fail "(6) --appimage-extract PATTERN failed"
[ -f "$WORK/extract/squashfs-root/socketio-dashboard.desktop" ] && [ ! -e "$WORK/extract/squashfs-root/AppRun" ] \
    || fail "(6) --appimage-extract '*.desktop' extracted the wrong set"
pass "(6) --appimage-extract writes squashfs-root (AppRun, programs, symlinks); a PATTERN limits it"

# ---- (7) broken AppImages: clear error, non-zero exit, no crash (exit status < 128)
size=$(stat -c %s "$APP")
expect_error() { # <file> <what> <regex> [args...]
    local file=$1 what=$2 re=$3; shift 3
    local out rc
    out=$(APPIMAGE_EXTRACT_AND_RUN=1 "$file" "$@" 2>&1 </dev/null); rc=$?
    [ "$rc" -ne 0 ] || fail "(7) $what: exit status 0"
    [ "$rc" -lt 128 ] || fail "(7) $what: killed by signal $((rc - 128)): $out"
    grep -Eq "$re" <<<"$out" || fail "(7) $what: unclear error: $out"
    pass "(7) $what -> exit $rc: $(head -n1 <<<"$out")"
}
head -c $((offset + (size - offset) / 2)) "$APP" >"$WORK/truncated.AppImage"; chmod +x "$WORK/truncated.AppImage"
expect_error "$WORK/truncated.AppImage" "truncated image" "truncated AppImage" chat-server --help
head -c "$offset" "$APP" >"$WORK/noimage.AppImage"; chmod +x "$WORK/noimage.AppImage"
expect_error "$WORK/noimage.AppImage" "runtime without image" "no SquashFS image"
cp "$APP" "$WORK/badmagic.AppImage"
printf 'XXXX' | dd of="$WORK/badmagic.AppImage" bs=1 seek="$offset" conv=notrunc status=none
expect_error "$WORK/badmagic.AppImage" "corrupt superblock" "invalid or corrupt AppImage"
# a damaged directory table (the superblock points to it): traversal must fail cleanly
dirtable=$(od -An -t u8 -j $((offset + 72)) -N8 "$APP" | tr -d ' ')
cp "$APP" "$WORK/baddir.AppImage"
head -c 512 /dev/zero | tr '\0' '\377' | dd of="$WORK/baddir.AppImage" bs=1 seek=$((offset + dirtable)) conv=notrunc status=none
rm -rf "$WORK/extract/squashfs-root"
out=$(cd "$WORK/extract" && "$WORK/baddir.AppImage" --appimage-extract 2>&1); rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] || fail "(7) damaged directory table: exit $rc: $out"
pass "(7) damaged directory table -> exit $rc: $(head -n1 <<<"$out")"
out=$("$APP" --appimage-bogus 2>&1); rc=$?
[ "$rc" -ne 0 ] && grep -q "unknown option" <<<"$out" || fail "(7) unknown --appimage- option accepted"
rm -f "$WORK"/truncated.AppImage "$WORK"/noimage.AppImage "$WORK"/badmagic.AppImage "$WORK"/baddir.AppImage
rm -rf "$WORK/extract/squashfs-root"

# ---- (8) the FUSE path (default mode), when this machine can mount
fuse_reason=""
if [ ! -e /dev/fuse ]; then fuse_reason="no /dev/fuse"
elif [ ! -r /dev/fuse ] || [ ! -w /dev/fuse ]; then fuse_reason="/dev/fuse not accessible"
elif [ "$(id -u)" != 0 ] && ! command -v fusermount3 >/dev/null; then fuse_reason="not root and no fusermount3"
fi
if [ -n "$fuse_reason" ]; then
    echo "SKIP: FUSE mount path not exercised: $fuse_reason; checking the announced fallback instead"
    start_chat "$WORK/chat-fuse.log" || fail "(8) chat-server did not start via the fallback"
    grep -q "falling back to extract-and-run" "$WORK/chat-fuse.log" || fail "(8) no fallback message"
    body=$(handshake "$chat_port")
    [ "${body:0:8}" = '0{"sid":' ] || fail "(8) handshake via fallback: $body"
    stop_chat
    pass "(8) without FUSE the AppImage says so and falls back to extract-and-run"
else
    start_chat "$WORK/chat-fuse.log" || fail "(8) chat-server did not start from the FUSE-mounted AppImage"
    if grep -q "falling back" "$WORK/chat-fuse.log"; then
        echo "SKIP: FUSE mount refused here: $(head -n1 "$WORK/chat-fuse.log"); fallback used"
        body=$(handshake "$chat_port")
        [ "${body:0:8}" = '0{"sid":' ] || fail "(8) handshake via fallback: $body"
        stop_chat
    else
        body=$(handshake "$chat_port")
        [ "${body:0:8}" = '0{"sid":' ] || fail "(8) handshake via FUSE: $body"
        cpid=$(child_of "$chat_pid")
        qtcore=$(grep -o '/[^ ]*libQt6Core\.so[^ ]*' "/proc/$cpid/maps" | head -n1)
        mnt=${qtcore%/usr/lib/*}
        case "$mnt" in "$TMPDIR"/.mount_*) ;; *) fail "(8) Qt not loaded from a FUSE mount point: $qtcore" ;; esac
        grep -q " $mnt fuse" /proc/mounts || fail "(8) $mnt is not a FUSE mount"
        stop_chat
        grep -q " $mnt " /proc/mounts && fail "(8) $mnt still mounted after the program exited"
        [ ! -e "$mnt" ] || fail "(8) mount point $mnt not removed"
        pass "(8) FUSE: handshake OK, Qt from $mnt, unmounted and removed after SIGTERM"
        # exit status of AppRun's program is the AppImage's
        "$APP" chat-server --port 1 --host 256.0.0.1 >/dev/null 2>&1; rc=$?
        [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] || fail "(8) failing program: exit status $rc not passed through"
        # --appimage-mount prints the mount point and serves until SIGTERM
        "$APP" --appimage-mount >"$WORK/mount.log" 2>&1 &
        mpid=$!; pids+=("$mpid")
        for _ in $(seq 1 100); do [ -s "$WORK/mount.log" ] && break; sleep 0.1; done
        mp=$(head -n1 "$WORK/mount.log")
        [ -x "$mp/AppRun" ] || fail "(8) --appimage-mount: $mp/AppRun not visible"
        kill -TERM "$mpid"; wait "$mpid" 2>/dev/null
        grep -q " $mp " /proc/mounts && fail "(8) --appimage-mount left $mp mounted"
        pass "(8) --appimage-mount mounts at $mp and unmounts on SIGTERM"
    fi
fi
# ---- (9) an unprivileged user without access to /dev/fuse gets the one-line notice and the fallback
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && [ "$(stat -c %a /dev/fuse 2>/dev/null)" = 600 ]; then
    nobody_tmp="$WORK/tmp-nobody"
    mkdir -p "$nobody_tmp" && chmod 1777 "$nobody_tmp"
    if setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$APP"; then
        start_chat "$WORK/chat-nobody.log" TMPDIR="$nobody_tmp" setpriv --reuid=65534 --regid=65534 --clear-groups \
            || fail "(9) chat-server as nobody did not start"
        body=$(handshake "$chat_port")
        [ "${body:0:8}" = '0{"sid":' ] || fail "(9) handshake as nobody: $body"
        grep -q "FUSE not usable (/dev/fuse: Permission denied); falling back to extract-and-run" "$WORK/chat-nobody.log" \
            || fail "(9) no FUSE notice for nobody: $(cat "$WORK/chat-nobody.log")"
        stop_chat
        [ -z "$(ls -A "$nobody_tmp")" ] || fail "(9) fallback left files in $nobody_tmp"
        pass "(9) as nobody (no /dev/fuse access): '$(grep -m1 FUSE "$WORK/chat-nobody.log")', handshake OK"
    else
        echo "SKIP: (9) user nobody cannot reach $APP (directory permissions)"
    fi
else
    echo "SKIP: (9) unprivileged fallback check needs root, setpriv and a root-only /dev/fuse"
fi
echo "all AppImage checks passed"
