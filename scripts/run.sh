#!/usr/bin/env bash
# The main job: builds and runs the chat server example on port 3000 (or $PORT) with the admin
# namespace (/admin, no authentication, development mode) and opens the admin dashboard
# connected to it. Installs missing dependencies first (scripts/setup.sh).
#
# Without a display ($DISPLAY / $WAYLAND_DISPLAY unset) the dashboard is not started; the script
# prints how to open it, or the official web admin UI, instead.
# Arguments are passed to chat-server (e.g. --recovery, --redis redis://127.0.0.1:6379).
# SOCKETIO_NO_DASHBOARD=1 never starts the dashboard.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${PORT:-3000}"

"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" build --target chat-server socketio-dashboard

server="$ROOT/build/examples/chat-server/chat-server"
dashboard="$ROOT/build/admin-ui/socketio-dashboard"
for exe in "$server" "$dashboard"; do
    if [[ ! -x "$exe" ]]; then
        echo "run: $exe was not built" >&2
        exit 1
    fi
done

cat <<INFO

Chat server: http://localhost:$PORT  (Socket.IO path /socket.io, admin namespace /admin; Ctrl+C stops it)

Connect with the JavaScript client (installed in node_modules), from the repository root:
  node -e 'const s = require("socket.io-client")("http://localhost:$PORT");
           s.on("connect", () => s.emit("message", "Hello!"));
           s.onAny((event, ...args) => console.log(event, JSON.stringify(args)));'
or from a web page: <script src="http://localhost:$PORT/socket.io/socket.io.js"></script>
(served by the chat server, --serve-client), then io("http://localhost:$PORT");
or drive one interactively (type JSON commands, see the file's header):
  node tests/interop/js/client-scenario.js --url http://localhost:$PORT
  {"cmd":"emit","event":"message","args":["Hello!"]}

INFO

"$server" --port "$PORT" --admin --serve-client "$ROOT/node_modules/socket.io-client/dist" "$@" &
server_pid=$!
dashboard_pid=
cleanup() {
    [[ -n "$dashboard_pid" ]] && kill "$dashboard_pid" 2>/dev/null || true
    kill "$server_pid" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

if [[ -z "${SOCKETIO_NO_DASHBOARD:-}" && ( -n "${DISPLAY:-}" || -n "${WAYLAND_DISPLAY:-}" ) ]]; then
    echo "Opening the admin dashboard (build/admin-ui/socketio-dashboard) on http://localhost:$PORT/admin"
    "$dashboard" --url "http://localhost:$PORT" --no-keychain &
    dashboard_pid=$!
else
    cat <<INFO
No display, so the admin dashboard was not opened. On a desktop, open it with:
  build/admin-ui/socketio-dashboard --url http://localhost:$PORT
or, on this machine under a virtual display (screenshots: see tests/dashboard):
  xvfb-run -a build/admin-ui/socketio-dashboard --url http://localhost:$PORT
The official web UI works too: https://admin.socket.io (server URL http://localhost:$PORT,
no authentication), or serve node_modules/@socket.io/admin-ui/ui/dist from any static web server.

INFO
fi

wait "$server_pid"
