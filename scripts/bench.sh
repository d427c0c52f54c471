#!/usr/bin/env bash
# Benchmarks our bench-server against Node's socket.io reference server, side by side
# (docs/benchmarks.md). Builds bench-server and bench-load (Release), then for each scenario and
# each repeat starts each server fresh, in alternating order, runs bench-load against it with the
# server's pid (CPU from /proc/<pid>/stat, RSS from /proc/<pid>/status), and prints medians,
# spread (min-max) and the ratio ours/Node.
#
#   scripts/bench.sh [--quick] [--repeats N (default 5, --quick: 1)] [--scenarios "connect fanout echo polling binary"]
#                    [--markdown FILE] [--no-build] [-- extra bench-load options]
#
# Environment: BENCH_BUILD_DIR (default <repo>/build-bench), BENCH_JOBS (default 2),
# BENCH_SERVERS (default "ours node"; "ours" is bench-server as deployed: SocketIo::EpollEventDispatcher,
# the library's backlog 511 and TCP_NODELAY; also "ours-qtdispatcher": the same on Qt's own UNIX event
# dispatcher (--event-dispatcher qt, with QT_NO_GLIB=1), which "ours" was until the epoll dispatcher;
# "ours-glib": Qt's GLib event dispatcher (QT_NO_GLIB set empty); "ours-noglib": the same as
# "ours-qtdispatcher"; "ours-tuned"/"ours-tuned-noglib": with --backlog 511 --nodelay, which the
# library now does itself, on the epoll / on Qt's UNIX dispatcher); "ours-2w": bench-server --workers 2 (two event-loop
# workers on one port, SocketIo::ServerWorkers); "qt-floor" / "ws-floor": plain QtWebSockets
# (bench/floor-server.cpp) and plain Node ws (bench/node/floor-server.js) answering the WebSocket
# scenarios (connect, echo, fanout) by string handling, no Engine.IO/Socket.IO layer: what the
# WebSocket library alone costs (docs/benchmarks.md, "Floors"; the Qt floors run on the same event
# dispatcher as "ours", "qt-floor-qtdispatcher" on Qt's UNIX one); "qt-raw-floor": the same string
# handling over a minimal WebSocket written on QTcpSocket (floor-server --raw-websocket), what a
# server-side WebSocket of our own on QTcpSocket could reach at best.
# The variants show the effect of a configuration; "ours" is the library as it is.
# The defaults (5 repeats) take about 10 minutes on a 2-core machine; --quick is a ~1 minute smoke run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${BENCH_BUILD_DIR:-$ROOT/build-bench}"
JOBS="${BENCH_JOBS:-2}"
QUICK=""
REPEATS=""
SCENARIOS="connect fanout echo polling binary"
MARKDOWN=""
BUILD_FIRST=1
EXTRA=()

while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) QUICK="--quick"; shift ;;
        --repeats) REPEATS="$2"; shift 2 ;;
        --scenarios) SCENARIOS="$2"; shift 2 ;;
        --markdown) MARKDOWN="$2"; shift 2 ;;
        --no-build) BUILD_FIRST=0; shift ;;
        --) shift; EXTRA=("$@"); break ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ -n "$REPEATS" ]] || { [[ -n "$QUICK" ]] && REPEATS=1 || REPEATS=5; }

command -v node >/dev/null || { echo "bench.sh: node is not on PATH (scripts/setup.sh)" >&2; exit 1; }
[[ -f "$ROOT/node_modules/socket.io/package.json" ]] || {
    echo "bench.sh: socket.io is not installed in $ROOT/node_modules (scripts/setup.sh)" >&2; exit 1; }

SERVERS="${BENCH_SERVERS:-ours node}"
if [[ $BUILD_FIRST == 1 ]]; then
    if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
        cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    fi
    targets=(bench-server bench-load)
    [[ " $SERVERS " == *" qt-floor"* || " $SERVERS " == *" qt-raw-floor "* ]] && targets+=(floor-server)
    cmake --build "$BUILD" -j"$JOBS" --target "${targets[@]}"
fi
SERVER_BIN="$BUILD/bench/bench-server"
FLOOR_BIN="$BUILD/bench/floor-server"
LOAD_BIN="$BUILD/bench/bench-load"
[[ -x "$SERVER_BIN" && -x "$LOAD_BIN" ]] || { echo "bench.sh: missing $SERVER_BIN or $LOAD_BIN" >&2; exit 1; }

# many connections need many descriptors (the servers and bench-load raise their own soft limit too)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RESULTS="$BUILD/bench-results-$STAMP.jsonl"
: > "$RESULTS"
SERVER_PID=""
SERVER_OUT="$(mktemp)"
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -f "$SERVER_OUT"
}
trap cleanup EXIT

start_server() {   # $1 = ours | node | ours-glib | ours-noglib | ...; sets SERVER_PID and SERVER_PORT
    : > "$SERVER_OUT"
    case "$1" in
        ours) "$SERVER_BIN" --port 0 >"$SERVER_OUT" 2>&1 & ;;
        ours-qtdispatcher|ours-noglib) QT_NO_GLIB=1 "$SERVER_BIN" --port 0 --event-dispatcher qt >"$SERVER_OUT" 2>&1 & ;;
        ours-glib) QT_NO_GLIB= "$SERVER_BIN" --port 0 --event-dispatcher qt >"$SERVER_OUT" 2>&1 & ;;
        ours-2w) "$SERVER_BIN" --port 0 --workers 2 >"$SERVER_OUT" 2>&1 & ;;
        ours-tuned) "$SERVER_BIN" --port 0 --backlog 511 --nodelay >"$SERVER_OUT" 2>&1 & ;;
        ours-tuned-noglib) QT_NO_GLIB=1 "$SERVER_BIN" --port 0 --backlog 511 --nodelay --event-dispatcher qt >"$SERVER_OUT" 2>&1 & ;;
        node) node "$ROOT/bench/node/bench-server.js" --port 0 >"$SERVER_OUT" 2>&1 & ;;
        qt-floor) "$FLOOR_BIN" --port 0 >"$SERVER_OUT" 2>&1 & ;;
        qt-floor-qtdispatcher) "$FLOOR_BIN" --port 0 --event-dispatcher qt >"$SERVER_OUT" 2>&1 & ;;
        qt-raw-floor) "$FLOOR_BIN" --raw-websocket --port 0 >"$SERVER_OUT" 2>&1 & ;;
        ws-floor) node "$ROOT/bench/node/floor-server.js" --port 0 >"$SERVER_OUT" 2>&1 & ;;
        *) echo "bench.sh: unknown server $1 in BENCH_SERVERS" >&2; exit 2 ;;
    esac
    SERVER_PID=$!
    for _ in $(seq 100); do
        SERVER_PORT="$(grep -o '"port":[0-9]*' "$SERVER_OUT" | head -1 | cut -d: -f2 || true)"
        [[ -n "$SERVER_PORT" ]] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "bench.sh: the $1 server did not start:" >&2; cat "$SERVER_OUT" >&2; exit 1
}

stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

{
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "memory: $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo)"
    echo "Qt $(qtpaths6 --qt-version 2>/dev/null || qtpaths --qt-version 2>/dev/null || echo '(unknown)'), $(c++ --version | head -1)"
    echo "node $(node --version), socket.io $(node -p "require('$ROOT/node_modules/socket.io/package.json').version")"
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), servers: $SERVERS, repeats: $REPEATS${QUICK:+ (quick)}"
} | tee "$RESULTS.info"

FAILED=0
for scenario in $SCENARIOS; do
    for rep in $(seq "$REPEATS"); do
        # alternate which server goes first, so neither always runs on a warmer/cooler machine
        if (( rep % 2 )); then order="$SERVERS"; else order="$(echo $SERVERS | tr ' ' '\n' | tac | tr '\n' ' ')"; fi
        for server in $order; do
            if [[ ($server == *-floor || $server == *-floor-*) && $scenario != connect && $scenario != echo && $scenario != fanout ]]; then
                continue   # the floor servers answer the WebSocket scenarios only
            fi
            start_server "$server"
            echo "== $scenario, repeat $rep/$REPEATS, $server (pid $SERVER_PID, port $SERVER_PORT)" >&2
            if ! "$LOAD_BIN" "$scenario" $QUICK --port "$SERVER_PORT" --server-pid "$SERVER_PID" \
                    --label "$server" "${EXTRA[@]}" | tee -a "$RESULTS"; then
                echo "bench.sh: $scenario against $server failed (messages lost or an error)" >&2
                FAILED=1
            fi
            stop_server
        done
    done
done

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RESULTS.info"
echo "raw results: $RESULTS"
node "$ROOT/bench/report.js" "$RESULTS" ${MARKDOWN:+--markdown "$MARKDOWN"}
exit $FAILED
