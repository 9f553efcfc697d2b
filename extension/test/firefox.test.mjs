// End to end in Firefox: the extension's Firefox build (make
// extension-firefox) in two headless Debian Firefox ESR browsers, driven
// over WebDriver BiDi (puppeteer-core; see firefox.mjs), against the portal
// in local workerd, on test sites served on *.localhost. Run by make e2e.
//
// F1 creates a profile in the popup and saves a login for bank.localhost;
// F2 asks to connect and F1 approves it in its popup after both show the
// same witness code; F2 fills the bank login from the popup (plain and
// React-style forms) and by the shortcut's path; a look-alike host gets
// nothing; F2 saves a new login from the popup's offer (the page shows
// nothing); F1 sees it after sync. F1 escrows 2-of-3 on its escrow page;
// F3, with nothing, recovers from shares 1 and 3. F3 runs with the event
// page's idle timeout at 2 s (extensions.background.idle.timeout): on a
// plain-http page the fill waits for the person's click on the "not
// secure" banner three times that long, and the background page that
// answers must be the one that started (kept alive, not stopped mid-answer).

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { clickBannerButton, clickRow, FirefoxBrowser, press, settled, text, until } from "./firefox.mjs";
import { startPortal, startSites } from "./harness.mjs";

const PASS_1 = "correct horse battery F1";
const PASS_2 = "correct horse battery F2";

let portal;
let sites;
let F1;
let F2;
let F3;
/** IDLE_MS is F3's event page idle timeout. */
const IDLE_MS = 2000;
const PASS_3 = "correct horse battery F3";

before(async () => {
  // Keep whatever started, so that after() stops it even when one failed.
  const started = await Promise.allSettled([startPortal(), startSites(), FirefoxBrowser.launch("f1"), FirefoxBrowser.launch("f2")]);
  [portal, sites, F1, F2] = started.map((r) => (r.status === "fulfilled" ? r.value : undefined));
  const failed = started.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
});

after(async () => {
  await Promise.allSettled([F1?.close(), F2?.close(), F3?.close()]);
  await sites?.close();
  await portal?.stop();
});

async function values(page) {
  return page.evaluate(() => ({
    username: document.querySelector("#username").value,
    password: document.querySelector("#password").value,
  }));
}

async function fill(page, selector, value) {
  await page.locator(selector).fill(value);
}

// fillFromPopup opens the popup for page and clicks Fill on the entry of
// username among "For this site"; it resolves with what the popup said.
async function fillFromPopup(browser, page, username) {
  const popup = await browser.popup(page.url());
  await settled(popup);
  await clickRow(popup, "[data-role=matches]", username, "fill");
  const said = await until(async () => {
    const s = (await popup.$$eval("[data-role=status]", (els) => els.map((e) => e.innerText).join(" "))).trim();
    if (/Filled|No login form/.test(s)) return s;
    if (s) throw new Error(`the fill failed: ${s}`);
    return "";
  }, "the fill to finish");
  await popup.close();
  return said;
}

test("extension end to end in Firefox", async (t) => {
  const bank = (path) => sites.site("bank.localhost", path);

  await t.test("the add-on has its host permissions and the background page answers", async () => {
    const granted = await F1.control.evaluate(() => chrome.permissions.getAll());
    assert.deepEqual(granted.origins.sort(), ["http://*/*", "https://*/*"]);
    assert.deepEqual(await F1.bg("status"), { device: false, unlocked: false, administrator: false });
  });

  await t.test("F1 creates a profile in the popup", async () => {
    const popup = await F1.popup();
    await fill(popup, "#portal", portal.url);
    await fill(popup, "#account", "alice");
    await until(async () => (await text(popup, "[data-role=account-note]")).includes("available"), "the live account check");
    await fill(popup, "#device", "Alice's Firefox");
    await fill(popup, "#passphrase", PASS_1);
    await fill(popup, "#passphrase2", PASS_1);
    await popup.click("#create");
    await popup.waitForSelector("[data-page=passwords]", { timeout: 30_000 });
    await until(async () => (await text(popup, "[data-role=sync]")) === "synced", "the first sync");
    await popup.close();
    const status = await F1.bg("status");
    assert.equal(status.unlocked, true);
    assert.equal(status.administrator, true);
  });

  await t.test("F1 saves a login for bank.localhost in the popup", async () => {
    const site = await F1.open(bank("plain.html"));
    const popup = await F1.popup(site.url());
    await popup.click("#add");
    await popup.waitForSelector("#entry-sites");
    assert.equal(await popup.$eval("#entry-sites", (e) => e.value), new URL(bank()).host, "the form offers the tab's site");
    await fill(popup, "#entry-username", "alice@bank");
    await fill(popup, "#entry-password", "hunter2-bank");
    await popup.click("#entry-save");
    await until(async () => (await text(popup, "[data-role=matches]")).includes("alice@bank"), "the new login for this site");
    await popup.close();
    await site.close();
  });

  await t.test("F2 asks to connect; both show the same witness code; F1 approves", async () => {
    const popup2 = await F2.popup();
    await popup2.click("[data-tab=connect]");
    await fill(popup2, "#portal", portal.url);
    await fill(popup2, "#account", "alice");
    await fill(popup2, "#device", "Alice's other Firefox");
    await fill(popup2, "#passphrase", PASS_2);
    await fill(popup2, "#passphrase2", PASS_2);
    await popup2.click("#connect");
    // First contact: F2 shows the profile fingerprint; the person confirms it.
    const fingerprint = await until(async () => (await text(popup2, "[data-role=profile]")).trim(), "the profile fingerprint", 30_000);
    assert.equal(fingerprint, (await F1.bg("status")).fingerprint);
    await press(popup2, "#confirm-profile");
    await until(async () => (await text(popup2, "[data-role=device]")).trim(), "the waiting view", 30_000);

    // F1 lists the request (answering its witness exchange); F2 answers back.
    const popup1 = await F1.popup();
    await press(popup1, "[data-page=devices]");
    await settled(popup1);
    const request = "[data-role=pending][data-device]:not([data-waiting])";
    const witness1 = await until(async () => (await text(popup1, `${request} .witness`)).trim(), "the request's witness code", 30_000);
    const witness2 = await until(async () => (await text(popup2, ".witness")).trim(), "the witness code", 30_000);
    assert.match(witness2, /^[A-Z2-7]{5}-[A-Z2-7]{5}$/);
    assert.equal(witness1, witness2, "the two browsers show the same witness code");
    assert.equal((await text(popup1, `${request} [data-role=request-device]`)).trim(), (await text(popup2, "[data-role=device]")).trim());
    await press(popup1, `${request} [data-action=approve]`);
    await until(async () => (await text(popup1, "[data-role=devices]")).includes("Alice's other Firefox"), "the new device", 30_000);
    await popup1.close();

    await popup2.waitForSelector("[data-page=passwords]", { timeout: 30_000 });
    await popup2.close();
    assert.deepEqual(
      (await F2.bg("list")).map((e) => e.username),
      ["alice@bank"],
    );
  });

  await t.test("F2 fills the bank login from the popup: plain and React-style forms", async () => {
    const plain = await F2.open(bank("plain.html"));
    assert.match(await fillFromPopup(F2, plain, "alice@bank"), /Filled/);
    assert.deepEqual(await values(plain), { username: "alice@bank", password: "hunter2-bank" });

    const react = await F2.open(bank("react.html"));
    assert.match(await fillFromPopup(F2, react, "alice@bank"), /Filled/);
    const state = JSON.parse(await text(react, "#state"));
    assert.deepEqual([state.username, state.password], ["alice@bank", "hunter2-bank"], "the page's own state saw the fill");
    await plain.close();
    await react.close();
  });

  await t.test("the shortcut's path fills the exact-host match; a look-alike gets nothing", async () => {
    const page = await F2.open(bank("plain.html"));
    const tabId = await F2.tabId(page.url());
    // What commands.onCommand runs with the tab (BiDi cannot press the
    // browser's own shortcuts); the background page's global, reached from
    // an extension page of the same add-on.
    const commands = await F2.control.evaluate(() => chrome.commands.getAll());
    assert.ok(commands.some((c) => c.name === "fill-login"));
    const r = await F2.bg("fillTab", { tabId, id: (await F2.bg("list"))[0].id, url: page.url() });
    assert.deepEqual([r.username, r.password], [true, true]);
    assert.deepEqual(await values(page), { username: "alice@bank", password: "hunter2-bank" });
    await page.close();

    const evil = await F2.open(sites.site("bank.localhost.evil.localhost", "plain.html"));
    const id = (await F2.bg("list"))[0].id;
    await assert.rejects(F2.bg("fillTab", { tabId: await F2.tabId(evil.url()), id, url: evil.url() }), /not for/);
    assert.deepEqual(await values(evil), { username: "", password: "" });
    await evil.close();
  });

  await t.test("F2 saves a new login from the popup's offer (nothing on the page); F1 sees it after sync", async () => {
    const shop = await F2.open(sites.site("shop.localhost", "plain.html"));
    await fill(shop, "#username", "alice@shop");
    await fill(shop, "#password", "shop-secret-1");
    await Promise.all([shop.waitForNavigation(), shop.click("#submit")]);
    await until(async () => (await F2.badge(shop.url())) === "+", "the toolbar button's mark");
    assert.equal(await shop.evaluate(() => document.querySelectorAll("[data-meshpass]").length), 0, "nothing on the page");
    const popup = await F2.popup(shop.url());
    await until(
      async () => /Save the login alice@shop on shop\.localhost/.test(await text(popup, "[data-role=offer]")),
      "the popup's offer",
    );
    await press(popup, "[data-role=offer] [data-action=save-offer]");
    await until(async () => (await F2.bg("list")).some((e) => e.username === "alice@shop"), "F2's vault to hold the new login");
    await popup.close();
    await shop.close();

    await F1.bg("sync");
    const list = await F1.bg("list");
    assert.deepEqual(list.map((e) => e.username).sort(), ["alice@bank", "alice@shop"]);
    const secret = await F1.bg("secret", { id: list.find((e) => e.username === "alice@shop").id });
    assert.equal(secret.password, "shop-secret-1");
  });

  let shares;
  await t.test("F1 escrows 2-of-3 on its escrow page, beside the account and portal", async () => {
    const popup = await F1.popup();
    await press(popup, "[data-page=devices]");
    await settled(popup);
    const page = await F1.extensionPage("popup.html?page=escrow", () => press(popup, "#escrow-open"));
    await popup.close();
    assert.equal(await text(page, "[data-role=escrow-account] [data-role=account]"), "alice");
    assert.equal(await text(page, "[data-role=escrow-account] [data-role=portal]"), portal.url);
    await fill(page, "#escrow-passphrase", PASS_1);
    await page.click("#escrow");
    shares = await until(
      async () => {
        const error = await text(page, "[data-role=status] .notice.bad");
        if (error) throw new Error(`escrow failed: ${error}`);
        const got = await page.$$eval("[data-role=share] .mono", (els) => els.map((e) => e.innerText));
        return got.length === 3 ? got : null;
      },
      "the escrow shares",
      60_000,
    );
    await page.close();
  });

  await t.test("F3, with nothing, recovers from shares 1 and 3 (its event page stopped after 2 s idle)", async () => {
    F3 = await FirefoxBrowser.launch("f3", { prefs: { "extensions.background.idle.timeout": IDLE_MS } });
    const page = await F3.extensionPage("popup.html?page=recover");
    await fill(page, "#portal", portal.url);
    await fill(page, "#account", "alice");
    await fill(page, "#device", "Alice's new Firefox");
    await fill(page, "#passphrase", PASS_3);
    await fill(page, "#passphrase2", PASS_3);
    // A mistyped share is named.
    const typo = shares[1].replace(/[A-Z2-7](?=[^A-Z2-7]*$)/, (ch) => (ch === "A" ? "B" : "A"));
    await page.$eval("#shares", (e, v) => (e.value = v), `${shares[0]}\n${typo}`);
    await page.click("#recover");
    await until(async () => (await text(page, "[data-role=status]")).includes("share 2"), "the mistyped share named", 30_000);
    await page.$eval("#shares", (e, v) => (e.value = v), `${shares[0]}\n${shares[2]}`);
    await page.click("#recover");
    // Recovery replaced the keys the old shares open: it shows new ones.
    const fresh = await until(
      async () => {
        const got = await page.$$eval("[data-role=share] .mono", (els) => els.map((e) => e.innerText));
        return got.length === 3 ? got : null;
      },
      "the new shares",
      90_000,
    );
    for (const s of fresh) assert.ok(!shares.includes(s), "the new shares are new");
    await press(page, "#recovered-continue");
    await page.waitForSelector("[data-page=passwords]", { timeout: 30_000 });
    await page.close();
    const all = await Promise.all((await F3.bg("list")).map((e) => F3.bg("secret", { id: e.id })));
    assert.deepEqual(Object.fromEntries(all.map((e) => [e.username, e.password])), {
      "alice@bank": "hunter2-bank",
      "alice@shop": "shop-secret-1",
    });
    assert.equal((await F3.bg("status")).administrator, true);
  });

  await t.test("plain http asks before filling; the background page stays up while the person decides", async () => {
    const url = sites.site("insecure.test", "plain.html");
    await F3.bg("add", { sites: [new URL(url).host], username: "alice@insecure", password: "pw-insecure" });
    const page = await F3.open(url);
    const id = (await F3.bg("match", { url, allowHTTP: true }))[0].id;
    // Idle first: the next call starts a background page of its own.
    await new Promise((r) => setTimeout(r, IDLE_MS * 2));
    const filling = F3.bg("fillTab", { tabId: await F3.tabId(url), id, url });
    await until(() => page.evaluate(() => document.querySelectorAll('[data-meshpass="banner"]').length === 1), "the not-secure banner");
    const started = await F3.backgroundStarted();
    // The person takes three idle timeouts to decide.
    await new Promise((r) => setTimeout(r, IDLE_MS * 3));
    assert.deepEqual(await values(page), { username: "", password: "" }, "nothing filled before the click");
    assert.equal(await F3.backgroundStarted(), started, "the background page was not stopped mid-answer");
    await clickBannerButton(page, ["Fill", "Cancel"], 0);
    const r = await filling;
    assert.deepEqual([r.username, r.password], [true, true]);
    assert.deepEqual(await values(page), { username: "alice@insecure", password: "pw-insecure" });
    await page.close();
  });
});
