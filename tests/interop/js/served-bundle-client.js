#!/usr/bin/env node
// Loads the browser bundle socket.io.js as a page would, from the server under test
// (GET <url>/socket.io/socket.io.js), and connects with that very client over WebSocket
// (the `ws` package stands in for the browser's WebSocket). Proves that what serveClient
// serves is the working client.
//
// Arguments: --url URL (required)
// Output (JSON lines): {"event":"bundle","status":N,"bytes":N,"etag":...,"hasManager":bool}
//                      {"event":"connect","id":...} {"event":"ack","args":[...]} {"event":"error","message":...}
"use strict";

const http = require("http");
const vm = require("vm");
const { print, parseArgs } = require("./jsonlines");

const args = parseArgs(process.argv.slice(2), {});
if (!args.url) {
  print({ event: "error", message: "--url is required" });
  process.exit(2);
}

http.get(`${args.url}/socket.io/socket.io.js`, (res) => {
  const chunks = [];
  res.on("data", (c) => chunks.push(c));
  res.on("end", () => {
    const code = Buffer.concat(chunks).toString("utf8");
    // the UMD bundle exports through module.exports when it finds CommonJS; WebSocket is read
    // from the global object when the bundle is evaluated
    const sandbox = { module: { exports: {} }, console, setTimeout, clearTimeout, setInterval,
                      clearInterval, WebSocket: require("ws"), TextEncoder, TextDecoder };
    sandbox.exports = sandbox.module.exports;
    sandbox.self = sandbox;
    let io;
    try {
      vm.runInNewContext(code, sandbox, { filename: "socket.io.js" });
      io = sandbox.module.exports;
    } catch (e) {
      print({ event: "error", message: `bundle did not evaluate: ${e.message}` });
      process.exit(1);
    }
    print({ event: "bundle", status: res.statusCode, bytes: code.length, etag: res.headers.etag || null,
            hasManager: typeof io === "function" && typeof io.Manager === "function" });
    const socket = io(args.url, { transports: ["websocket"], reconnection: false });
    socket.on("connect", () => {
      print({ event: "connect", id: socket.id });
      socket.emit("hello", "from the served bundle", (...ackArgs) => {
        print({ event: "ack", args: ackArgs });
        socket.disconnect();
        process.exit(0);
      });
    });
    socket.on("connect_error", (e) => print({ event: "error", message: `connect_error: ${e.message}` }));
  });
}).on("error", (e) => {
  print({ event: "error", message: e.message });
  process.exit(1);
});
