#!/usr/bin/env node
// A real socket.io@4 server joined to a Redis (>= 7) cluster through the pinned
// @socket.io/redis-adapter's createShardedAdapter (sharded Pub/Sub, with node-redis 4.7.1 clients),
// for the mixed-cluster tests of our sharded adapter (tests/redis/tst_redis_sharded.cpp). Started
// by tests/common/nodeprocess.h; exits when stdin closes.
//
// Arguments
//   --redis URL           redis://127.0.0.1:PORT (required)
//   --port N              default 0: a free port, reported in the "listening" line
//   --name NAME           default "node": put into socket.data.node and into serverSideEmit answers
//   --prefix PREFIX       default "socket.io" (the adapter's channelPrefix)
//   --mode MODE           default "dynamic" (the adapter's subscriptionMode: static, dynamic, dynamic-private)
//
// Handlers (every namespace matching /^\/.*$/ is served; "/" and "/other" are the ones tested)
//   on connection: socket.data.node = NAME, socket.data.user = auth.user; joins auth.room when given
//   "join" (room, ack?) -> joins, acks with its rooms      "leave" (room) -> leaves
//   io.on("server-ping", (arg, cb?)) -> prints; answers {"from":NAME,"got":arg} when asked
//   io.on("server-note", (...args))  -> prints
//
// Observations (stdout, JSON lines; binary as {"_bin":"<hex>"}):
//   {"event":"listening","port":N,"uid":adapter uid of "/"}
//   {"event":"connection","nsp":...,"id":...,"auth":{...}}   {"event":"disconnect","id":...,"reason":...}
//   {"event":"event","id":...,"name":...,"args":[...]}
//   {"event":"server-side","name":...,"args":[...],"ack":bool}
//   {"event":"result","id":N,...}   answer to a command carrying "id"
//   {"event":"redis-error","message":...}
// Commands (stdin), each may carry "id" echoed in its result; "nsp" selects the namespace ("/"):
//   {"cmd":"emit","room":R?,"except":E?,"event":E,"args":[...],"ack":bool,"timeout":ms,"volatile":bool}
//        -> result {} or (ack) {"responses":[...]} / {"error":message,"responses":[...]}
//   {"cmd":"fetch-sockets","room":R?,"timeout":ms?} -> result {"sockets":[{"id","rooms","data","auth"}]} or {"error"}
//   {"cmd":"sockets-join","room":R?,"rooms":[...]}     {"cmd":"sockets-leave","room":R?,"rooms":[...]}
//   {"cmd":"disconnect-sockets","room":R?,"close":bool}
//   {"cmd":"server-side-emit","event":E,"args":[...],"ack":bool}
//        -> result {} or (ack) {"responses":[...]} / {"error":message,"responses":[...]}
//   {"cmd":"remote-action","room":R?,"action":"join"|"leave"|"emit"|"disconnect","rooms":[...]?,
//    "event":E?,"args":[...]?}   fetchSockets(), then the RemoteSocket action on each -> result {"count":n}
//   {"cmd":"server-count"}                 -> result {"count":n}
//   {"cmd":"shard-channels","pattern":P}   -> result {"channels":[...]} (PUBSUB SHARDCHANNELS)
//   {"cmd":"spublish","channel":C,"hex":H} raw SPUBLISH (bad input tests) -> result {"receivers":n}
//   {"cmd":"exit"}
"use strict";

const http = require("http");
const { Server } = require("socket.io");
const { createClient } = require("redis");
const { createShardedAdapter } = require("@socket.io/redis-adapter");
const { print, readCommands, decode, argsOrExit, exitOnce, listenOrExit } = require("./jsonlines");

const args = argsOrExit({ port: "0", name: "node", prefix: "socket.io", mode: "dynamic" }, (a) => {
  if (!a.redis || a.redis === "true") throw new Error("--redis URL is required");
  if (!["static", "dynamic", "dynamic-private"].includes(a.mode)) throw new Error(`bad --mode ${a.mode}`);
});

function newClient() {
  const client = createClient({ url: args.redis, socket: { reconnectStrategy: (n) => Math.min(50 * (n + 1), 500) } });
  client.on("error", (e) => print({ event: "redis-error", message: e.message }));
  return client;
}

const pub = newClient();
const sub = newClient();

const httpServer = http.createServer();
const io = new Server(httpServer, { cors: { origin: "*" } });

function socketInfo(s) {
  return { id: s.id, rooms: [...s.rooms], data: s.data, auth: s.handshake.auth };
}

function nsp(cmd) {
  return io.of(cmd.nsp || "/");
}

function target(cmd) {
  let t = nsp(cmd);
  if (cmd.room) t = t.to(cmd.room);
  if (cmd.except) t = t.except(cmd.except);
  return t;
}

function result(cmd, fields) {
  print({ event: "result", id: cmd.id === undefined ? null : cmd.id, cmd: cmd.cmd, ...fields });
}

function onConnection(socket) {
  const auth = socket.handshake.auth || {};
  socket.data.node = args.name;
  socket.data.user = auth.user === undefined ? null : auth.user;
  if (auth.room) socket.join(auth.room);
  print({ event: "connection", nsp: socket.nsp.name, id: socket.id, auth });
  socket.onAny((name, ...rest) => {
    const ack = rest.length && typeof rest[rest.length - 1] === "function";
    print({ event: "event", nsp: socket.nsp.name, id: socket.id, name, args: ack ? rest.slice(0, -1) : rest });
  });
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack([...socket.rooms]);
  });
  socket.on("leave", (room) => socket.leave(room));
  socket.on("disconnect", (reason) => print({ event: "disconnect", id: socket.id, reason }));
}

function onServerSide(namespace) {
  namespace.on("server-ping", (...rest) => {
    const cb = rest.length && typeof rest[rest.length - 1] === "function" ? rest.pop() : null;
    print({ event: "server-side", nsp: namespace.name, name: "server-ping", args: rest, ack: !!cb });
    if (cb) cb({ from: args.name, got: rest[0] === undefined ? null : rest[0] });
  });
  namespace.on("server-note", (...rest) =>
    print({ event: "server-side", nsp: namespace.name, name: "server-note", args: rest, ack: false }));
}

async function run(cmd) {
  switch (cmd.cmd) {
    case "exit":
      return exit();
    case "emit": {
      const emitArgs = decode(cmd.args || []);
      let t = target(cmd);
      if (cmd.volatile) t = t.volatile;
      if (!cmd.ack) {
        t.emit(cmd.event, ...emitArgs);
        return result(cmd, {});
      }
      try {
        const responses = await t.timeout(cmd.timeout || 2000).emitWithAck(cmd.event, ...emitArgs);
        result(cmd, { responses });
      } catch (e) {
        result(cmd, { error: e.message, responses: e.responses || [] });
      }
      return;
    }
    case "fetch-sockets":
      try {
        let t = target(cmd);
        if (cmd.timeout) t = t.timeout(cmd.timeout);
        const sockets = await t.fetchSockets();
        result(cmd, { sockets: sockets.map(socketInfo) });
      } catch (e) {
        result(cmd, { error: e.message });
      }
      return;
    case "sockets-join":
      target(cmd).socketsJoin(cmd.rooms);
      return result(cmd, {});
    case "sockets-leave":
      target(cmd).socketsLeave(cmd.rooms);
      return result(cmd, {});
    case "disconnect-sockets":
      target(cmd).disconnectSockets(!!cmd.close);
      return result(cmd, {});
    case "server-side-emit": {
      const emitArgs = decode(cmd.args || []);
      if (!cmd.ack) {
        nsp(cmd).serverSideEmit(cmd.event, ...emitArgs);
        return result(cmd, {});
      }
      try {
        const responses = await nsp(cmd).serverSideEmitWithAck(cmd.event, ...emitArgs);
        result(cmd, { responses });
      } catch (e) {
        result(cmd, { error: e.message, responses: e.responses || [] });
      }
      return;
    }
    case "remote-action": {
      const sockets = await target(cmd).fetchSockets();
      for (const s of sockets) {
        if (cmd.action === "join") s.join(cmd.rooms);
        else if (cmd.action === "leave") s.leave(cmd.rooms[0]);
        else if (cmd.action === "emit") s.emit(cmd.event, ...decode(cmd.args || []));
        else if (cmd.action === "disconnect") s.disconnect(!!cmd.close);
      }
      return result(cmd, { count: sockets.length });
    }
    case "server-count":
      return result(cmd, { count: await nsp(cmd).adapter.serverCount() });
    case "shard-channels":
      return result(cmd, { channels: await pub.sendCommand(["PUBSUB", "SHARDCHANNELS", cmd.pattern || "*"]) });
    case "spublish": {
      const receivers = await pub.sPublish(Buffer.from(cmd.channel), Buffer.from(cmd.hex, "hex"));
      return result(cmd, { receivers });
    }
    default:
      throw new Error(`unknown command ${JSON.stringify(cmd.cmd)}`);
  }
}

const exit = exitOnce(() => io.close());

(async () => {
  try {
    await Promise.all([pub.connect(), sub.connect()]);
  } catch (e) {
    print({ event: "error", message: `redis: ${e.message}` });
    process.exit(1);
  }
  io.adapter(createShardedAdapter(pub, sub, { channelPrefix: args.prefix, subscriptionMode: args.mode }));
  for (const name of ["/", "/other"]) {
    io.of(name).on("connection", onConnection);
    onServerSide(io.of(name));
  }
  readCommands((cmd) => {
    run(cmd).catch((e) => print({ event: "error", message: `command failed: ${e.message}`, cmd }));
  }, exit);
  listenOrExit(httpServer, args.port, "127.0.0.1", (port) => {
    print({ event: "listening", port, uid: io.of("/").adapter.uid });
  });
})();
