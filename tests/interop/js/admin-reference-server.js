#!/usr/bin/env node
// The reference for the admin instrumentation tests: a real socket.io@4 server instrumented with
// the pinned @socket.io/admin-ui (its instrument()), with the same application handlers as the
// C++ server of tests/admin/tst_admin_differential.cpp, so that the same client scenario can be
// run against both and the admin event streams compared. Started by tests/common/nodeprocess.h;
// listens on loopback and exits when stdin closes.
//
// Arguments
//   --port N            default 0 (a free port, reported in the "listening" line)
//   --host H            default 127.0.0.1
//   --auth-user NAME    with --auth-hash: basic authentication (default: auth false)
//   --auth-hash BCRYPT
//   --readonly          instrument(..., {readonly: true})
//   --production        instrument(..., {mode: "production"})
//   --server-id ID      instrument(..., {serverId})
//
// Application handlers (mirrored by the C++ test server)
//   "/"  on connection: socket.data.user = "alice"
//        "join" (room) -> socket.join(room); socket.emit("joined", room)
//        "set-data" (value) -> socket.data.value = value
//   /^\/dyn-\d+$/  dynamic namespaces, no handlers
//
// Observations (stdout): {"event":"listening","port":N,"url":...}, {"event":"error",...}, {"event":"exit"}
"use strict";

const http = require("http");
const { Server } = require("socket.io");
const { instrument } = require("@socket.io/admin-ui");
const { print, readCommands, argsOrExit } = require("./jsonlines");

const args = argsOrExit({ port: "0", host: "127.0.0.1" });

const httpServer = http.createServer();
const io = new Server(httpServer, { cors: { origin: true, credentials: true } });

try {
  instrument(io, {
    auth: args["auth-user"] ? { type: "basic", username: args["auth-user"], password: args["auth-hash"] } : false,
    readonly: args.readonly === "true",
    mode: args.production === "true" ? "production" : "development",
    ...(args["server-id"] ? { serverId: args["server-id"] } : {}),
  });
} catch (e) {
  print({ event: "error", message: e.message });
  process.exit(2);
}

io.on("connection", (socket) => {
  socket.data.user = "alice";
  socket.on("join", (room) => {
    socket.join(room);
    socket.emit("joined", room);
  });
  socket.on("set-data", (value) => {
    socket.data.value = value;
  });
});
io.of(/^\/dyn-\d+$/);

httpServer.listen(Number(args.port), args.host, () => {
  const port = httpServer.address().port;
  print({ event: "listening", port, url: `http://${args.host}:${port}` });
});

function exit() {
  print({ event: "exit" });
  io.close();
  process.exit(0);
}
readCommands((cmd) => {
  if (cmd.cmd === "exit") exit();
  else print({ event: "error", message: `unknown command ${cmd.cmd}` });
}, exit);
