#!/usr/bin/env node
// A real socket.io@4 server (the npm package) that reports what our C++ client sends with its
// requests: the query, the cookies of every polling request and of the WebSocket upgrade, and
// the namespace joined. Used by tests/interop/tst_interop_nodeserver.cpp only (client options
// checked against the reference server: query encoding, URL query vs the query option,
// withCredentials, the URL path as namespace, an undecodable Engine.IO packet, the transports
// order, tryAllTransports, rememberUpgrade, addTrailingSlash, connect_error details).
// Started by tests/common/nodeprocess.h; it listens on loopback and exits when stdin closes.
//
// Arguments
//   --port N         default 0: a free port, reported in the "listening" line
//   --cookie         sets engine.io's `cookie` option ({name:"io", path:"/", httpOnly:true}): the
//                    handshake response carries Set-Cookie: io=<sid>
//   --transports L   the server's transports, e.g. "polling" (default: socket.io's default)
//   --no-trailing-slash   the server is created with addTrailingSlash: false (it then also
//                    answers "/socket.io?EIO=4...")
//   --refuse         allowRequest refuses every handshake (engine.io answers HTTP 403)
//   --bad-engine     no socket.io at all: a bare HTTP server that answers the Engine.IO handshake,
//                    accepts POSTs and answers the first long-poll GET with an undecodable
//                    payload ("9bogus"), the way a broken server or proxy would
//
// Observations (stdout, one JSON object per line):
//   {"event":"listening","port":N,"url":"http://127.0.0.1:N"}
//   {"event":"request","method":"GET"|"POST","transport":"polling","sid":S|null,"cookie":C|null,
//    "path":P}                                                       P: the request's path, e.g. "/socket.io/"
//   {"event":"upgrade","transport":"websocket","sid":S|null,"cookie":C|null,"path":P}   the WebSocket handshake
//   {"event":"connection","namespace":...,"id":...,"query":{...}}   socket.handshake.query
//   {"event":"bad-payload-sent"}                                     (--bad-engine)
//   {"event":"exit"}
"use strict";

const http = require("http");
const { Server } = require("socket.io");
const { print, readCommands, argsOrExit, exitOnce, listenOrExit } = require("./jsonlines");

const args = argsOrExit({ port: "0" });
const httpServer = http.createServer();

function describe(req) {
  const url = new URL(req.url, "http://localhost");
  return {
    transport: url.searchParams.get("transport"),
    sid: url.searchParams.get("sid"),
    cookie: req.headers.cookie === undefined ? null : req.headers.cookie,
    path: url.pathname,
  };
}

let close = () => httpServer.close();

if (args["bad-engine"] === "true") {
  let sessions = 0;
  httpServer.on("request", (req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      print({ event: "request", method: req.method, ...describe(req) });
      if (req.method === "POST") {
        res.end("ok");
        return;
      }
      if (!/[?&]sid=/.test(req.url)) {
        const open = { sid: `bad${sessions++}`, upgrades: [], pingInterval: 25000, pingTimeout: 20000,
                       maxPayload: 1000000 };
        res.end("0" + JSON.stringify(open));
        return;
      }
      // an undecodable payload ("9" is no Engine.IO packet type), a little later so that the
      // client has sent its CONNECT
      setTimeout(() => {
        print({ event: "bad-payload-sent" });
        res.end("9bogus");
      }, 50);
    });
  });
} else {
  const io = new Server(httpServer, {
    pingInterval: 300,
    pingTimeout: 200,
    ...(args.cookie === "true" ? { cookie: { name: "io", path: "/", httpOnly: true } } : {}),
    ...(args.transports ? { transports: args.transports.split(",").map((t) => t.trim()) } : {}),
    ...(args["no-trailing-slash"] === "true" ? { addTrailingSlash: false } : {}),
    ...(args.refuse === "true" ? { allowRequest: (req, callback) => callback("refused", false) } : {}),
  });
  // added after engine.io's own listeners: both run, these only observe
  httpServer.on("request", (req) => {
    if (req.url.startsWith("/socket.io"))
      print({ event: "request", method: req.method, ...describe(req) });
  });
  const websocketEnabled = !args.transports || args.transports.split(",").map((t) => t.trim()).includes("websocket");
  httpServer.on("upgrade", (req, socket) => {
    print({ event: "upgrade", ...describe(req) });
    // engine.io registers no upgrade listener without the websocket transport; ours is the only
    // one then and refuses as engine.io's abortUpgrade() does
    if (!websocketEnabled) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
  });
  const onConnection = (socket) => {
    print({ event: "connection", namespace: socket.nsp.name, id: socket.id, query: socket.handshake.query });
  };
  io.on("connection", onConnection);
  // every other namespace exists too (a parent namespace matching any name)
  io.of(/^\/.+/).on("connection", onConnection);
  close = () => io.close();
}

const exit = exitOnce(() => close());
readCommands((cmd) => {
  if (cmd.cmd === "exit") return exit();
  throw new Error(`unknown command ${JSON.stringify(cmd.cmd)}`);
}, exit);

listenOrExit(httpServer, args.port, "127.0.0.1", (port) => {
  print({ event: "listening", port, url: `http://127.0.0.1:${port}` });
});
