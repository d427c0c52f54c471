#!/usr/bin/env node
// A real socket.io@4 server instrumented with the pinned @socket.io/admin-ui (instrument()), the
// peer of the dashboard's model tests (tests/dashboard). It also drives real socket.io-client
// sockets against itself, so the dashboard sees genuine connections, rooms and events.
// Started by tests/common/nodeprocess.h; listens on loopback, exits when stdin closes.
//
// Arguments
//   --port N             default 0 (a free port, reported in the "listening" line)
//   --auth none|basic    default none; basic uses --username/--password (hashed here with bcryptjs)
//   --username U         default admin
//   --password P         default changeit
//   --readonly           instrument({readonly:true})
//   --mode M             development (default) or production
//   --server-id ID       default node-1
//
// Server handlers ("/", and the dynamic namespaces /n<digits>)
//   on connection: socket.data.user = handshake.auth.user (when given; makes a socket_updated)
//   "message" (...args)  -> emits "message-back" with the same args to the sender
//
// Observations (stdout, JSON lines)
//   {"event":"listening","port":N,"url":"http://127.0.0.1:N"}
//   {"event":"spawned","tag":T,"ids":[{"nsp":..,"id":..},...]}      after "spawn": every socket connected
//   {"event":"client-received","nsp":..,"id":..,"name":..,"args":[...]}   a spawned socket got an event
//   {"event":"client-disconnect","nsp":..,"id":..,"reason":..}     a spawned socket was disconnected
//   {"event":"rooms","tag":T,"nsp":..,"id":..,"rooms":[...]}       answer to "rooms" (server-side view)
//   {"event":"closed","tag":T}                                     after "close-clients"
//   {"event":"error","message":...}
// Commands (stdin)
//   {"cmd":"spawn","tag":T,"count":N,"namespaces":[..]?,"transport":"websocket"|"polling"?,"auth":{..}?}
//        N sockets per namespace (default ["/"]), each namespace's sockets on their own connections;
//        with "perManager":K, K namespaces share one connection (multiplexed, for large counts)
//   {"cmd":"client-emit","id":ID,"event":E,"args":[...]}          a spawned socket emits
//   {"cmd":"rooms","tag":T,"nsp":"/","id":ID}                      prints the socket's rooms
//   {"cmd":"close-clients","tag":T}                                closes every spawned socket
//   {"cmd":"exit"}
"use strict";

const http = require("http");
const { Server } = require("socket.io");
const { io: ioc, Manager } = require("socket.io-client");
const { instrument } = require("@socket.io/admin-ui");
const bcrypt = require("bcryptjs");
const { print, readCommands, argsOrExit } = require("./jsonlines");

const args = argsOrExit({
  port: "0",
  auth: "none",
  username: "admin",
  password: "changeit",
  mode: "development",
  "server-id": "node-1",
});

const httpServer = http.createServer();
const io = new Server(httpServer); // socket.io's heartbeat defaults (25 s + 20 s): a busy test never times out

instrument(io, {
  auth: args.auth === "basic"
    ? { type: "basic", username: args.username, password: bcrypt.hashSync(args.password, 4) }
    : false,
  readonly: args.readonly === "true",
  mode: args.mode,
  serverId: args["server-id"],
});

function onConnection(socket) {
  if (socket.handshake.auth && socket.handshake.auth.user !== undefined)
    socket.data.user = socket.handshake.auth.user;
  socket.on("message", (...a) => socket.emit("message-back", ...a));
}
io.on("connection", onConnection);
io.of(/^\/n\d+$/).on("connection", onConnection);

const clients = new Map(); // socket id -> client socket
const managers = [];

function spawn(cmd) {
  const count = cmd.count || 1;
  const namespaces = cmd.namespaces || ["/"];
  const perManager = cmd.perManager || 1;
  const transports = cmd.transport ? [cmd.transport] : ["websocket"];
  const url = `http://127.0.0.1:${httpServer.address().port}`;
  const pending = [];
  for (let c = 0; c < count; c++) {
    for (let n = 0; n < namespaces.length; n += perManager) {
      const manager = new Manager(url, { transports, reconnection: false });
      managers.push(manager);
      for (const nsp of namespaces.slice(n, n + perManager)) {
        const s = manager.socket(nsp, { auth: cmd.auth || {} });
        let sid = null;
        pending.push(new Promise((resolve) => {
          s.once("connect", () => {
            sid = s.id;
            clients.set(s.id, s);
            resolve({ nsp, id: s.id });
          });
          s.once("connect_error", (err) => {
            print({ event: "error", message: `spawned socket: ${err.message}` });
            resolve(null);
          });
        }));
        const nspName = nsp;
        s.onAny((name, ...a) => print({ event: "client-received", nsp: nspName, id: sid, name, args: a }));
        s.on("disconnect", (reason) => {
          if (reason !== "io client disconnect")
            print({ event: "client-disconnect", nsp: nspName, id: sid, reason });
        });
        s.connect();
      }
    }
  }
  Promise.all(pending).then((ids) => print({ event: "spawned", tag: cmd.tag, ids: ids.filter((x) => x) }));
}

readCommands((cmd) => {
  switch (cmd.cmd) {
    case "spawn":
      spawn(cmd);
      break;
    case "client-emit": {
      const s = clients.get(cmd.id);
      if (!s) throw new Error(`no spawned socket ${cmd.id}`);
      s.emit(cmd.event, ...(cmd.args || []));
      break;
    }
    case "rooms": {
      const s = io.of(cmd.nsp || "/").sockets.get(cmd.id);
      print({ event: "rooms", tag: cmd.tag, nsp: cmd.nsp || "/", id: cmd.id, rooms: s ? [...s.rooms] : null });
      break;
    }
    case "close-clients":
      for (const s of clients.values()) s.disconnect();
      clients.clear();
      for (const m of managers.splice(0)) m._close && m._close();
      print({ event: "closed", tag: cmd.tag });
      break;
    case "exit":
      process.exit(0);
      break;
    default:
      throw new Error(`unknown command ${cmd.cmd}`);
  }
}, () => process.exit(0));

httpServer.listen(Number(args.port), "127.0.0.1", () => {
  const port = httpServer.address().port;
  print({ event: "listening", port, url: `http://127.0.0.1:${port}` });
});
