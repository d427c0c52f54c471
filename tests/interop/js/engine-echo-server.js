#!/usr/bin/env node
// A bare engine.io@6 server (the npm package socket.io is built on) that echoes every message, for
// testing our Engine.IO client (EngineClient) against the reference implementation without the
// Socket.IO layer on top. Started by tests/common/nodeprocess.h; it listens on loopback and exits
// when stdin closes, so it never outlives the test that started it.
//
// Arguments
//   --port N            default 0: a free port, reported in the "listening" line
//   --host H            default 127.0.0.1
//   --path P            default /engine.io
//   --ping-interval MS  default 300
//   --ping-timeout MS   default 200
//   --max-payload N     default 1000000 (maxHttpBufferSize)
//   --transports LIST   default polling,websocket
//
// Behaviour
//   every text or binary message is sent back unchanged, except the text "close-me", on which the
//   server closes the session (socket.close()).
//
// Observations (stdout, one JSON object per line; binary as {"_bin":"<hex>"}):
//   {"event":"listening","port":N,"url":"http://127.0.0.1:N"}
//   {"event":"connection","id":...,"transport":...,"query":{...},"headers":{...}}
//   {"event":"upgrade","id":...,"transport":...}
//   {"event":"message","id":...,"data":"text" | {"_bin":"<hex>"}}
//   {"event":"close","id":...,"reason":...,"description":...}
//   {"event":"exit"}
// Commands (stdin):
//   {"cmd":"send","data":"text" | {"_bin":"<hex>"}}   to every open session
//   {"cmd":"close"}                                    closes every open session (server side)
//   {"cmd":"silence"}                                  stops the heartbeat of every open session:
//                                                      no more pings, and no ping timeout of its own
//   {"cmd":"exit"}
"use strict";

const http = require("http");
const engine = require("engine.io");
const { print, readCommands, decode, argsOrExit, exitOnce, listenOrExit } = require("./jsonlines");

const args = argsOrExit({
  port: "0",
  host: "127.0.0.1",
  path: "/engine.io",
  "ping-interval": "300",
  "ping-timeout": "200",
  "max-payload": "1000000",
  transports: "polling,websocket",
});

const httpServer = http.createServer();
const server = engine.attach(httpServer, {
  path: args.path,
  pingInterval: Number(args["ping-interval"]),
  pingTimeout: Number(args["ping-timeout"]),
  maxHttpBufferSize: Number(args["max-payload"]),
  transports: args.transports.split(",").map((t) => t.trim()),
});

const sockets = new Set();

server.on("connection", (socket) => {
  sockets.add(socket);
  print({ event: "connection", id: socket.id, transport: socket.transport.name,
          query: socket.request._query, headers: socket.request.headers });
  socket.on("upgrade", (transport) => print({ event: "upgrade", id: socket.id, transport: transport.name }));
  socket.on("message", (data) => {
    print({ event: "message", id: socket.id, data });
    if (data === "close-me") socket.close();
    else socket.send(data);
  });
  socket.on("close", (reason, description) => {
    sockets.delete(socket);
    print({ event: "close", id: socket.id, reason,
            description: description && description.message ? description.message : null });
  });
});

const exit = exitOnce(() => server.close());

readCommands((cmd) => {
  if (cmd.cmd === "exit") return exit();
  if (cmd.cmd === "send") {
    for (const s of sockets) s.send(decode(cmd.data));
    return;
  }
  if (cmd.cmd === "close") {
    for (const s of sockets) s.close();
    return;
  }
  if (cmd.cmd === "silence") {
    // engine.io's own heartbeat timers (Socket.schedulePing/resetPingTimeout); a pong refreshes
    // the interval timer only if it is still set
    for (const s of sockets) {
      clearTimeout(s.pingIntervalTimer);
      clearTimeout(s.pingTimeoutTimer);
      s.pingIntervalTimer = null;
      s.pingTimeoutTimer = null;
    }
    print({ event: "silenced", count: sockets.size });
    return;
  }
  throw new Error(`unknown command ${JSON.stringify(cmd.cmd)}`);
}, exit);

listenOrExit(httpServer, args.port, args.host, (port) => {
  print({ event: "listening", port, url: `http://${args.host}:${port}` });
});
