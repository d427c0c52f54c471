// The floor of a Node server: plain ws (the WebSocket library under socket.io, the copy its
// engine.io resolves, pinned by the repository's package-lock.json) with no Engine.IO or Socket.IO
// layer, answering just enough of the protocol for bench-load's WebSocket scenarios (connect, echo,
// fanout) by string handling, exactly as bench/floor-server.cpp does on QtWebSockets:
//   open packet on connect, "40" -> "40{"sid":...}", echo (ack or emit back), join/leave acked
//   {"ok":true}, broadcast(room, payload) forwarded as text to the room's members.
// No heartbeats, no packet validation, no binary, no long-polling. See docs/benchmarks.md, "Floors".
// Usage: node bench/node/floor-server.js --port N
// Prints {"event":"listening","port":N} on stdout once it accepts connections.
"use strict";

const path = require("path");
const http = require("http");
const engineDir = path.dirname(require.resolve(path.join(__dirname, "..", "..", "node_modules", "engine.io")));
const { WebSocketServer } = require(require.resolve("ws", { paths: [engineDir] }));

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(option("--port", "0"));
const server = http.createServer();
const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: false });
const rooms = new Map(); // room -> Set of sockets
let counter = 0;

wss.on("connection", (ws) => {
  const sid = String(++counter).padStart(20, "0");
  const joined = new Set();
  ws.on("message", (data, isBinary) => {
    if (isBinary) return;
    const t = data.toString();
    if (t.startsWith("40")) {
      ws.send('40{"sid":"x' + sid + '"}');
      return;
    }
    if (!t.startsWith("42")) return;
    let i = 2;
    while (i < t.length && t.charCodeAt(i) >= 48 && t.charCodeAt(i) <= 57) ++i;
    const ackId = t.slice(2, i);
    if (t[i] !== "[" || t[i + 1] !== '"' || !t.endsWith("]")) return;
    const nameEnd = t.indexOf('"', i + 2);
    if (nameEnd < 0) return;
    const event = t.slice(i + 2, nameEnd);
    const args = nameEnd + 2 < t.length ? t.slice(nameEnd + 2, t.length - 1) : "";
    const ackOk = () => {
      if (ackId) ws.send("43" + ackId + '[{"ok":true}]');
    };
    if (event === "echo") {
      if (ackId) ws.send("43" + ackId + "[" + args + "]");
      else ws.send('42["echo",' + args + "]");
    } else if (event === "join" || event === "leave") {
      if (args.length < 2 || !args.startsWith('"') || !args.endsWith('"')) {
        ackOk(); // not a plain string: nothing to join (as the Qt floor)
        return;
      }
      const room = args.slice(1, args.length - 1);
      if (event === "join") {
        if (!rooms.has(room)) rooms.set(room, new Set());
        rooms.get(room).add(ws);
        joined.add(room);
      } else if (joined.delete(room)) {
        const members = rooms.get(room);
        members.delete(ws);
        if (members.size === 0) rooms.delete(room);
      }
      ackOk();
    } else if (event === "broadcast") {
      const roomEnd = args.indexOf('",');
      if (roomEnd < 1) return;
      const room = args.slice(1, roomEnd);
      const message = '42["broadcast",' + args.slice(roomEnd + 2) + "]";
      for (const member of rooms.get(room) ?? []) member.send(message);
      ackOk();
    }
  });
  ws.on("close", () => {
    for (const room of joined) {
      const members = rooms.get(room);
      if (members) {
        members.delete(ws);
        if (members.size === 0) rooms.delete(room);
      }
    }
  });
  ws.send('0{"sid":"' + sid + '","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}');
});

server.listen(port, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ event: "listening", port: server.address().port }) + "\n");
});
