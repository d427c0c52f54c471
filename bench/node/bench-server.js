// The reference benchmark server on Node's socket.io (pinned in the repository's package.json).
// Same handlers as bench/bench-server.cpp:
//   echo(...args)            with an ack callback: acknowledged with args; else emitted back as "echo"
//   join(room) / leave(room) acknowledged with {"ok":true}
//   broadcast(room, payload) emits "broadcast" with payload to everyone in room, then acks {"ok":true}
// Usage: node bench/node/bench-server.js --port N [--host H] [--recovery] [--fault sort-keys]
// Prints {"event":"listening","port":N} on stdout once it accepts connections.
"use strict";

const path = require("path");
const http = require("http");
const { Server } = require(path.join(__dirname, "..", "..", "node_modules", "socket.io"));

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(option("--port", "3000"));
const host = option("--host", "127.0.0.1");
const options = { serveClient: false };
if (process.argv.includes("--recovery")) options.connectionStateRecovery = {};

// --fault sort-keys breaks the contract on purpose (broadcast payload keys re-ordered), so the
// tests can prove that bench-load verify notices a server that loses key order.
const fault = option("--fault", "");
function sortKeys(v) {
  if (v === null || typeof v !== "object" || Buffer.isBuffer(v)) return v;
  if (Array.isArray(v)) return v.map(sortKeys);
  const out = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
  return out;
}

const httpServer = http.createServer();
const io = new Server(httpServer, options);

io.on("connection", (socket) => {
  socket.on("echo", (...args) => {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    if (ack) ack(...args);
    else socket.emit("echo", ...args);
  });
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack({ ok: true });
  });
  socket.on("leave", (room, ack) => {
    socket.leave(room);
    if (typeof ack === "function") ack({ ok: true });
  });
  socket.on("broadcast", (room, payload, ack) => {
    io.to(room).emit("broadcast", fault === "sort-keys" ? sortKeys(payload) : payload);
    if (typeof ack === "function") ack({ ok: true });
  });
});

httpServer.listen(port, host === "any" ? undefined : host, () => {
  process.stdout.write(JSON.stringify({ event: "listening", port: httpServer.address().port }) + "\n");
});
