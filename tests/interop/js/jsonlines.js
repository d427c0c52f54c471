// Shared by the interop drivers: JSON lines on stdout/stdin and the binary encoding.
//
// Binary values cannot travel in JSON, so both directions encode them as {"_bin":"<hex>"}:
// encode() turns Buffers, ArrayBuffers and typed arrays (at any depth) into that form,
// decode() turns every object whose only key is "_bin" back into a Buffer.
"use strict";

const readline = require("readline");

function isBinary(v) {
  return Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v);
}

function toBuffer(v) {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function encode(v) {
  if (v === undefined) return null;
  if (v === null || typeof v !== "object") return v;
  if (isBinary(v)) return { _bin: toBuffer(v).toString("hex") };
  if (Array.isArray(v)) return v.map(encode);
  const out = {};
  for (const [k, x] of Object.entries(v)) out[k] = encode(x);
  return out;
}

function decode(v) {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(decode);
  const keys = Object.keys(v);
  if (keys.length === 1 && keys[0] === "_bin" && typeof v._bin === "string") {
    return Buffer.from(v._bin, "hex");
  }
  const out = {};
  for (const [k, x] of Object.entries(v)) out[k] = decode(x);
  return out;
}

// One JSON object per line on stdout. Writes to a pipe are synchronous on Linux, so nothing is
// lost when the process exits right after.
function print(obj) {
  process.stdout.write(JSON.stringify(encode(obj)) + "\n");
}

// Calls onCommand(object) for every JSON line on stdin and onEnd() on EOF. Malformed lines are
// reported as {"event":"error"} and skipped.
function readCommands(onCommand, onEnd) {
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  rl.on("line", (line) => {
    if (!line.trim()) return;
    let cmd;
    try {
      cmd = JSON.parse(line);
    } catch (e) {
      print({ event: "error", message: `bad command line: ${e.message}`, line });
      return;
    }
    try {
      onCommand(cmd);
    } catch (e) {
      print({ event: "error", message: `command failed: ${e.message}`, cmd });
    }
  });
  rl.on("close", onEnd);
}

// --name value pairs; a flag without value (or followed by another --flag) is "true".
function parseArgs(argv, defaults) {
  const args = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument ${argv[i]}`);
    if (m[2] !== undefined) args[m[1]] = m[2];
    else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) args[m[1]] = argv[++i];
    else args[m[1]] = "true";
  }
  return args;
}

function parseJsonArg(name, text) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`--${name} is not valid JSON: ${e.message}`);
  }
}

// parseArgs() over this process's arguments; check(args) may throw to refuse them. A bad argument
// is reported as {"event":"error"} and the process exits with status 2.
function argsOrExit(defaults, check) {
  try {
    const args = parseArgs(process.argv.slice(2), defaults);
    if (check) check(args);
    return args;
  } catch (e) {
    print({ event: "error", message: e.message });
    process.exit(2);
  }
}

// The exit() of a server driver: the first call prints {"event":"exit"}, runs close() and exits
// with status 0; later calls do nothing.
function exitOnce(close) {
  let exiting = false;
  return () => {
    if (exiting) return;
    exiting = true;
    print({ event: "exit" });
    close();
    process.exit(0);
  };
}

// httpServer.listen(port, host) with onListening(port) called once it listens; a listen error is
// reported as {"event":"error"} and the process exits with status 1.
function listenOrExit(httpServer, port, host, onListening) {
  httpServer.on("error", (e) => {
    print({ event: "error", message: e.message });
    process.exit(1);
  });
  httpServer.listen(Number(port), host, () => onListening(httpServer.address().port));
}

module.exports = {
  encode,
  decode,
  print,
  readCommands,
  parseArgs,
  parseJsonArg,
  argsOrExit,
  exitOnce,
  listenOrExit,
};
