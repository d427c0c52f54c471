#!/usr/bin/env node
// A real socket.io@4 server joined to a Redis cluster through the pinned @socket.io/redis-adapter
// (with node-redis 4.7.1 clients), for the mixed-cluster tests of our Redis adapters (tests/redis):
// createAdapter (classic Pub/Sub, tst_redis_cluster, tst_redis_admin) by default, or with
// --sharded createShardedAdapter (Redis >= 7 sharded Pub/Sub, tst_redis_sharded). Started by
// tests/common/nodeprocess.h; exits when stdin closes.
//
// Arguments
//   --redis URL             redis://127.0.0.1:PORT (required)
//   --port N                default 0: a free port, reported in the "listening" line
//   --name NAME             default "node": put into socket.data.node and into serverSideEmit answers
//   --admin SERVER_ID       also instrument() the server with the pinned @socket.io/admin-ui
//                           (auth false, development mode, that serverId), after the Redis
//                           adapter is installed so that "/admin" is a cluster namespace too
//   --admin-password PW     with --admin: basic auth, user "admin", that password (bcryptjs hash,
//                           cost 4), and the sessions in the official RedisStore of @socket.io/admin-ui
//                           (on the publisher client; prefix "socket.io-admin", sessionDuration
//                           --admin-session-duration, default 86400 s)
//   classic adapter (createAdapter):
//   --requests-timeout MS   default 5000 (the adapter's requestsTimeout)
//   --key PREFIX            default "socket.io" (also the emitter's key)
//   sharded adapter:
//   --sharded               use createShardedAdapter instead
//   --prefix PREFIX         default "socket.io" (the adapter's channelPrefix)
//   --mode MODE             default "dynamic" (the adapter's subscriptionMode: static, dynamic, dynamic-private)
//
// Handlers: "/" (and, with --sharded, "/other")
//   on connection: socket.data.node = NAME, socket.data.user = auth.user (assigned, so that the
//   admin-ui's data._admin survives); joins auth.room when given
//   "join" (room, ack?) -> joins, acks with its rooms      "leave" (room) -> leaves
//   nsp.on("server-ping", (arg, cb?)) -> prints; answers {"from":NAME,"got":arg} when asked
//   nsp.on("server-note", (...args))  -> prints
//
// Observations (stdout, JSON lines; binary as {"_bin":"<hex>"}):
//   {"event":"listening","port":N,"uid":adapter uid of "/"}
//   {"event":"connection","nsp":...,"id":...,"auth":{...}}   {"event":"disconnect","id":...,"reason":...}
//   {"event":"event","nsp":...,"id":...,"name":...,"args":[...]}
//   {"event":"server-side","nsp":...,"name":...,"args":[...],"ack":bool}
//   {"event":"result","id":N,...}   answer to a command carrying "id"
//   {"event":"redis-error","message":...}
//   {"event":"join-room"|"leave-room","room":...,"id":...}   the "/" adapter's room changes
// Commands (stdin), each may carry "id" echoed in its result; "nsp" selects the namespace ("/"):
//   {"cmd":"emit","room":R?,"except":E?,"event":E,"args":[...],"ack":bool,"timeout":ms,"volatile":bool,
//    "compress":bool}
//        -> result {} or (ack) {"responses":[...]} / {"error":message,"responses":[...]}
//   {"cmd":"fetch-sockets","room":R?,"timeout":ms?} -> result {"sockets":[{"id","rooms","data","auth"}]} or {"error"}
//   {"cmd":"sockets-join","room":R?,"rooms":[...]}     {"cmd":"sockets-leave","room":R?,"rooms":[...]}
//   {"cmd":"disconnect-sockets","room":R?,"close":bool}
//   {"cmd":"server-side-emit","event":E,"args":[...],"ack":bool}   (ack: the adapter's requestsTimeout applies)
//        -> result {} or (ack) {"responses":[...]} / {"error":message,"responses":[...]}
//   {"cmd":"remote-action","room":R?,"action":"join"|"leave"|"emit"|"disconnect","rooms":[...]?,
//    "event":E?,"args":[...]?}   fetchSockets(), then the RemoteSocket action on each -> result {"count":n}
//   {"cmd":"server-count"}   -> result {"count":n}
//   {"cmd":"all-rooms"}      -> result {"rooms":[...]} or {"error"}   (classic adapter)
//   {"cmd":"emitter","room":R?,"event":E,"args":[...]}   publishes with @socket.io/redis-emitter (classic)
//   {"cmd":"emitter-join","room":R?,"rooms":[...]}      socketsJoin through the emitter (classic)
//   {"cmd":"publish","channel":C,"hex":H}               raw PUBLISH (bad input tests)
//   {"cmd":"shard-channels","pattern":P}   -> result {"channels":[...]} (PUBSUB SHARDCHANNELS)
//   {"cmd":"spublish","channel":C,"hex":H} raw SPUBLISH (bad input tests) -> result {"receivers":n}
//   {"cmd":"exit"}
"use strict";

const http = require("http");
const { Server } = require("socket.io");
const { createClient } = require("redis");
const { createAdapter, createShardedAdapter } = require("@socket.io/redis-adapter");
const { Emitter } = require("@socket.io/redis-emitter");
const { instrument, RedisStore } = require("@socket.io/admin-ui");
const { print, readCommands, decode, argsOrExit, exitOnce, listenOrExit } = require("./jsonlines");

const args = argsOrExit(
  {
    port: "0",
    name: "node",
    "requests-timeout": "5000",
    key: "socket.io",
    sharded: "false",
    prefix: "socket.io",
    mode: "dynamic",
    "admin-session-duration": "86400",
  },
  (a) => {
    if (!a.redis || a.redis === "true") throw new Error("--redis URL is required");
    if (!["true", "false"].includes(a.sharded)) throw new Error(`bad --sharded ${a.sharded}`);
    if (!["static", "dynamic", "dynamic-private"].includes(a.mode)) throw new Error(`bad --mode ${a.mode}`);
  },
);
const sharded = args.sharded === "true";

function newClient() {
  const client = createClient({ url: args.redis, socket: { reconnectStrategy: (n) => Math.min(50 * (n + 1), 500) } });
  client.on("error", (e) => print({ event: "redis-error", message: e.message }));
  return client;
}

const pub = newClient();
const sub = newClient();
const emitterClient = sharded ? null : newClient();

const httpServer = http.createServer();
const io = new Server(httpServer, { cors: { origin: "*" } });

// RedisStore calls the callback API of node-redis 3 / ioredis: exists(key, cb) and
// multi().set(key, true).expire(key, n).exec(), which node-redis 4 offers only in legacyMode;
// this adapter gives it that API on our (promise) client, arguments stringified as node-redis 3 did.
function redisStoreClient(client) {
  return {
    exists: (key, cb) => client.exists(key).then((n) => cb(null, n), (e) => cb(e)),
    multi() {
      const m = client.multi();
      const chain = {
        set: (key, value) => (m.set(key, String(value)), chain),
        expire: (key, seconds) => (m.expire(key, seconds), chain),
        exec: () => m.exec().catch((e) => print({ event: "redis-error", message: e.message })),
      };
      return chain;
    },
  };
}

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

function emitter(cmd) {
  if (!emitterClient) throw new Error(`${cmd.cmd} needs the classic adapter`);
  return new Emitter(emitterClient, { key: args.key });
}

async function run(cmd) {
  switch (cmd.cmd) {
    case "exit":
      return exit();
    case "emit": {
      const emitArgs = decode(cmd.args || []);
      let t = target(cmd);
      if (cmd.volatile) t = t.volatile;
      if (cmd.compress === false) t = t.compress(false);
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
    case "all-rooms":
      try {
        const rooms = await nsp(cmd).adapter.allRooms();
        result(cmd, { rooms: [...rooms] });
      } catch (e) {
        result(cmd, { error: e.message });
      }
      return;
    case "emitter": {
      let e = emitter(cmd);
      if (cmd.room) e = e.to(cmd.room);
      e.emit(cmd.event, ...decode(cmd.args || []));
      return result(cmd, {});
    }
    case "emitter-join": {
      let e = emitter(cmd);
      if (cmd.room) e = e.in(cmd.room);
      e.socketsJoin(cmd.rooms);
      return result(cmd, {});
    }
    case "publish":
      await pub.publish(Buffer.from(cmd.channel), Buffer.from(cmd.hex, "hex"));
      return result(cmd, {});
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
    await Promise.all([pub, sub, emitterClient].filter(Boolean).map((c) => c.connect()));
  } catch (e) {
    print({ event: "error", message: `redis: ${e.message}` });
    process.exit(1);
  }
  io.adapter(
    sharded
      ? createShardedAdapter(pub, sub, { channelPrefix: args.prefix, subscriptionMode: args.mode })
      : createAdapter(pub, sub, { key: args.key, requestsTimeout: Number(args["requests-timeout"]) }),
  );
  for (const name of sharded ? ["/", "/other"] : ["/"]) {
    io.of(name).on("connection", onConnection);
    onServerSide(io.of(name));
  }
  if (args.admin && args.admin !== "true") {
    const options = { auth: false, mode: "development", serverId: args.admin };
    if (args["admin-password"]) {
      options.auth = { type: "basic", username: "admin", password: require("bcryptjs").hashSync(args["admin-password"], 4) };
      options.store = new RedisStore(redisStoreClient(pub), { sessionDuration: Number(args["admin-session-duration"]) });
    }
    instrument(io, options);
  }
  io.of("/").adapter.on("join-room", (room, id) => print({ event: "join-room", room, id }));
  io.of("/").adapter.on("leave-room", (room, id) => print({ event: "leave-room", room, id }));
  readCommands((cmd) => {
    run(cmd).catch((e) => print({ event: "error", message: `command failed: ${e.message}`, cmd }));
  }, exit);
  listenOrExit(httpServer, args.port, "127.0.0.1", (port) => {
    print({ event: "listening", port, uid: io.of("/").adapter.uid });
  });
})();
