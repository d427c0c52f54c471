#!/usr/bin/env node
// Drives the official Socket.IO Admin UI (the prebuilt Vue app of the pinned @socket.io/admin-ui,
// node_modules/@socket.io/admin-ui/ui/dist) in Debian's chromium, headless, through
// playwright-core: serves the UI over HTTP on a free loopback port, fills its login form with the
// server URL and credentials, then checks that the expected socket and room rows appear, saving a
// screenshot of each page. Started by tests/admin/tst_admin_officialui.cpp.
//
// Arguments
//   --server-url URL        the instrumented server, e.g. http://127.0.0.1:3000 (required)
//   --username U            login form user name (default: empty)
//   --password P            login form password (default: empty)
//   --socket-id ID          a socket id that must show on the sockets page (namespace "/")
//   --room NAME             a room that must show on the rooms page (namespace "/")
//   --expect-error TEXT     instead: the login must fail with this message in the form
//   --screenshots DIR       where to write admin-officialui-<page>.png (required)
//   --chromium PATH         default /usr/bin/chromium
//   --timeout MS            per step (default 20000)
//
// Observations (stdout, JSON lines):
//   {"event":"serving","url":...}            the UI's own URL
//   {"event":"login","ok":true} | {"event":"login","ok":false,"error":...}
//   {"event":"visible","page":"sockets","text":ID,"screenshot":FILE}
//   {"event":"visible","page":"rooms","text":NAME,"screenshot":FILE}
//   {"event":"screenshot","page":"dashboard","screenshot":FILE}
//   {"event":"error","step":...,"message":...}   (exit code 1)
//   {"event":"done"}
"use strict";

const fs = require("fs");
const http = require("http");
const path = require("path");
const { chromium } = require("playwright-core");
const { print, parseArgs } = require("./jsonlines");

let args;
try {
  args = parseArgs(process.argv.slice(2), {
    username: "",
    password: "",
    chromium: "/usr/bin/chromium",
    timeout: "20000",
  });
  if (!args["server-url"] || !args.screenshots) throw new Error("--server-url and --screenshots are required");
} catch (e) {
  print({ event: "error", step: "arguments", message: e.message });
  process.exit(2);
}
const timeout = Number(args.timeout);
const uiRoot = path.join(path.dirname(require.resolve("@socket.io/admin-ui/package.json")), "ui", "dist");
const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png",
                ".svg": "image/svg+xml", ".map": "application/json" };

// ---- a static file server for ui/dist --------------------------------------------------------
const httpServer = http.createServer((req, res) => {
  const urlPath = decodeURIComponent(new URL(req.url, "http://x").pathname);
  const file = path.normalize(path.join(uiRoot, urlPath === "/" ? "index.html" : urlPath));
  if (!file.startsWith(uiRoot + path.sep)) {
    res.writeHead(403).end();
    return;
  }
  fs.readFile(file, (err, data) => {
    if (err) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": types[path.extname(file)] || "application/octet-stream" }).end(data);
  });
});

let browser;
let step = "start";

async function fail(page, message) {
  print({ event: "error", step, message });
  if (page) {
    const file = path.join(args.screenshots, `admin-officialui-failed-${step}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
  }
  if (browser) await browser.close().catch(() => {});
  process.exit(1);
}

async function main() {
  await new Promise((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const uiUrl = `http://127.0.0.1:${httpServer.address().port}/`;
  print({ event: "serving", url: uiUrl });
  fs.mkdirSync(args.screenshots, { recursive: true });

  step = "launch";
  browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: ["--no-sandbox"] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(timeout);
  // only loopback: the UI's web fonts and icon font (googleapis, jsdelivr) are not fetched
  await page.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
  page.on("pageerror", (e) => print({ event: "page_error", message: e.message }));

  try {
    step = "login form";
    await page.goto(uiUrl);
    const dialog = page.locator(".v-dialog--active");
    await dialog.waitFor({ state: "visible" });
    const inputs = dialog.locator("input");
    await inputs.nth(0).fill(args["server-url"]);
    await inputs.nth(1).fill(args.username);
    await dialog.locator("input[type=password]").fill(args.password);
    await dialog.locator("button[type=submit]").click();

    step = "login";
    const error = dialog.locator(".red--text");
    const outcome = await Promise.race([
      dialog.waitFor({ state: "hidden" }).then(() => "ok"),
      error.waitFor({ state: "visible" }).then(() => "error"),
    ]);
    if (outcome === "error") {
      const text = (await error.innerText()).trim();
      print({ event: "login", ok: false, error: text });
      const file = path.join(args.screenshots, "admin-officialui-login-error.png");
      await page.screenshot({ path: file, animations: "disabled" });
      print({ event: "screenshot", page: "login-error", screenshot: file });
      if (args["expect-error"] === undefined) await fail(page, `login failed: ${text}`);
    } else {
      print({ event: "login", ok: true });
      // the dialog's overlay goes once its closing transition is over
      await page.locator(".v-overlay--active").waitFor({ state: "detached" });
      if (args["expect-error"] !== undefined) await fail(page, "login succeeded, an error was expected");

      if (args["socket-id"]) {
        step = "sockets page";
        await page.goto(uiUrl + "#/sockets/");
        await page.locator(".v-data-table").getByText(args["socket-id"], { exact: true }).waitFor();
        const file = path.join(args.screenshots, "admin-officialui-sockets.png");
        await page.screenshot({ path: file, animations: "disabled" });
        print({ event: "visible", page: "sockets", text: args["socket-id"], screenshot: file });
      }
      if (args.room) {
        step = "rooms page";
        await page.goto(uiUrl + "#/rooms/");
        await page.locator(".v-data-table").getByText(args.room, { exact: true }).waitFor();
        const file = path.join(args.screenshots, "admin-officialui-rooms.png");
        await page.screenshot({ path: file, animations: "disabled" });
        print({ event: "visible", page: "rooms", text: args.room, screenshot: file });
      }
      step = "dashboard";
      await page.goto(uiUrl + "#/");
      // the servers card lists our serverId once server_stats arrived
      await page.locator(".v-card").filter({ hasText: /Servers/i }).first().waitFor();
      const file = path.join(args.screenshots, "admin-officialui-dashboard.png");
      await page.screenshot({ path: file, animations: "disabled" });
      print({ event: "screenshot", page: "dashboard", screenshot: file });
    }
  } catch (e) {
    await fail(page, e.message.split("\n")[0]);
  }
  await browser.close();
  print({ event: "done" });
  process.exit(0);
}

main().catch((e) => fail(null, e.message));
