#!/usr/bin/env node
// A real socket.io@4 server (the npm package) with the same handlers as our conformance server
// (examples/conformance-server), for testing our C++ client against the reference implementation.
// Started by tests/common/nodeprocess.h; it listens on loopback and exits when stdin closes, so it
// never outlives the test that started it.
//
// Arguments
//   --port N            default 0: a free port, reported in the "listening" line
//   --host H            default 127.0.0.1
//   --path P            default /socket.io
//   --ping-interval MS  default 300  } as in socket.io's protocol test suite
//   --ping-timeout MS   default 200  }
//   --max-payload N     default 1000000 (maxHttpBufferSize)
//   --transports LIST   default polling,websocket
//   --recovery          enables connectionStateRecovery (maxDisconnectionDuration 60000, skipMiddlewares)
//   --options JSON      further Server options, merged last
//   --tls-key FILE      with --tls-cert: serve https (and wss) instead of http, with this PEM
//   --tls-cert FILE     private key and certificate; the "listening" url is then https://...
//
// Handlers
//   "/"        on connection emits "auth" with the handshake's auth;
//              "message" (...args)          -> emits "message-back" with the same args
//              "message-with-ack" (...args) -> acks with the same args
//              "join" (room)  / "leave" (room) -> joins / leaves the room; acks with the socket's rooms
//              "broadcast" (room, ...args)  -> io.to(room).emit("broadcast", ...args); acks with no args
//              "disconnect-me"              -> the server disconnects the socket ("io server disconnect")
//   "/custom"  on connection emits "auth" with the handshake's auth
//   "/private" (extra) refuses connections whose auth.token is not "secret":
//              connect_error "not authorized" with data {"reason":"bad token"}
//
// Observations (stdout, one JSON object per line; binary as {"_bin":"<hex>"}):
//   {"event":"listening","port":N,"url":"http://127.0.0.1:N"}            ("https://..." with --tls-*)
//   {"event":"connection","namespace":...,"id":...,"transport":...,"auth":{...},"recovered":bool}
//   {"event":"event","namespace":...,"id":...,"name":...,"args":[...],"ack":bool}   every event received
//   {"event":"disconnect","namespace":...,"id":...,"reason":...}
//   {"event":"exit"}
// Commands (stdin):
//   {"cmd":"emit","namespace":"/","room":R?,"event":E,"args":[...]}   to everyone, or a room (a socket id is a room)
//     with "ack":true,"timeout":ms,"id":N it waits for the clients' acks and prints
//     {"event":"ack","id":N,"name":E,"responses":[[...],...]} or {"event":"ack_timeout","id":N,"name":E,"message":...}
//   {"cmd":"close-transport","namespace":"/","id":ID?}   closes the Engine.IO connection of that socket
//     (of every socket of the namespace without "id"): server reason "forced close", which connection
//     state recovery keeps; the client sees "transport close" and reconnects
//   {"cmd":"exit"}
"use strict";

const fs = require("fs");
const http = require("http");
const https = require("https");
const { Server } = require("socket.io");
const { print, readCommands, decode, argsOrExit, exitOnce, listenOrExit, parseJsonArg } = require("./jsonlines");

const args = argsOrExit({
  port: "0",
  host: "127.0.0.1",
  path: "/socket.io",
  "ping-interval": "300",
  "ping-timeout": "200",
  "max-payload": "1000000",
  transports: "polling,websocket",
});

const tls = args["tls-key"] !== undefined || args["tls-cert"] !== undefined;
let httpServer;
try {
  if (tls && (!args["tls-key"] || !args["tls-cert"] || args["tls-key"] === "true" || args["tls-cert"] === "true"))
    throw new Error("--tls-key and --tls-cert go together, each with a file");
  httpServer = tls
    ? https.createServer({ key: fs.readFileSync(args["tls-key"]), cert: fs.readFileSync(args["tls-cert"]) })
    : http.createServer();
} catch (e) {
  print({ event: "error", message: e.message });
  process.exit(2);
}
const io = new Server(httpServer, {
  path: args.path,
  pingInterval: Number(args["ping-interval"]),
  pingTimeout: Number(args["ping-timeout"]),
  maxHttpBufferSize: Number(args["max-payload"]),
  transports: args.transports.split(",").map((t) => t.trim()),
  cors: { origin: "*" },
  ...(args.recovery === "true"
    ? { connectionStateRecovery: { maxDisconnectionDuration: 60000, skipMiddlewares: true } }
    : {}),
  ...(args.options ? parseJsonArg("options", args.options) : {}),
});

function observe(nsp, socket) {
  print({ event: "connection", namespace: nsp.name, id: socket.id, transport: socket.conn.transport.name,
          auth: socket.handshake.auth, recovered: socket.recovered });
  socket.onAny((name, ...rest) => {
    const ack = rest.length && typeof rest[rest.length - 1] === "function";
    print({ event: "event", namespace: nsp.name, id: socket.id, name, args: ack ? rest.slice(0, -1) : rest, ack });
  });
  socket.on("disconnect", (reason) => print({ event: "disconnect", namespace: nsp.name, id: socket.id, reason }));
}

function lastIsAck(list) {
  return list.length && typeof list[list.length - 1] === "function" ? list.pop() : null;
}

io.on("connection", (socket) => {
  observe(io.of("/"), socket);
  socket.emit("auth", socket.handshake.auth);
  socket.on("message", (...rest) => socket.emit("message-back", ...rest));
  socket.on("message-with-ack", (...rest) => {
    const ack = lastIsAck(rest);
    if (ack) ack(...rest);
  });
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack([...socket.rooms]);
  });
  socket.on("leave", (room, ack) => {
    socket.leave(room);
    if (typeof ack === "function") ack([...socket.rooms]);
  });
  socket.on("broadcast", (room, ...rest) => {
    const ack = lastIsAck(rest);
    io.to(room).emit("broadcast", ...rest);
    if (ack) ack();
  });
  socket.on("disconnect-me", () => socket.disconnect(true));
});

io.of("/custom").on("connection", (socket) => {
  observe(io.of("/custom"), socket);
  socket.emit("auth", socket.handshake.auth);
});

const privateNsp = io.of("/private");
privateNsp.use((socket, next) => {
  if (socket.handshake.auth && socket.handshake.auth.token === "secret") return next();
  const err = new Error("not authorized");
  err.data = { reason: "bad token" };
  next(err);
});
privateNsp.on("connection", (socket) => observe(privateNsp, socket));

const exit = exitOnce(() => io.close());

readCommands((cmd) => {
  if (cmd.cmd === "exit") return exit();
  if (cmd.cmd === "close-transport") {
    for (const socket of io.of(cmd.namespace || "/").sockets.values()) {
      if (cmd.id === undefined || socket.id === cmd.id) socket.conn.close();
    }
    return;
  }
  if (cmd.cmd === "emit") {
    let target = io.of(cmd.namespace || "/");
    if (cmd.room) target = target.to(cmd.room);
    const emitArgs = decode(cmd.args || []);
    if (!cmd.ack) {
      target.emit(cmd.event, ...emitArgs);
      return;
    }
    const id = cmd.id === undefined ? null : cmd.id;
    target.timeout(cmd.timeout === undefined ? 5000 : cmd.timeout).emit(cmd.event, ...emitArgs, (err, responses) => {
      if (err) print({ event: "ack_timeout", id, name: cmd.event, message: err.message });
      else print({ event: "ack", id, name: cmd.event, responses });
    });
    return;
  }
  throw new Error(`unknown command ${JSON.stringify(cmd.cmd)}`);
}, exit);

listenOrExit(httpServer, args.port, args.host, (port) => {
  print({ event: "listening", port, url: `${tls ? "https" : "http"}://${args.host}:${port}` });
});
