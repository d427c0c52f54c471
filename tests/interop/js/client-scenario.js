#!/usr/bin/env node
// A scriptable socket.io-client@4 (the real npm package) for interop tests: it knows nothing of
// our C++ API. The test writes commands on stdin and reads what the client observes on stdout,
// one JSON object per line in both directions. Started by tests/common/nodeprocess.h.
//
// Arguments
//   --url URL                  server, e.g. http://127.0.0.1:3000 (required)
//   --path P                   engine path (default /socket.io)
//   --transports LIST          polling | websocket | polling,websocket (default polling,websocket)
//   --namespace NSP            namespace of the first socket (default /)
//   --auth JSON                auth payload of the first socket
//   --query JSON               extra query parameters of the handshake
//   --reconnection BOOL        Manager reconnection (default false: tests decide when to reconnect)
//   --autoconnect BOOL         connect the first socket at start (default true)
//   --options JSON             further Manager options, merged last (e.g. {"upgrade":false})
//   --trace-packets BOOL       also print every Engine.IO packet in and out (default false)
//
// Commands (stdin). "namespace" selects the socket (default: the first one); "id" is echoed in replies.
//   {"cmd":"emit","event":E,"args":[...],"ack":true,"timeout":ms,"id":N,"volatile":bool,"compress":bool}
//   {"cmd":"ack","ackId":K,"args":[...]}            answer a received event that requested an ack
//   {"cmd":"autoack","event":E|"*","args":[...]}    answer future acks of E with fixed args
//   {"cmd":"autoack","event":E|"*","echo":true}     ... or with the args received
//   {"cmd":"socket","namespace":"/x","auth":{...}}  open another namespace on the same Manager
//   {"cmd":"connect"} / {"cmd":"disconnect"}        socket.connect() / socket.disconnect()
//   {"cmd":"close-engine"}                          close the Engine.IO connection (as on network loss)
//   {"cmd":"tally","event":E}                       count events E instead of printing them (bulk payloads)
//   {"cmd":"state"}                                 print the socket's state
//   {"cmd":"exit"}                                  disconnect everything and exit 0 (so does stdin EOF)
// Binary arguments are written {"_bin":"<hex>"} and sent as Buffers.
//
// Observations (stdout), each with "event" and, for socket events, "namespace":
//   {"event":"started","url":...,"transports":[...]}
//   {"event":"open","sid":...,"transport":...}                    Engine.IO connection opened
//   {"event":"upgrading","transport":...} / {"event":"upgrade","transport":...} / {"event":"upgrade_error","message":...}
//   {"event":"connect","id":...,"transport":...,"recovered":bool}
//   {"event":"connect_error","message":...,"data":...}
//   {"event":"disconnect","reason":...,"description":...}
//   {"event":"event","name":E,"args":[...],"ack":bool,"ackId":K}  an event from the server
//   {"event":"tally","name":E,"count":n,"bytes":b,"first":f}      an event E under tally: n so far, b bytes
//                                                                 of Buffers in all, f its first byte
//   {"event":"acked","name":E,"ackId":K,"args":[...]}               we answered an ack (auto or manual)
//   {"event":"ack","id":N,"name":E,"args":[...]}                    the server answered our emit
//   {"event":"ack_timeout","id":N,"name":E,"message":...}
//   {"event":"close","reason":...} / {"event":"reconnect_attempt","attempt":n} / {"event":"reconnect","attempt":n}
//   {"event":"reconnect_failed"} / {"event":"manager_error","message":...}
//   {"event":"packet","direction":"in"|"out","type":...,"data":...}   with --trace-packets
//   {"event":"state","connected":bool,"id":...,"transport":...}
//   {"event":"error","message":...}                                bad command or argument
//   {"event":"exit"}
// Binary values in args appear as {"_bin":"<hex>"}.
"use strict";

const { Manager } = require("socket.io-client");
const { print, readCommands, decode, argsOrExit, parseJsonArg } = require("./jsonlines");

function bool(text) {
  return text === true || text === "true" || text === "1";
}

const args = argsOrExit(
  {
    path: "/socket.io",
    transports: "polling,websocket",
    namespace: "/",
    reconnection: "false",
    autoconnect: "true",
    "trace-packets": "false",
  },
  (a) => {
    if (!a.url) throw new Error("--url is required");
  },
);

const transports = args.transports.split(",").map((t) => t.trim()).filter(Boolean);
const managerOptions = {
  path: args.path,
  transports,
  reconnection: bool(args.reconnection),
  autoConnect: false,
  ...(args.query ? { query: parseJsonArg("query", args.query) } : {}),
  ...(args.options ? parseJsonArg("options", args.options) : {}),
};
const manager = new Manager(args.url, managerOptions);
const tracePackets = bool(args["trace-packets"]);

print({ event: "started", url: args.url, path: args.path, transports });

// ---- Manager / engine observations -----------------------------------------------------------
manager.on("open", () => {
  const engine = manager.engine;
  print({ event: "open", sid: engine.id, transport: engine.transport.name });
  engine.on("upgrading", (t) => print({ event: "upgrading", transport: t.name }));
  engine.on("upgrade", (t) => print({ event: "upgrade", transport: t.name }));
  engine.on("upgradeError", (e) => print({ event: "upgrade_error", message: e.message }));
  if (tracePackets) {
    engine.on("packet", (p) => print({ event: "packet", direction: "in", type: p.type, data: p.data }));
    engine.on("packetCreate", (p) => print({ event: "packet", direction: "out", type: p.type, data: p.data }));
  }
});
manager.on("close", (reason, description) =>
  print({ event: "close", reason, description: describe(description) }));
manager.on("error", (e) => print({ event: "manager_error", message: e.message, data: e.data }));
manager.on("reconnect_attempt", (attempt) => print({ event: "reconnect_attempt", attempt }));
manager.on("reconnect", (attempt) => print({ event: "reconnect", attempt }));
manager.on("reconnect_failed", () => print({ event: "reconnect_failed" }));

// socket.io-client passes an Error, an {description, context} object or nothing: keep a string.
function describe(d) {
  if (d === undefined || d === null) return null;
  if (d instanceof Error) return d.message;
  if (typeof d === "object" && "description" in d) return describe(d.description);
  return String(d);
}

function transportName() {
  return manager.engine && manager.engine.transport ? manager.engine.transport.name : null;
}

// ---- sockets, one per namespace ------------------------------------------------------------
const sockets = new Map();
const pendingAcks = new Map(); // ackId -> callback
const autoAcks = new Map(); // event name or "*" -> {args} | {echo:true}
const tallies = new Map(); // event name -> {count, bytes}
let nextAckId = 1;
let nextEmitId = 1;

function openSocket(nsp, auth) {
  if (sockets.has(nsp)) return sockets.get(nsp);
  const socket = manager.socket(nsp, auth !== undefined ? { auth } : {});
  sockets.set(nsp, socket);
  socket.on("connect", () =>
    print({ event: "connect", namespace: nsp, id: socket.id, transport: transportName(), recovered: !!socket.recovered }));
  socket.on("connect_error", (e) =>
    print({ event: "connect_error", namespace: nsp, message: e.message, data: e.data === undefined ? null : e.data }));
  socket.on("disconnect", (reason, description) =>
    print({ event: "disconnect", namespace: nsp, reason, description: describe(description) }));
  socket.onAny((name, ...rest) => {
    const ack = rest.length && typeof rest[rest.length - 1] === "function" ? rest.pop() : null;
    const tally = tallies.get(name);
    if (tally) {
      const buffers = rest.filter((a) => Buffer.isBuffer(a) || a instanceof ArrayBuffer);
      tally.count++;
      for (const b of buffers) tally.bytes += b.byteLength;
      const b0 = buffers[0];
      const first = !b0 || !b0.byteLength ? null : Buffer.isBuffer(b0) ? b0[0] : new Uint8Array(b0, 0, 1)[0];
      print({ event: "tally", namespace: nsp, name, count: tally.count, bytes: tally.bytes, first });
      if (ack) ack();
      return;
    }
    const line = { event: "event", namespace: nsp, name, args: rest, ack: !!ack };
    if (!ack) {
      print(line);
      return;
    }
    const ackId = nextAckId++;
    line.ackId = ackId;
    print(line);
    const rule = autoAcks.get(name) || autoAcks.get("*");
    if (rule) {
      const reply = rule.echo ? rest : rule.args;
      ack(...reply);
      print({ event: "acked", namespace: nsp, name, ackId, args: reply });
    } else {
      pendingAcks.set(ackId, { ack, name, nsp });
    }
  });
  return socket;
}

function socketFor(cmd) {
  const nsp = cmd.namespace || args.namespace;
  const socket = sockets.get(nsp);
  if (!socket) throw new Error(`no socket for namespace ${nsp}; open it with {"cmd":"socket"}`);
  return socket;
}

const firstSocket = openSocket(args.namespace, args.auth ? parseJsonArg("auth", args.auth) : undefined);
if (bool(args.autoconnect)) firstSocket.connect();

// ---- commands ------------------------------------------------------------------------------------
// Disconnects every socket, lets the packets leave (at most 1 s), then exits 0.
let exiting = false;
function exit() {
  if (exiting) return;
  exiting = true;
  for (const s of sockets.values()) s.disconnect();
  const done = () => {
    print({ event: "exit" });
    process.exit(0);
  };
  const engine = manager.engine;
  if (!engine || engine.readyState === "closed") return done();
  engine.once("close", () => setImmediate(done));
  setTimeout(done, 1000);
}

const commands = {
  emit(cmd) {
    const socket = socketFor(cmd);
    const id = cmd.id !== undefined ? cmd.id : nextEmitId++;
    const name = cmd.event;
    const emitArgs = decode(cmd.args || []);
    let target = socket;
    if (cmd.volatile) target = target.volatile;
    if (cmd.compress !== undefined) target = target.compress(!!cmd.compress);
    if (!cmd.ack) {
      target.emit(name, ...emitArgs);
      return;
    }
    if (cmd.timeout !== undefined) {
      target.timeout(cmd.timeout).emit(name, ...emitArgs, (err, ...reply) => {
        if (err) print({ event: "ack_timeout", namespace: socket.nsp, id, name, message: err.message });
        else print({ event: "ack", namespace: socket.nsp, id, name, args: reply });
      });
    } else {
      target.emit(name, ...emitArgs, (...reply) => print({ event: "ack", namespace: socket.nsp, id, name, args: reply }));
    }
  },
  ack(cmd) {
    const pending = pendingAcks.get(cmd.ackId);
    if (!pending) throw new Error(`no pending ack ${cmd.ackId}`);
    pendingAcks.delete(cmd.ackId);
    const reply = decode(cmd.args || []);
    pending.ack(...reply);
    print({ event: "acked", namespace: pending.nsp, name: pending.name, ackId: cmd.ackId, args: reply });
  },
  tally(cmd) {
    if (!cmd.event) throw new Error("tally needs an event");
    tallies.set(cmd.event, { count: 0, bytes: 0 });
  },
  autoack(cmd) {
    if (!cmd.event) throw new Error("autoack needs an event (or \"*\")");
    autoAcks.set(cmd.event, cmd.echo ? { echo: true } : { args: decode(cmd.args || []) });
  },
  socket(cmd) {
    if (!cmd.namespace) throw new Error("socket needs a namespace");
    const socket = openSocket(cmd.namespace, cmd.auth);
    if (cmd.connect !== false) socket.connect();
  },
  connect(cmd) {
    socketFor(cmd).connect();
  },
  disconnect(cmd) {
    socketFor(cmd).disconnect();
  },
  "close-engine"() {
    if (!manager.engine) throw new Error("no engine connection");
    manager.engine.close();
  },
  state(cmd) {
    const socket = socketFor(cmd);
    print({ event: "state", namespace: socket.nsp, connected: socket.connected, id: socket.id || null,
            transport: transportName() });
  },
  exit,
};

readCommands((cmd) => {
  const handler = commands[cmd.cmd];
  if (!handler) throw new Error(`unknown command ${JSON.stringify(cmd.cmd)}`);
  handler(cmd);
}, exit);
