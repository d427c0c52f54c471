#!/usr/bin/env bash
# Builds and runs the chat server example on port 3000 (or $PORT). Installs missing dependencies
# first (scripts/setup.sh). Arguments are passed to chat-server.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${PORT:-3000}"

"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" build --target chat-server

server="$(find "$ROOT/build/examples/chat-server" -type f -name chat-server -perm -u+x 2>/dev/null | head -n 1)"
if [[ -z "$server" ]]; then
    echo "run: chat-server was not built (examples/chat-server)" >&2
    exit 1
fi

cat <<INFO

Chat server: http://localhost:$PORT  (Socket.IO path /socket.io, Ctrl+C stops it)

Connect with the JavaScript client (installed in node_modules), from the repository root:
  node -e 'const s = require("socket.io-client")("http://localhost:$PORT");
           s.on("connect", () => s.emit("message", "Hello!"));
           s.onAny((event, ...args) => console.log(event, JSON.stringify(args)));'
or drive one interactively (type JSON commands, see the file's header):
  node tests/interop/js/client-scenario.js --url http://localhost:$PORT
  {"cmd":"emit","event":"message","args":["Hello!"]}

INFO
exec "$server" --port "$PORT" "$@"
