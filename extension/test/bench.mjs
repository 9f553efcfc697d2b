// The extension's fill benchmark (make bench): the built extension
// (extension/dist) in one headless Chromium, the portal in local workerd,
// the test sites on *.localhost. A profile with one login for
// bank.localhost, then:
//
//   warm   BENCH_FILLS (50) fills of plain.html and of react.html with the
//          service worker running;
//   cold   BENCH_COLD (10) fills of plain.html, each right after the service
//          worker was stopped (CDP ServiceWorker.stopWorker, as the browser
//          does when it is idle): the worker starts, loads the Go core
//          (meshpass.wasm), the core resumes the unlocked session from
//          chrome.storage.session, then matches and fills.
//
// Before each fill the page's two fields are emptied (native setter and an
// input event, so the React-style page's state is emptied too). Each fill
// is timed three ways, all starting when the fill command is issued:
//
//   roundtrip  in the extension page that sends it: from
//              chrome.runtime.sendMessage({cmd:"fillTab"}) to its answer. The
//              answer comes after the content script has set both fields,
//              so this is "fill command to fields filled" plus the answer's
//              way back.
//   page       from the same start to the moment the page itself (a capture
//              listener for input events in the page's own world) first
//              sees both #username and #password hold the login. Two
//              processes' clocks (performance.timeOrigin + now()); their
//              offset is checked and printed.
//   driver     what node sees around the Playwright evaluate that sends it
//              (adds CDP overhead; for reference).
//
// Every fill is checked: the answer says both fields were filled, the
// fields hold the login, and on react.html the page's own state holds it.
// For cold fills the restarted worker's own clock breaks the time down
// (worker start, meshpass.wasm fetched; with the core's performance marks,
// when present, also instantiate and core ready), and the Go core's fetch,
// compile and instantiate are also measured on their own inside the
// running worker.
//
// The cold fills' rows break the start down by the marks the worker
// (core.js: meshpass:load, fetched, instantiated, ready) and the Go core
// (go-started, opened, resumed, warmed) set: worker start to core load,
// fetch, compile + instantiate (streaming), Go start, device state read,
// session resume, vault read + index, ready to first fill.
//
// Then (BENCH_POPUP=0 leaves it out) the vault grows to
// BENCH_POPUP_ENTRIES (10,000) logins through addMany, and the popup is
// opened BENCH_POPUP_RUNS (10) times each: unlocked with the worker
// running, unlocked right after the worker was stopped, and locked then
// unlocked in it. Its marks (popup/dom.js markPainted) give the first
// paint (the Passwords page with this site's logins painted) and the list
// of all logins painted, from the popup's navigation start; after an
// unlock, from the unlock's answer. Each run checks that this site's
// login is listed and that the list built only the rows on screen. Then
// warm and cold fills again, from the large vault.
//
// Then the same warm and cold fills of plain.html in Firefox ESR
// (extension/dist-firefox through firefox.mjs; BENCH_FIREFOX=0 leaves it
// out), where a cold start is the event page stopped by Firefox when idle.
//
// Prints a table and writes the numbers to extension/test-artifacts/bench.json.
//   node extension/test/bench.mjs     (after make extension worker)

import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { FirefoxBrowser } from "./firefox.mjs";
import { ARTIFACTS, Browser, CHROMIUM, DIST, EXTENSION_ID, startPortal, startSites } from "./harness.mjs";

const WARM = Number(process.env.BENCH_FILLS || 50);
const COLD = Number(process.env.BENCH_COLD || 10);
const REACT = process.env.BENCH_REACT !== "0";
// BENCH_FIREFOX=0 leaves out the same fills in Firefox ESR (extension/dist-firefox).
const FIREFOX = process.env.BENCH_FIREFOX !== "0";
// Firefox stops an idle event page after extensions.background.idle.timeout;
// the benchmark sets it this short and waits this long before a cold fill.
const FIREFOX_IDLE_MS = 1000;
const FIREFOX_IDLE_WAIT_MS = 3000;
// BENCH_DIST: another build of the extension (same manifest key), e.g. one
// with extra timing marks; default extension/dist.
const BENCH_DIST = process.env.BENCH_DIST || DIST;

// BENCH_POPUP=0 leaves out the popup and fills of a large vault;
// BENCH_POPUP_ENTRIES (10,000) is its size, BENCH_POPUP_RUNS (10) how
// many times each popup case is timed.
const POPUP = process.env.BENCH_POPUP !== "0";
const POPUP_ENTRIES = Number(process.env.BENCH_POPUP_ENTRIES || 10_000);
const POPUP_RUNS = Number(process.env.BENCH_POPUP_RUNS || 10);
const PASSPHRASE = "correct horse battery bench";

const USERNAME = "alice@bank";
const PASSWORD = "hunter2-bank-Σ9";

const round = (x) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : null);

function stats(xs) {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  // Nearest rank: p50 of 50 is the 25th value, p95 the 48th.
  const p = (q) => s[Math.max(0, Math.ceil(q * s.length) - 1)];
  return {
    n: s.length,
    min: round(s[0]),
    p50: round(p(0.5)),
    p95: round(p(0.95)),
    max: round(s[s.length - 1]),
    mean: round(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

async function launch(name) {
  if (BENCH_DIST === DIST) return Browser.launch(name);
  // Browser.launch with another extension directory.
  const dir = await mkdtemp(join(tmpdir(), `meshpass-${name}-`));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 900, height: 700 },
    args: [
      `--disable-extensions-except=${BENCH_DIST}`,
      `--load-extension=${BENCH_DIST}`,
      "--host-resolver-rules=MAP *.localhost 127.0.0.1",
    ],
  });
  const b = new Browser(name, dir, ctx);
  if (ctx.serviceWorkers().length === 0) await ctx.waitForEvent("serviceworker");
  b.control = await ctx.newPage();
  await b.control.goto(`chrome-extension://${EXTENSION_ID}/popup.html?tab=-1`);
  return b;
}

// arm empties the page's fields (and a React-style page's state) and starts
// watching, in the page's own world, for both fields to hold the login.
async function arm(page) {
  await page.evaluate(
    ([u, p]) => {
      const desc = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value");
      const els = [document.getElementById("username"), document.getElementById("password")];
      for (const el of els) {
        desc.set.call(el, "");
        el.dispatchEvent(new Event("input", { bubbles: true }));
        el.dispatchEvent(new Event("change", { bubbles: true }));
      }
      if (els.some((el) => desc.get.call(el) !== "")) throw new Error("the fields did not empty");
      const w = window;
      w.__meshpassBench = { filledAt: null };
      if (!w.__meshpassBenchWatch) {
        w.__meshpassBenchWatch = () => {
          const b = w.__meshpassBench;
          if (b.filledAt === null && desc.get.call(els[0]) === b.u && desc.get.call(els[1]) === b.p) {
            b.filledAt = performance.timeOrigin + performance.now();
          }
        };
        window.addEventListener("input", w.__meshpassBenchWatch, true);
        window.addEventListener("change", w.__meshpassBenchWatch, true);
      }
      Object.assign(w.__meshpassBench, { u, p });
    },
    [USERNAME, PASSWORD],
  );
}

// fillOnce fills the login into page through the worker and times it.
async function fillOnce(b, page, tabId, id, { react = false } = {}) {
  await arm(page);
  const d0 = performance.now();
  const sent = await b.control.evaluate(
    async (arg) => {
      const t0 = performance.timeOrigin + performance.now();
      const r = await chrome.runtime.sendMessage({ cmd: "fillTab", arg });
      const t1 = performance.timeOrigin + performance.now();
      return { t0, t1, r };
    },
    { tabId, id, url: page.url() },
  );
  const driver = performance.now() - d0;
  if (!sent.r || sent.r.error) throw new Error(`fillTab: ${JSON.stringify(sent.r)}`);
  const seen = await page.evaluate(() => {
    const desc = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value");
    const state = document.getElementById("state");
    return {
      filledAt: window.__meshpassBench.filledAt,
      username: desc.get.call(document.getElementById("username")),
      password: desc.get.call(document.getElementById("password")),
      state: state ? JSON.parse(state.textContent) : null,
    };
  });
  const ok =
    sent.r.ok &&
    sent.r.ok.username &&
    sent.r.ok.password &&
    seen.username === USERNAME &&
    seen.password === PASSWORD &&
    (!react || (seen.state && seen.state.username === USERNAME && seen.state.password === PASSWORD));
  if (!ok)
    throw new Error(
      `fill not done: answer ${JSON.stringify(sent.r)}, page ${JSON.stringify({ ...seen, password: seen.password === PASSWORD ? "(the login's)" : seen.password })}`,
    );
  return {
    roundtrip: sent.t1 - sent.t0,
    page: seen.filledAt === null ? NaN : seen.filledAt - sent.t0,
    driver,
    t0: sent.t0,
  };
}

// clockOffset estimates how far page's clock (timeOrigin + now) is ahead of
// the control page's, from Date.now() in each (1 ms steps, so averaged).
async function clockOffset(b, page) {
  const probe = () => {
    const a = performance.timeOrigin + performance.now();
    return a - Date.now();
  };
  const xs = [];
  for (let i = 0; i < 20; i++) xs.push((await page.evaluate(probe)) - (await b.control.evaluate(probe)));
  return xs.reduce((a, c) => a + c, 0) / xs.length;
}

function serviceWorker(b) {
  return b.ctx
    .serviceWorkers()
    .filter((w) => w.url().startsWith(`chrome-extension://${EXTENSION_ID}/`))
    .pop();
}

// workerTimes reads the running worker's own clock: when it started, when
// meshpass.wasm was fetched, and the core's marks if it sets any.
async function workerTimes(b) {
  const w = serviceWorker(b);
  if (!w) return null;
  try {
    return await w.evaluate(() => ({
      origin: performance.timeOrigin,
      wasm:
        performance
          .getEntriesByType("resource")
          .filter((e) => e.name.endsWith("/meshpass.wasm"))
          .map((e) => ({ start: e.startTime, end: e.responseEnd }))
          .pop() || null,
      marks: Object.fromEntries(performance.getEntriesByType("mark").map((m) => [m.name, m.startTime])),
    }));
  } catch {
    return null;
  }
}

// coreLoad measures, inside the running worker, what loading the Go core
// costs apart from running it: fetch, compile, instantiate (and both at
// once the way the worker does it, instantiateStreaming).
async function coreLoad(b) {
  const w = serviceWorker(b);
  return w.evaluate(async () => {
    const url = chrome.runtime.getURL("meshpass.wasm");
    const t0 = performance.now();
    const bytes = await (await fetch(url)).arrayBuffer();
    const t1 = performance.now();
    const module = await WebAssembly.compile(bytes);
    const t2 = performance.now();
    await WebAssembly.instantiate(module, new globalThis.Go().importObject);
    const t3 = performance.now();
    await WebAssembly.instantiateStreaming(fetch(url), new globalThis.Go().importObject);
    const t4 = performance.now();
    return { fetch: t1 - t0, compile: t2 - t1, instantiate: t3 - t2, instantiateStreaming: t4 - t3, bytes: bytes.byteLength };
  });
}

function row(name, s, note = "") {
  if (!s) return `${name.padEnd(44)} ${"n/a".padStart(8)}`;
  return `${name.padEnd(44)} ${String(s.n).padStart(4)} ${s.p50.toFixed(1).padStart(9)} ${s.p95.toFixed(1).padStart(9)} ${s.max.toFixed(1).padStart(9)} ${s.min.toFixed(1).padStart(9)}  ${note}`;
}

// popupMarks opens the popup for tabId (as a page of its own, ?tab=N, as
// the end to end does), waits for its "meshpass:first-paint" mark (the
// Passwords page with this site's logins painted) and the
// "meshpass:list-painted" one (the list of all logins painted), checks
// what it shows, and returns the marks in ms from the popup's navigation
// start (its time origin: the moment it opens). before(popup), if given,
// runs first (the unlock).
async function popupMarks(b, tabId, entries, { before } = {}) {
  const popup = await b.ctx.newPage();
  try {
    await popup.setViewportSize({ width: 380, height: 600 });
    const opened = performance.now();
    await popup.goto(`chrome-extension://${EXTENSION_ID}/popup.html?tab=${tabId}`);
    if (before) await before(popup);
    const marks = () => popup.evaluate(() => Object.fromEntries(performance.getEntriesByType("mark").map((m) => [m.name, m.startTime])));
    await popup.waitForFunction(() => performance.getEntriesByName("meshpass:list-painted").length > 0, null, { timeout: 60_000 });
    const driver = performance.now() - opened;
    const m = await marks();
    // What it shows: this site's login, and of all the logins only the
    // rows on screen, each knowing its place among them all.
    const site = await popup.locator("[data-role=matches] li", { hasText: USERNAME }).count();
    const rows = await popup.locator("[data-role=entries] li").count();
    const setsize = await popup.locator("[data-role=entries] li").first().getAttribute("aria-setsize");
    if (site !== 1) throw new Error(`the popup lists ${site} logins of ${USERNAME} for this site`);
    if (Number(setsize) !== entries) throw new Error(`the list says it has ${setsize} rows, not ${entries}`);
    if (rows > 40) throw new Error(`the popup built ${rows} rows of ${entries}: not a virtual list`);
    // The popup syncs after its first paint: let that end before the next
    // run, whose worker would otherwise still be busy with it.
    await popup.locator("[data-role=sync]:is(.ok, .warn, .bad)").waitFor({ timeout: 60_000 });
    await popup.waitForFunction(() => performance.getEntriesByName("meshpass:refreshed").length > 0, null, { timeout: 60_000 });
    return { marks: m, driver, rows };
  } finally {
    await popup.close();
  }
}

// popupBench fills the profile up to POPUP_ENTRIES logins (one bulk write
// in batches), then times: the popup opened unlocked, with the worker
// running and right after it was stopped; the site's logins after an
// unlock in the popup; and fills (warm, and cold after the worker was
// stopped) from that vault, with the core's start in parts.
async function popupBench(b, page, tabId, id) {
  const added = [];
  for (let i = 0; added.length < POPUP_ENTRIES - 1; i++) {
    const batch = [];
    for (let j = 0; j < 2500 && added.length + batch.length < POPUP_ENTRIES - 1; j++) {
      const n = added.length + batch.length;
      batch.push({ sites: [`site${n}.example.com`], username: `user${n}@example.com`, password: `pw-${n}`, name: `Login ${n}` });
    }
    added.push(...(await b.bg("addMany", { entries: batch })).ids);
  }
  await b.bg("sync");
  const total = (await b.bg("list")).length;
  if (total !== POPUP_ENTRIES) throw new Error(`the vault has ${total} entries, not ${POPUP_ENTRIES}`);

  const out = { entries: total };
  await popupMarks(b, tabId, total); // warm-up, not counted
  const open = [];
  for (let i = 0; i < POPUP_RUNS; i++) open.push(await popupMarks(b, tabId, total));
  const stopped = [];
  for (let i = 0; i < POPUP_RUNS; i++) {
    await b.stopWorker();
    stopped.push(await popupMarks(b, tabId, total));
  }
  const unlocked = [];
  for (let i = 0; i < POPUP_RUNS; i++) {
    await b.bg("lock");
    unlocked.push(
      await popupMarks(b, tabId, total, {
        before: async (popup) => {
          await popup.locator("#unlock-passphrase").fill(PASSPHRASE);
          await popup.locator("#unlock").click();
        },
      }),
    );
  }
  const pick = (runs, f) => stats(runs.map(f));
  for (const [name, runs] of [
    ["open", open],
    ["stopped", stopped],
  ]) {
    out[name] = {
      scriptStart: pick(runs, (r) => r.marks["meshpass:popup-start"]),
      status: pick(runs, (r) => r.marks["meshpass:status"]),
      matches: pick(runs, (r) => r.marks["meshpass:matches"]),
      firstPaint: pick(runs, (r) => r.marks["meshpass:first-paint"]),
      listPainted: pick(runs, (r) => r.marks["meshpass:list-painted"]),
      driver: pick(runs, (r) => r.driver),
      rows: runs[0].rows,
    };
  }
  out.unlock = {
    sitePainted: pick(unlocked, (r) => r.marks["meshpass:first-paint"] - r.marks["meshpass:unlocked"]),
    listPainted: pick(unlocked, (r) => r.marks["meshpass:list-painted"] - r.marks["meshpass:unlocked"]),
  };

  // Fills from the large vault: warm, then cold with the start in parts.
  for (let i = 0; i < 3; i++) await fillOnce(b, page, tabId, id);
  const warm = [];
  for (let i = 0; i < WARM; i++) warm.push(await fillOnce(b, page, tabId, id));
  out.warmFill = pick(warm, (r) => r.page);
  out.cold = await coldFills(b, page, tabId, id);
  return out;
}

// coldFills fills COLD times, each right after the worker was stopped,
// and reads the restarted worker's clock: when it started, and the
// core's marks (core.js: load, fetched, instantiated, ready; the Go core:
// go-started, opened, resumed, warmed), as times from the fill command.
async function coldFills(b, page, tabId, id) {
  const runs = [];
  for (let i = 0; i < COLD; i++) {
    await b.stopWorker();
    const r = await fillOnce(b, page, tabId, id);
    // The vault is read and indexed after the fill when the fill did
    // not need it all: wait for it before reading the marks.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const wt = await workerTimes(b);
    if (wt) {
      // Worker start: from the fill command to the restarted worker's time origin.
      r.workerStart = wt.origin - r.t0;
      if (wt.wasm) r.wasmFetched = wt.origin + wt.wasm.end - r.t0;
      for (const [k, v] of Object.entries(wt.marks)) r[`mark:${k}`] = wt.origin + v - r.t0;
      const at = (k) => r[`mark:meshpass:${k}`];
      const part = (name, from, to) => {
        if (from !== undefined && to !== undefined) r[name] = to - from;
      };
      part("partLoad", r.workerStart, at("instantiated"));
      part("partStart", at("instantiated"), at("ready"));
      part("partFill", at("ready"), r.page);
      part("part:worker start to core load", r.workerStart, at("load"));
      part("part:fetch (headers)", at("load"), at("fetched"));
      part("part:compile + instantiate (streaming)", at("fetched"), at("instantiated"));
      part("part:Go start", at("instantiated"), at("go-started"));
      part("part:device state read", at("go-started"), at("opened"));
      part("part:session resume", at("opened"), at("resumed"));
      part("part:vault read + index", at("resumed"), at("warmed"));
      part("part:ready to first fill", at("ready"), r.page);
    }
    runs.push(r);
  }
  const keys = new Set(runs.flatMap((r) => Object.keys(r)));
  keys.delete("t0");
  const cold = Object.fromEntries([...keys].map((k) => [k, stats(runs.map((r) => r[k]))]));
  cold.samples = runs.map(({ t0, ...r }) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)])));
  return cold;
}

// coldRows are the table's rows of a coldFills result.
function coldRows(c, title) {
  const lines = [];
  lines.push(row(`${title}: roundtrip`, c.roundtrip));
  lines.push(row(`${title}: page sees filled`, c.page, c.clockOffsetMs !== undefined ? `(clock offset ${c.clockOffsetMs} ms)` : ""));
  lines.push(row(`${title}: driver`, c.driver));
  lines.push(row("  at: worker started (its time origin)", c.workerStart));
  if (c.wasmFetched) lines.push(row("  at: meshpass.wasm fetched", c.wasmFetched));
  for (const k of Object.keys(c)) if (k.startsWith("mark:")) lines.push(row(`  at: ${k.slice(5)} (mark)`, c[k]));
  for (const k of Object.keys(c)) if (k.startsWith("part:")) lines.push(row(`  ${k}`, c[k]));
  if (!c.partLoad)
    lines.push(
      "  (no meshpass:instantiated / meshpass:ready marks in this build: the wasm load is not separated; see the core-alone rows)",
    );
  return lines;
}

// firefoxBench runs the warm and cold fills of plain.html in Firefox ESR
// (firefox.mjs): the extension's background is an event page there, which
// Firefox stops after FIREFOX_IDLE_MS without events; a cold fill waits
// FIREFOX_IDLE_WAIT_MS, and counts only if the background page that
// answered is a new one (its performance.timeOrigin changed).
async function firefoxBench(portal, sites) {
  const b = await FirefoxBrowser.launch("bench", { prefs: { "extensions.background.idle.timeout": FIREFOX_IDLE_MS } });
  // Until the cold fills, a message every 300 ms keeps the event page
  // running, as any event does, so that no warm fill pays for a restart.
  // (The extension keeps its background alive only while an answer is in
  // flight, keepalive.js; between two calls Firefox may stop it.)
  let keep = setInterval(() => b.bg("status").catch(() => {}), 300);
  try {
    const host = `bank.localhost:${sites.port}`;
    await b.bg("create", { portal: portal.url, account: "bench-firefox", passphrase: "correct horse battery bench", deviceName: "bench" });
    await b.bg("add", { sites: [host], username: USERNAME, password: PASSWORD });
    const id = (await b.bg("list")).find((e) => e.username === USERNAME).id;
    const page = await b.open(sites.site("bank.localhost", "plain.html"));
    const tabId = await b.tabId(page.url());
    const version = await b.browser.version();
    const background = () => b.control.evaluate(async () => (await browser.runtime.getBackgroundPage()).performance.timeOrigin);
    for (let i = 0; i < 3; i++) await fillOnce(b, page, tabId, id);
    const offset = await clockOffset(b, page);
    const warm = [];
    for (let i = 0; i < WARM; i++) warm.push(await fillOnce(b, page, tabId, id));
    clearInterval(keep);
    keep = null;
    const cold = [];
    let before = await background();
    for (let i = 0; i < COLD; i++) {
      await new Promise((r) => setTimeout(r, FIREFOX_IDLE_WAIT_MS));
      const r = await fillOnce(b, page, tabId, id);
      const after = await background();
      if (after === before) throw new Error("Firefox did not stop the idle background page: no cold start measured");
      before = after;
      cold.push(r);
    }
    if (!(await b.bg("status")).unlocked) throw new Error("the session did not survive the background page's restarts");
    await page.close();
    const pick = (runs) => ({
      roundtrip: stats(runs.map((r) => r.roundtrip)),
      page: stats(runs.map((r) => r.page)),
      driver: stats(runs.map((r) => r.driver)),
    });
    return { firefox: version, clockOffsetMs: round(offset), warm: pick(warm), cold: pick(cold) };
  } finally {
    if (keep) clearInterval(keep);
    await b.close();
  }
}

async function main() {
  const started = Date.now();
  const [portal, sites] = await Promise.all([startPortal(), startSites()]);
  let b;
  try {
    b = await launch("bench");
    const host = `bank.localhost:${sites.port}`;
    await b.bg("create", { portal: portal.url, account: "bench", passphrase: PASSPHRASE, deviceName: "bench" });
    await b.bg("add", { sites: [host], username: USERNAME, password: PASSWORD });
    const id = (await b.bg("list")).find((e) => e.username === USERNAME).id;

    const pages = [["plain", "plain.html", false]];
    if (REACT) pages.push(["react", "react.html", true]);
    const result = {
      date: new Date().toISOString(),
      chromium: b.ctx.browser()?.version() ?? null,
      node: process.version,
      cpus: cpus().length,
      loadavgBefore: loadavg().map(round),
      fills: WARM,
      coldFills: COLD,
      measured: {
        roundtrip:
          "extension page: chrome.runtime.sendMessage({cmd:'fillTab'}) until its answer (sent after the content script set both fields)",
        page: "fill command issued (extension page clock) until the page's own input listener first sees both fields hold the login (page clock)",
        driver: "node: the Playwright evaluate that issues the fill (adds CDP overhead)",
      },
      warm: {},
      cold: null,
    };

    for (const [name, path, react] of pages) {
      const page = await b.open(sites.site("bank.localhost", path));
      const tabId = await b.tabId(page);
      for (let i = 0; i < 3; i++) await fillOnce(b, page, tabId, id, { react }); // warm-up, not counted
      const offset = await clockOffset(b, page);
      const runs = [];
      for (let i = 0; i < WARM; i++) runs.push(await fillOnce(b, page, tabId, id, { react }));
      result.warm[name] = {
        roundtrip: stats(runs.map((r) => r.roundtrip)),
        page: stats(runs.map((r) => r.page)),
        driver: stats(runs.map((r) => r.driver)),
        clockOffsetMs: round(offset),
        samples: runs.map((r) => ({ roundtrip: round(r.roundtrip), page: round(r.page), driver: round(r.driver) })),
      };
      await page.close();
    }

    const page = await b.open(sites.site("bank.localhost", "plain.html"));
    const tabId = await b.tabId(page);
    await fillOnce(b, page, tabId, id);
    const offset = await clockOffset(b, page);
    result.cold = await coldFills(b, page, tabId, id);
    const status = await b.bg("status");
    if (!status.unlocked) throw new Error("the session did not survive the worker restarts");
    result.cold.clockOffsetMs = round(offset);
    const loads = [];
    for (let i = 0; i < 3; i++) loads.push(await coreLoad(b));
    result.coreLoad = Object.fromEntries(
      ["fetch", "compile", "instantiate", "instantiateStreaming"].map((k) => [k, stats(loads.map((l) => l[k]))]),
    );
    result.coreLoad.bytes = loads[0].bytes;
    if (POPUP) result.popup = await popupBench(b, page, tabId, id);
    await page.close();

    await b.close();
    b = null;
    if (FIREFOX) result.firefox = await firefoxBench(portal, sites);

    result.loadavgAfter = loadavg().map(round);
    const lines = [];
    lines.push(
      `meshpass extension fill benchmark (${result.chromium ? `Chromium ${result.chromium}, ` : ""}Node ${process.version}, ${result.cpus} CPUs, load ${result.loadavgBefore[0]} before, ${result.loadavgAfter[0]} after); ms`,
    );
    lines.push(`${"".padEnd(44)} ${"n".padStart(4)} ${"p50".padStart(9)} ${"p95".padStart(9)} ${"max".padStart(9)} ${"min".padStart(9)}`);
    for (const [name] of pages) {
      const w = result.warm[name];
      lines.push(row(`warm fill ${name}.html: roundtrip`, w.roundtrip));
      lines.push(row(`warm fill ${name}.html: page sees both filled`, w.page, `(clock offset ${w.clockOffsetMs} ms)`));
      lines.push(row(`warm fill ${name}.html: driver (CDP incl.)`, w.driver));
    }
    const c = result.cold;
    lines.push(...coldRows(c, "cold start to first fill"));
    const ratio = (a, b) => (a && b ? `${(a.p50 / b.p50).toFixed(1)}× the warm fill's p50` : "");
    lines.push(row("  cold / warm (page sees filled, p50)", c.page, ratio(c.page, result.warm.plain.page)));
    const cl = result.coreLoad;
    lines.push(row(`core alone in a running worker: fetch`, cl.fetch, `(${(cl.bytes / 1e6).toFixed(1)} MB)`));
    lines.push(row(`core alone: WebAssembly.compile`, cl.compile));
    lines.push(row(`core alone: WebAssembly.instantiate`, cl.instantiate));
    lines.push(row(`core alone: instantiateStreaming(fetch)`, cl.instantiateStreaming));
    const p = result.popup;
    if (p) {
      lines.push(`popup and fills with ${p.entries} entries (ms from the popup's navigation start, or as said):`);
      lines.push(row("popup unlocked: at: its script runs", p.open.scriptStart));
      lines.push(row("popup unlocked: at: status answered", p.open.status));
      lines.push(row("popup unlocked: at: site's logins answered", p.open.matches));
      lines.push(row("popup unlocked: first paint (site's logins)", p.open.firstPaint, `(${p.open.rows} rows built)`));
      lines.push(row("popup unlocked: all logins painted", p.open.listPainted));
      lines.push(row("popup unlocked: driver (goto to list painted)", p.open.driver));
      lines.push(row("popup, worker stopped: at: status answered", p.stopped.status));
      lines.push(row("popup, worker stopped: at: site's logins answered", p.stopped.matches));
      lines.push(row("popup, worker stopped: first paint", p.stopped.firstPaint));
      lines.push(row("popup, worker stopped: all logins painted", p.stopped.listPainted));
      lines.push(row("unlock in the popup: to site's logins painted", p.unlock.sitePainted, "(from unlock's answer)"));
      lines.push(row("unlock in the popup: to all logins painted", p.unlock.listPainted, "(from unlock's answer)"));
      lines.push(row("warm fill plain.html: page sees both filled", p.warmFill));
      lines.push(...coldRows(p.cold, "cold start to first fill"));
      lines.push(row("  cold / warm (page sees filled, p50)", p.cold.page, ratio(p.cold.page, p.warmFill)));
    }
    const f = result.firefox;
    if (f) {
      lines.push(`Firefox (${f.firefox}), extension/dist-firefox, background event page:`);
      lines.push(row("warm fill plain.html: roundtrip", f.warm.roundtrip));
      lines.push(row("warm fill plain.html: page sees both filled", f.warm.page, `(clock offset ${f.clockOffsetMs} ms)`));
      lines.push(row("warm fill plain.html: driver (BiDi incl.)", f.warm.driver));
      lines.push(row("cold start to first fill: roundtrip", f.cold.roundtrip));
      lines.push(row("cold start to first fill: page sees filled", f.cold.page));
      lines.push(row("cold start to first fill: driver", f.cold.driver));
    }
    console.log(lines.join("\n"));

    result.seconds = Math.round((Date.now() - started) / 100) / 10;
    await mkdir(ARTIFACTS, { recursive: true });
    const out = join(ARTIFACTS, "bench.json");
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`bench: wrote ${out}`);
  } finally {
    await b?.close().catch(() => {});
    await sites.close();
    await portal.stop();
  }
}

await main();
