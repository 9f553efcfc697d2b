// What the extension's end-to-end test and benchmark share: the portal in
// local workerd, the test sites, and browsers with the built extension
// (extension/dist) loaded, driven by Playwright (playwright-core with
// Debian's Chromium; never a downloaded browser).

import { spawn } from "node:child_process";
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "./serve.mjs";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const DIST = join(ROOT, "extension", "dist");
/** EXTENSION_ID is fixed by the manifest's key. */
export const EXTENSION_ID = "nmckdagikeogfddiijpaccjilocpiajg";
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
/** ARTIFACTS is where screenshots go (make test keeps them). */
export const ARTIFACTS = process.env.ARTIFACTS || join(ROOT, "extension", "test-artifacts");

/**
 * startPortal runs the portal worker in local workerd (wrangler dev) with a
 * fresh D1 database, through cmd/internal/localportal.
 * Resolves with {url, coldStartMs, stop}.
 */
export async function startPortal() {
  const go = process.env.GO || "go";
  const args = ["run", "./cmd/internal/localportal"];
  if (process.env.LOCALPORTAL_NOBUILD) args.push("-nobuild");
  const child = spawn(go, args, { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the local portal did not start within 240 s")), 240_000);
    lines.once("line", (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once("exit", (code) => reject(new Error(`localportal exited with ${code}`)));
  });
  const info = JSON.parse(first);
  return {
    ...info,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", resolve);
        child.stdin.end(); // localportal stops the worker when stdin closes
        setTimeout(() => child.kill("SIGKILL"), 20_000).unref();
      }),
  };
}

/** startSites serves extension/test/pages; site(host, path) is a URL on it. */
export async function startSites() {
  const server = await startServer(0);
  return { ...server, site: (host, path = "plain.html") => `http://${host}:${server.port}/${path}` };
}

/**
 * Browser is one person's browser: its own profile directory, the
 * extension loaded, and an extension page ("control") to reach the
 * service worker through chrome.runtime.sendMessage, which wakes the
 * worker like any real message does.
 */
export class Browser {
  /**
   * launch starts the browser; language (e.g. "de") sets the browser's own
   * language, which chrome.i18n follows (on Linux through LANGUAGE; --lang
   * is for the other platforms), colorScheme ("light" or "dark") what
   * prefers-color-scheme says.
   */
  static async launch(name, { language, colorScheme } = {}) {
    const dir = await mkdtemp(join(tmpdir(), `meshpass-${name}-`));
    const ctx = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 900, height: 700 },
      ...(language ? { locale: language, env: { ...process.env, LANGUAGE: language } } : {}),
      ...(colorScheme ? { colorScheme } : {}),
      args: [
        ...(language ? [`--lang=${language}`] : []),
        `--disable-extensions-except=${DIST}`,
        `--load-extension=${DIST}`,
        // Every *.localhost and *.test site is the local test server
        // (*.test stands for a site on the network: plain http there is
        // not loopback).
        "--host-resolver-rules=MAP *.localhost 127.0.0.1, MAP *.test 127.0.0.1",
      ],
    });
    const b = new Browser(name, dir, ctx);
    if (ctx.serviceWorkers().length === 0) await ctx.waitForEvent("serviceworker");
    b.control = await ctx.newPage();
    await b.control.goto(`chrome-extension://${EXTENSION_ID}/popup.html?tab=-1`);
    return b;
  }

  constructor(name, dir, ctx) {
    this.name = name;
    this.dir = dir;
    this.ctx = ctx;
  }

  /** bg calls the service worker as the popup does; rejects on error. */
  async bg(cmd, arg) {
    const r = await this.control.evaluate(([c, a]) => chrome.runtime.sendMessage({ cmd: c, arg: a }), [cmd, arg]);
    if (r && r.error) throw Object.assign(new Error(`${cmd}: ${r.error.message}`), r.error);
    return r.ok;
  }

  /** worker is the extension's running service worker (Playwright's handle). */
  async worker() {
    const all = this.ctx.serviceWorkers();
    return all.length ? all[all.length - 1] : this.ctx.waitForEvent("serviceworker");
  }

  /** tabId finds the browser's tab id of a Playwright page. */
  async tabId(page) {
    const url = page.url();
    const ids = await this.control.evaluate(async (u) => (await chrome.tabs.query({})).filter((t) => t.url === u).map((t) => t.id), url);
    if (ids.length !== 1) throw new Error(`${ids.length} tabs show ${url}`);
    return ids[0];
  }

  /** open loads url in a new tab and waits for its content script. */
  async open(url) {
    const page = await this.ctx.newPage();
    await page.goto(url);
    await page.waitForLoadState("load");
    return page;
  }

  /** popup opens the popup as a page, aimed at page's tab (or none). */
  async popup(page) {
    const tab = page ? await this.tabId(page) : -1;
    const p = await this.ctx.newPage();
    await p.setViewportSize({ width: 380, height: 600 });
    await p.goto(`chrome-extension://${EXTENSION_ID}/popup.html?tab=${tab}`);
    return p;
  }

  /**
   * stopWorker stops the extension's service worker the way the browser
   * does when it is idle (CDP ServiceWorker.stopWorker) and waits until it
   * is stopped.
   */
  async stopWorker() {
    const cdp = await this.ctx.newCDPSession(this.control);
    const versions = new Map();
    let changed = () => {};
    cdp.on("ServiceWorker.workerVersionUpdated", (e) => {
      for (const v of e.versions)
        if (v.scriptURL.startsWith(`chrome-extension://${EXTENSION_ID}/`)) versions.set(v.versionId, v.runningStatus);
      changed();
    });
    await cdp.send("ServiceWorker.enable");
    const until = async (pred) => {
      const deadline = Date.now() + 10_000;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`service worker: ${JSON.stringify([...versions])}`);
        await new Promise((r) => {
          changed = r;
          setTimeout(r, 100);
        });
      }
    };
    await until(() => [...versions.values()].includes("running"));
    for (const [id, status] of versions) if (status === "running") await cdp.send("ServiceWorker.stopWorker", { versionId: id });
    await until(() => [...versions.values()].every((s) => s === "stopped"));
    await cdp.detach();
  }

  async close() {
    await this.ctx.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** shot saves a screenshot of page under ARTIFACTS. */
export async function shot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** waitFor polls f until it returns a truthy value (or throws after ms). */
export async function waitFor(f, what, ms = 20_000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      if (/failed/.test(e.message)) throw e; // f saw a definite failure
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * startProxy puts a proxy in front of the portal whose mode the test sets:
 * "pass" forwards, "down" drops every connection (a portal that cannot be
 * reached), "tamper" changes one character of the first signature in each
 * answer (a hostile portal, which the client must refuse).
 */
export async function startProxy(target) {
  const { createServer } = await import("node:http");
  const proxy = { mode: "pass" };
  const server = createServer(async (req, res) => {
    if (proxy.mode === "down") return req.socket.destroy();
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const headers = { "content-type": req.headers["content-type"] || "application/json" };
    const answer = await fetch(new URL(req.url, target), {
      method: req.method,
      headers,
      body: req.method === "POST" ? Buffer.concat(chunks) : undefined,
    });
    let body = Buffer.from(await answer.arrayBuffer());
    if (proxy.mode === "tamper") body = Buffer.from(tamper(body.toString("utf8")));
    const out = {};
    answer.headers.forEach((v, k) => {
      if (k !== "content-length" && k !== "content-encoding" && k !== "transfer-encoding") out[k] = v;
    });
    res.writeHead(answer.status, out).end(body);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  proxy.url = `http://127.0.0.1:${server.address().port}`;
  proxy.close = () =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(r);
    });
  return proxy;
}

function tamper(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    return text;
  }
  let done = false;
  const walk = (v) => {
    if (done || !v || typeof v !== "object") return;
    for (const [k, x] of Object.entries(v)) {
      if (!done && k === "signature" && typeof x === "string" && x.length > 8) {
        const i = Math.floor(x.length / 2);
        v[k] = x.slice(0, i) + (x[i] === "A" ? "B" : "A") + x.slice(i + 1);
        done = true;
      } else walk(x);
    }
  };
  walk(doc);
  return JSON.stringify(doc);
}
