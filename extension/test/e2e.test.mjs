// End to end: the built extension in two (then three) headless Chromium
// browsers, against the portal in local workerd, on test sites served on
// *.localhost. Run by make test (make e2e) after make extension.
//
// A creates a profile and saves a login for bank.localhost; B asks to
// connect and A approves after both show the same witness code; B fills the
// login (plain, React-style and two-step forms); B submits a new login on
// another site and saves it from the page's offer; A sees it after sync; a
// look-alike origin and a cross-origin iframe get nothing; after the
// service worker is stopped, fill works without the passphrase. Then A
// escrows 2-of-3, and browser C, with nothing, recovers from shares 1 and 3
// typed into the popup and reads every password.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import qrcode from "qrcode-generator";
import { bannerText, clickBanner, hasBanner } from "./banner.mjs";
import { Browser, EXTENSION_ID, shot, startPortal, startProxy, startSites, waitFor } from "./harness.mjs";

/** BLANK_GIF is a white 1×1 GIF: an image without a QR code. */
const BLANK_GIF = "R0lGODlhAQABAIAAAP///wAAACH5BAAAAAAALAAAAAABAAEAAAICRAEAOw==";

const PASS_A = "correct horse battery A";
const PASS_B = "correct horse battery B";
const PASS_C = "correct horse battery C";

let portal;
let proxy; // B reaches the portal through it, so the test can break the way
let sites;
let A;
let B;
let C;
let D; // German

before(async () => {
  [portal, sites] = await Promise.all([startPortal(), startSites()]);
  proxy = await startProxy(portal.url);
  [A, B] = await Promise.all([Browser.launch("a"), Browser.launch("b")]);
});

after(async () => {
  await Promise.allSettled([A?.close(), B?.close(), C?.close(), D?.close()]);
  await sites?.close();
  await proxy?.close();
  await portal?.stop();
});

// virtualListWorks checks the popup's list of all n logins: only the rows
// on screen are built, each says its place among all n; scrolling builds
// the rows scrolled to; Up, Down, Home and End move the focus between
// rows (scrolling the list); a search finds a login far down the list.
async function virtualListWorks(popup, n) {
  const rows = popup.locator("[data-role=entries] li");
  const built = async () => {
    const c = await rows.count();
    assert.ok(c > 0 && c < 40, `${c} rows built of ${n}`);
  };
  await popup.locator(`[data-role=entries] li[aria-setsize="${n}"]`).first().waitFor();
  await built();
  await popup.locator(".vlist").evaluate((el) => {
    el.scrollTop = el.scrollHeight;
  });
  await popup.locator(`[data-role=entries] li[aria-posinset="${n}"]`).waitFor();
  await built();
  const focusedAt = () => popup.evaluate(() => document.activeElement?.closest("li")?.getAttribute("aria-posinset"));
  await popup.locator(`[data-role=entries] li[aria-posinset="${n}"] [data-action=edit]`).focus();
  await popup.keyboard.press("Home");
  await waitFor(async () => (await focusedAt()) === "1", "Home to focus the first row");
  assert.equal(await popup.evaluate(() => document.activeElement.dataset.action), "edit", "the same control of the row");
  await popup.keyboard.press("ArrowDown");
  await waitFor(async () => (await focusedAt()) === "2", "Down to focus the second row");
  await popup.keyboard.press("End");
  await waitFor(async () => (await focusedAt()) === String(n), "End to focus the last row");
  await popup.keyboard.press("ArrowUp");
  await waitFor(async () => (await focusedAt()) === String(n - 1), "Up to focus the row before");
  await built();
  await popup.locator("#search").fill("user4321@");
  await popup.locator("[data-role=entries] li", { hasText: "user4321@example.com" }).waitFor();
  assert.equal(await rows.count(), 1, "the search shows the one login");
  await popup.locator("#search").fill("");
  await popup.locator(`[data-role=entries] li[aria-setsize="${n}"]`).first().waitFor();
}

// fillFromPopup opens the popup for page and clicks Fill on the entry of
// username among "For this site".
async function fillFromPopup(browser, page, username) {
  const popup = await browser.popup(page);
  const row = popup.locator("[data-role=matches] li", { hasText: username });
  await row.locator("[data-action=fill]").click();
  await waitFor(async () => {
    const said = await popup.locator("[data-role=status]").last().innerText();
    if (/Filled|No login form|Ausgefüllt|kein Anmeldeformular/.test(said)) return true;
    if (said.trim()) throw new Error(`the fill failed: ${said}`);
    return false;
  }, "the fill to finish").catch(async (e) => {
    throw new Error(`${e.message}; the popup shows: ${await popup.locator("#app").innerText()}`);
  });
  const said = await popup.locator("[data-role=status]").last().innerText();
  await popup.close();
  return said;
}

// settled waits for the popup's sync to finish, as a person would see it
// before using the page.
async function settled(popup) {
  await waitFor(async () => {
    const chip = popup.locator("[data-role=sync]");
    return (await chip.count()) > 0 && !(await chip.innerText()).includes("syncing");
  }, "the popup's sync");
}

// goTo opens a page of the popup and waits for its sync to settle.
async function goTo(popup, name) {
  await popup.locator(`[data-page=${name}]`).click();
  await settled(popup);
}

// gotFill is what a fill says it filled.
function gotFill(r) {
  return { username: r.username, password: r.password };
}

// totpCode is the RFC 6238 code (HMAC-SHA1, 6 digits, 30 s) of a base32
// secret at time ms: what an authenticator app shows, computed here
// independently of the Go core.
function totpCode(secret, ms) {
  let bits = "";
  for (const ch of secret.replace(/=+$/, "").toUpperCase())
    bits += "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".indexOf(ch).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(ms / 1000 / 30)));
  const mac = createHmac("sha1", key).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

// answerOffer opens the popup for page, checks its save offer says what
// (a RegExp), and answers it: "save" or "dismiss" (Not now); a screenshot
// of the offer is taken when name is given.
async function answerOffer(browser, page, what, answer, name) {
  const popup = await browser.popup(page);
  const offer = popup.locator("[data-role=offer]");
  await offer.waitFor({ timeout: 15_000 });
  assert.match(await offer.innerText(), what);
  if (name) await shot(popup, name);
  if (answer === "save") await offer.locator("[data-action=save-offer]").click();
  else await offer.locator("button", { hasText: "Not now" }).click();
  await offer.waitFor({ state: "detached", timeout: 15_000 });
  await popup.close();
}

async function values(page, frame = page) {
  return { username: await frame.inputValue("#username"), password: await frame.inputValue("#password") };
}

test("extension end to end", async (t) => {
  const bank = (path) => sites.site("bank.localhost", path);

  await t.test("A creates a profile on the workerd portal", async () => {
    const popup = await A.popup();
    await popup.locator("#portal").fill(portal.url);
    await popup.locator("#account").fill("alice");
    await waitFor(
      async () => (await popup.locator("[data-role=account-note]").innerText()).includes("available"),
      "the live account check",
    );
    await popup.locator("#device").fill("Alice's laptop");
    await popup.locator("#passphrase").fill(PASS_A);
    await popup.locator("#passphrase2").fill(PASS_A);
    await shot(popup, "01-setup-create");
    await popup.locator("#create").click();
    await popup.locator("[data-page=passwords]").waitFor({ timeout: 30_000 });
    await waitFor(async () => (await popup.locator("[data-role=sync]").innerText()) === "synced", "the first sync");
    await popup.close();
    const status = await A.bg("status");
    assert.equal(status.unlocked, true);
    assert.equal(status.administrator, true);
  });

  await t.test("A saves a login for bank.localhost", async () => {
    const site = await A.open(bank("plain.html"));
    const popup = await A.popup(site);
    await popup.locator("#add").click();
    assert.equal(await popup.locator("#entry-sites").inputValue(), new URL(bank()).host, "the form offers the tab's site");
    await popup.locator("#entry-username").fill("alice@bank");
    await popup.locator("#generate").click();
    // The core generates it: wait for its answer.
    await waitFor(async () => (await popup.locator("#entry-password").inputValue()) !== "", "the generated password");
    const generated = await popup.locator("#entry-password").inputValue();
    assert.equal(generated.length, 20);
    await popup.locator("#entry-password").fill("hunter2-bank");
    await shot(popup, "02-add-login");
    await popup.locator("#entry-save").click();
    await popup.locator("[data-role=matches] li", { hasText: "alice@bank" }).waitFor();
    await shot(popup, "03-vault-for-this-site");
    // The site's icon comes from the browser's own favicon cache, never
    // from the network.
    const icon = await popup.locator("[data-role=matches] li [data-role=favicon]").getAttribute("src");
    assert.ok(icon.startsWith(`chrome-extension://${EXTENSION_ID}/_favicon/?`), icon);
    assert.equal(new URL(icon).searchParams.get("pageUrl"), site.url());
    await waitFor(
      () => popup.locator("[data-role=matches] li [data-role=favicon]").evaluate((img) => img.complete && img.naturalWidth > 0),
      "the icon",
    );
    await popup.close();
    await site.close();
  });

  let witnessB;
  await t.test("B asks to connect; both show the same witness code; A approves", async () => {
    // A issues a connect code (the portal keeps a request made with it
    // however many other requests arrive); B's request carries it.
    const codePopup = await A.popup();
    await goTo(codePopup, "devices");
    await codePopup.locator("#issue-connect-code").click();
    const code = (await codePopup.locator("[data-role=connect-code]").filter({ hasText: /\S/ }).innerText({ timeout: 30_000 })).trim();
    assert.match(code, /^[A-Za-z0-9_-]{20}$/);
    await codePopup.close();

    const popupB = await B.popup();
    await popupB.locator("[data-tab=connect]").click();
    await popupB.locator("#portal").fill(proxy.url);
    await popupB.locator("#account").fill("alice");
    await popupB.locator("#device").fill("Alice's phone");
    await popupB.locator("#connect-code").fill(code);
    await popupB.locator("#passphrase").fill(PASS_B);
    await popupB.locator("#passphrase2").fill(PASS_B);
    await popupB.locator("#connect").click();
    // First contact: B shows the profile fingerprint and asks the person to
    // confirm it before the request goes on.
    const fingerprint = (await popupB.locator("[data-role=profile]").innerText({ timeout: 30_000 })).trim();
    assert.equal(fingerprint, (await A.bg("status")).fingerprint);
    await shot(popupB, "04-connect-confirm-profile");
    await popupB.locator("#confirm-profile").click();
    await popupB.locator("[data-role=witness-waiting]").waitFor({ timeout: 30_000 });

    // A lists the request (answering its witness exchange), B answers back:
    // then both show the code.
    const popupA = await A.popup();
    await goTo(popupA, "devices");
    const request = popupA.locator("[data-role=pending][data-device]:not([data-waiting])");
    await request.waitFor({ timeout: 30_000 });
    const witnessA = (await request.locator(".witness").innerText()).trim();
    await popupB.locator(".witness").waitFor({ state: "visible", timeout: 30_000 });
    witnessB = (await popupB.locator(".witness").innerText()).trim();
    assert.match(witnessB, /^[A-Z2-7]{5}-[A-Z2-7]{5}$/);
    await shot(popupB, "04-connect-waiting");
    assert.equal(witnessA, witnessB, "the two browsers show the same witness code");
    assert.equal(
      (await request.locator("[data-role=request-device]").innerText()).trim(),
      (await popupB.locator("[data-role=device]").innerText()).trim(),
      "A shows the device B is",
    );
    await shot(popupA, "05-approve-device");
    await request.locator("[data-action=approve]").click();
    await popupA.locator("[data-role=devices] li", { hasText: "Alice's phone" }).waitFor({ timeout: 30_000 });
    await popupA.close();

    // B's popup polls and switches to the vault once approved.
    await popupB.locator("[data-page=passwords]").waitFor({ timeout: 30_000 });
    await popupB.close();
    const list = await B.bg("list");
    assert.deepEqual(
      list.map((e) => e.username),
      ["alice@bank"],
    );
  });

  await t.test("A moves to the same portal at another address (checked), and back; a wrong one is refused", async () => {
    const popup = await A.popup();
    await goTo(popup, "settings");
    const shown = popup.locator("[data-role=device-portal]");
    assert.equal((await shown.innerText()).trim(), portal.url);
    await popup.locator("#move-portal").fill("http://127.0.0.1:9");
    await popup.locator("#move-portal-go").click();
    await popup.locator(".notice.bad").first().waitFor({ timeout: 30_000 });
    assert.equal((await A.bg("status")).portal, portal.url, "a refused move changes nothing");
    await popup.locator("#move-portal").fill(proxy.url); // the proxy in front of the same portal
    await popup.locator("#move-portal-go").click();
    await popup.locator("[data-role=device-portal]", { hasText: proxy.url }).waitFor({ timeout: 30_000 });
    assert.equal((await A.bg("status")).portal, proxy.url);
    await A.bg("sync");
    await A.bg("movePortal", { portal: portal.url });
    assert.equal((await A.bg("status")).portal, portal.url);
    await popup.close();
  });

  await t.test("B fills the bank login: plain, React-style and two-step forms", async () => {
    const plain = await B.open(bank("plain.html"));
    await fillFromPopup(B, plain, "alice@bank");
    assert.deepEqual(await values(plain), { username: "alice@bank", password: "hunter2-bank" });

    const react = await B.open(bank("react.html"));
    await fillFromPopup(B, react, "alice@bank");
    const state = JSON.parse(await react.locator("#state").innerText());
    assert.equal(state.username, "alice@bank", "the page's own state saw the fill");
    assert.equal(state.password, "hunter2-bank");

    const two = await B.open(bank("twostep.html"));
    await fillFromPopup(B, two, "alice@bank");
    assert.equal(await two.inputValue("#username"), "alice@bank");
    await Promise.all([two.waitForURL(/twostep-password/), two.locator("#next").click()]);
    // The password page is a new page: the worker fills it from the pending fill.
    await waitFor(async () => (await two.inputValue("#password")) === "hunter2-bank", "the password step to be filled");
    for (const p of [plain, react, two]) await p.close();
  });

  await t.test("B fills a two-step login's one-time-code page with the entry's current code", async () => {
    const SECRET = "JBSWY3DPEHPK3PXP";
    const url = sites.site("code.localhost", "otp-login.html");
    const { id } = await B.bg("add", {
      sites: [new URL(url).host],
      username: "alice@code",
      password: "pw-code",
      totp: `otpauth://totp/Code:alice?secret=${SECRET}&issuer=Code`,
    });
    const page = await B.open(url);
    await fillFromPopup(B, page, "alice@code");
    assert.deepEqual(await values(page), { username: "alice@code", password: "pw-code" });
    await Promise.all([page.waitForURL(/otp\.html/), page.locator("#submit").click()]);
    // The code page: the popup lists the entry with a Code button, and its
    // Fill fills the code (never the login).
    const popup = await B.popup(page);
    const row = popup.locator("[data-role=matches] li", { hasText: "alice@code" });
    await row.locator("[data-action=copy-code]").waitFor();
    await popup.close();
    const before = Date.now();
    const said = await fillFromPopup(B, page, "alice@code");
    const after = Date.now();
    assert.match(said, /one-time code/);
    const filled = await page.inputValue("#otp");
    assert.ok([totpCode(SECRET, before), totpCode(SECRET, after)].includes(filled), `filled ${filled}, want ${totpCode(SECRET, before)}`);
    assert.equal(await page.inputValue("#decoy"), "", "the hidden decoy stays empty");
    // The core's totp gives the same code, never the URI.
    const now = Date.now();
    const r = await B.bg("totp", { id });
    assert.equal(r.period, 30);
    assert.ok([totpCode(SECRET, now), totpCode(SECRET, Date.now())].includes(r.code));
    assert.ok(!JSON.stringify(r).includes(SECRET));
    // The entry view shows the code live, with its countdown.
    const view = await B.popup(page);
    await view.locator("[data-role=matches] li", { hasText: "alice@code" }).locator("[data-action=edit]").click();
    await waitFor(async () => /^\d{6}$/.test(await view.locator("[data-role=totp-code]").innerText()), "the live code");
    assert.match(await view.locator("[data-role=totp-remaining]").innerText(), /\d+ s/);
    await shot(view, "06b-entry-one-time-code");
    // Scanning a QR image (a GIF made here) puts its URI in the field,
    // checked by the core, and shows its current code; saving keeps it.
    const SCANNED = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    const uri = `otpauth://totp/Scan:alice?secret=${SCANNED}&issuer=Scan`;
    const qr = qrcode(0, "M");
    qr.addData(uri);
    qr.make();
    const gif = Buffer.from(qr.createDataURL(6, 4).split(",")[1], "base64");
    await view.locator("#entry-totp-qr").setInputFiles({ name: "qr.gif", mimeType: "image/gif", buffer: gif });
    await waitFor(async () => /Scan · alice/.test(await view.locator("[data-role=totp-scanned]").innerText()), "the scanned code");
    const scanned = await view.locator("[data-role=totp-scanned]").innerText();
    const shown = scanned.match(/\b(\d{6})\b/)?.[1];
    assert.ok([totpCode(SCANNED, Date.now() - 2000), totpCode(SCANNED, Date.now())].includes(shown), `scanned ${scanned}`);
    assert.equal(await view.inputValue("#entry-totp"), uri);
    // An image without a QR code is refused, saying so.
    await view
      .locator("#entry-totp-qr")
      .setInputFiles({ name: "blank.gif", mimeType: "image/gif", buffer: Buffer.from(BLANK_GIF, "base64") });
    await view.locator("[data-role=status]", { hasText: "No QR code" }).waitFor();
    await view.close();
    await page.close();
    await B.bg("remove", { id }); // the later steps count the logins
  });

  await t.test("the keyboard shortcut and context menu fill the best match", async () => {
    const page = await B.open(bank("plain.html"));
    const tabId = await B.tabId(page);
    // What chrome.commands and chrome.contextMenus call with the tab.
    const sw = await B.worker();
    // The browser granted the suggested keys (Chromium 156 refuses Ctrl+Shift+L).
    const commands = await sw.evaluate(() => chrome.commands.getAll());
    assert.equal(commands.find((c) => c.name === "fill-login")?.shortcut, "Alt+Shift+L");
    assert.equal(commands.find((c) => c.name === "_execute_action")?.shortcut, "Alt+Shift+M");
    await sw.evaluate((id) => globalThis.meshpassExtension.fillByShortcut(id), tabId);
    assert.deepEqual(await values(page), { username: "alice@bank", password: "hunter2-bank" });
    await page.close();
  });

  await t.test("fill on page load only when turned on and one login matches", async () => {
    let page = await B.open(bank("plain.html"));
    await page.waitForTimeout(1500);
    assert.deepEqual(await values(page), { username: "", password: "" }, "off by default");
    await page.close();
    await B.bg("setSettings", { fillOnLoad: true });
    page = await B.open(bank("plain.html"));
    await waitFor(async () => (await page.inputValue("#password")) === "hunter2-bank", "the fill on page load");
    assert.equal(await page.inputValue("#username"), "alice@bank");
    await page.close();
    await B.bg("setSettings", { fillOnLoad: false });
  });

  await t.test("plain http on the network asks before filling", async () => {
    const url = sites.site("insecure.test", "plain.html");
    await B.bg("add", { sites: [new URL(url).host], username: "alice@insecure", password: "pw-insecure" });
    const page = await B.open(url);
    const id = (await B.bg("match", { url, allowHTTP: true }))[0].id;
    const filling = B.bg("fillTab", { tabId: await B.tabId(page), id, url: page.url() });
    assert.match(await bannerText(page, { timeout: 15_000 }), /not secure/);
    await page.waitForTimeout(700); // the banner ignores clicks in its first 500 ms
    assert.deepEqual(await values(page), { username: "", password: "" }, "nothing filled before the click");
    await shot(page, "06a-ask-before-http-fill");
    await clickBanner(page, "fill");
    assert.deepEqual(gotFill(await filling), { username: true, password: true });
    assert.deepEqual(await values(page), { username: "alice@insecure", password: "pw-insecure" });
    await B.bg("remove", { id });
    await page.close();
  });

  await t.test("B submits a new login on shop.localhost and saves it from the popup (nothing on the page)", async () => {
    const shop = await B.open(sites.site("shop.localhost", "plain.html"));
    await shop.locator("#username").fill("alice@shop");
    await shop.locator("#password").fill("shop-secret-1");
    await Promise.all([shop.waitForURL(/welcome/), shop.locator("#submit").click()]);
    // The offer is the browser's: the toolbar button's badge, and the popup.
    const tabId = await B.tabId(shop);
    await waitFor(async () => (await B.control.evaluate((id) => chrome.action.getBadgeText({ tabId: id }), tabId)) === "+", "the badge");
    assert.equal(await hasBanner(shop), false, "nothing on the page");
    await answerOffer(B, shop, /Save the login alice@shop on shop\.localhost/, "save", "06-offer-save-in-popup");
    await waitFor(async () => (await B.bg("list")).some((e) => e.username === "alice@shop"), "B's vault to hold the new login");
    await shop.close();
  });

  await t.test("another host of the site sees the same offer whether or not its sibling's login was typed", async () => {
    // The bank's entry is for bank.localhost:PORT; login.bank.localhost has
    // the same registrable domain. The page must not learn that the login
    // typed is the bank's: it is offered as any new login is, and saving
    // adds the host to the bank's entry.
    const page = await B.open(sites.site("login.bank.localhost", "plain.html"));
    await page.locator("#username").fill("alice@bank");
    await page.locator("#password").fill("hunter2-bank");
    await Promise.all([page.waitForURL(/welcome/), page.locator("#submit").click()]);
    await answerOffer(B, page, /Save the login alice@bank on login\.bank\.localhost/, "save");
    await waitFor(async () => (await B.bg("list")).find((e) => e.username === "alice@bank").sites.length === 2, "the host added");
    assert.equal((await B.bg("list")).filter((e) => e.username === "alice@bank").length, 1, "no second entry");
    // Typed again there: saved now, nothing to offer.
    await Promise.all([page.waitForURL(/plain/), page.goto(sites.site("login.bank.localhost", "plain.html"))]);
    await page.locator("#username").fill("alice@bank");
    await page.locator("#password").fill("hunter2-bank");
    await Promise.all([page.waitForURL(/welcome/), page.locator("#submit").click()]);
    await page.waitForTimeout(2000);
    assert.equal(await hasBanner(page), false, "no banner");
    assert.deepEqual(await B.bg("offers"), []);
    // Another password on yet another host is offered as a new login for
    // that host, not as an update of the bank's entry.
    await Promise.all([page.waitForURL(/plain/), page.goto(sites.site("www.bank.localhost", "plain.html"))]);
    await page.locator("#username").fill("alice@bank");
    await page.locator("#password").fill("other-password");
    await Promise.all([page.waitForURL(/welcome/), page.locator("#submit").click()]);
    assert.equal(await hasBanner(page), false, "nothing on the page");
    await answerOffer(B, page, /Save the login alice@bank on www\.bank\.localhost/, "dismiss");
    await waitFor(async () => (await B.bg("offers")).length === 0, "the offer to be dropped");
    await page.close();
  });

  await t.test("A sees B's new login after sync", async () => {
    await A.bg("sync");
    const list = await A.bg("list");
    assert.deepEqual(list.map((e) => e.username).sort(), ["alice@bank", "alice@shop"]);
    const shopEntry = list.find((e) => e.username === "alice@shop");
    assert.deepEqual(shopEntry.sites, [new URL(sites.site("shop.localhost")).host]);
  });

  await t.test("a look-alike origin gets no credential", async () => {
    const bankId = (await B.bg("list")).find((e) => e.username === "alice@bank").id;
    for (const host of ["bank.localhost.evil.localhost", "evil.localhost", "bank-localhost.localhost"]) {
      const page = await B.open(sites.site(host, "plain.html"));
      const popup = await B.popup(page);
      await popup.locator("[data-role=matches]").waitFor();
      assert.equal(await popup.locator("[data-role=matches] li").count(), 0, `${host} is offered no login`);
      await assert.rejects(B.bg("fillTab", { tabId: await B.tabId(page), id: bankId, url: page.url() }), /not for/);
      assert.deepEqual(await values(page), { username: "", password: "" });
      await popup.close();
      await page.close();
    }
  });

  await t.test("a cross-origin iframe gets no credential; a same-origin one does", async () => {
    const bankId = (await B.bg("list")).find((e) => e.username === "alice@bank").id;
    // The bank's page framing another site's login form.
    const framed = await B.open(`${bank("iframe.html")}?src=${encodeURIComponent(sites.site("evil.localhost", "plain.html"))}`);
    const evilFrame = framed.frameLocator("#frame");
    await evilFrame.locator("#username").waitFor();
    const r = await B.bg("fillTab", { tabId: await B.tabId(framed), id: bankId, url: framed.url() });
    assert.deepEqual(gotFill(r), { username: false, password: false });
    assert.equal(await evilFrame.locator("#username").inputValue(), "");
    assert.equal(await evilFrame.locator("#password").inputValue(), "");

    // Another site framing the bank's login: the top page is not the bank.
    const clickjack = await B.open(`${sites.site("evil.localhost", "iframe.html")}?src=${encodeURIComponent(bank("plain.html"))}`);
    const bankFrame = clickjack.frameLocator("#frame");
    await bankFrame.locator("#username").waitFor();
    await assert.rejects(B.bg("fillTab", { tabId: await B.tabId(clickjack), id: bankId, url: clickjack.url() }), /not for/);
    assert.equal(await bankFrame.locator("#password").inputValue(), "");

    // The bank framing its own login is filled.
    const own = await B.open(`${bank("iframe.html")}?src=plain.html`);
    const ownFrame = own.frameLocator("#frame");
    await ownFrame.locator("#username").waitFor();
    const filled = await B.bg("fillTab", { tabId: await B.tabId(own), id: bankId, url: own.url() });
    assert.deepEqual(gotFill(filled), { username: true, password: true });
    assert.equal(await ownFrame.locator("#password").inputValue(), "hunter2-bank");
    for (const p of [framed, clickjack, own]) await p.close();
  });

  await t.test("after the service worker is stopped, fill works without the passphrase", async () => {
    await B.stopWorker();
    const page = await B.open(bank("plain.html"));
    await fillFromPopup(B, page, "alice@bank");
    assert.deepEqual(await values(page), { username: "alice@bank", password: "hunter2-bank" });
    assert.equal((await B.bg("status")).unlocked, true);
    await page.close();
  });

  await t.test("past the lock timeout the passphrase is needed again", async () => {
    const { lockMinutes } = await B.bg("settings");
    // As if the last use were lockMinutes + 1 minutes ago (the worker keeps
    // that time in chrome.storage.session, which extension pages share).
    await B.control.evaluate((ms) => chrome.storage.session.set({ "ext.activity": Date.now() - ms }), (lockMinutes + 1) * 60_000);
    await B.stopWorker();
    const page = await B.open(bank("plain.html"));
    const id = (await B.bg("match", { url: page.url(), allowHTTP: true }).catch((e) => e)).code;
    assert.equal(id, "locked", "the first use after the timeout finds the keys locked");
    assert.equal((await B.bg("status")).unlocked, false);
    assert.deepEqual(await values(page), { username: "", password: "" });
    await B.bg("unlock", { passphrase: PASS_B });
    await page.close();
  });

  await t.test("popup states: locked, wrong passphrase, devices, settings", async () => {
    const popup = await B.popup();
    await popup.locator("#lock").click();
    await popup.locator("#unlock-passphrase").waitFor();
    await shot(popup, "07-locked");
    await popup.locator("#unlock-passphrase").fill("not the passphrase");
    await popup.locator("#unlock").click();
    await popup.locator("[data-role=status]", { hasText: "Wrong passphrase" }).waitFor();
    await popup.locator("#unlock-passphrase").fill(PASS_B);
    await popup.locator("#unlock").click();
    await goTo(popup, "settings");
    await popup.locator("#settings-lock").waitFor();
    await shot(popup, "08-settings");
    await popup.close();

    const popupA = await A.popup();
    await goTo(popupA, "devices");
    await popupA.locator("[data-role=devices] li").nth(1).waitFor();
    await shot(popupA, "09-devices");
    await popupA.close();
  });

  await t.test("portal unreachable and verification failed are shown, with the last verified copy", async () => {
    proxy.mode = "down";
    let popup = await B.popup();
    await popup.locator("[data-role=sync]", { hasText: "portal unreachable" }).waitFor({ timeout: 30_000 });
    await popup.locator("[data-role=entries] li", { hasText: "alice@bank" }).waitFor();
    await shot(popup, "10-portal-unreachable");
    await popup.close();

    proxy.mode = "tamper";
    popup = await B.popup();
    await popup.locator("[data-role=sync]", { hasText: "verification failed" }).waitFor({ timeout: 30_000 });
    await popup.locator("[data-role=entries] li", { hasText: "alice@bank" }).waitFor();
    await shot(popup, "11-verification-failed");
    await popup.close();

    proxy.mode = "pass";
    await B.bg("sync");
  });

  await t.test("A escrows 2-of-3; browser C recovers from shares 1 and 3 in the popup", async () => {
    const popup = await A.popup();
    await goTo(popup, "devices");
    // The shares are made and shown on an extension page in a tab of its
    // own, which a stray click does not close, beside the account and portal.
    const [popupA] = await Promise.all([A.ctx.waitForEvent("page"), popup.locator("#escrow-open").click()]);
    await popupA.waitForURL(/popup\.html\?page=escrow/);
    await popup.close();
    assert.equal(await popupA.locator("[data-role=escrow-account] [data-role=account]").innerText(), "alice");
    assert.equal(await popupA.locator("[data-role=escrow-account] [data-role=portal]").innerText(), portal.url);
    await popupA.locator("#escrow-passphrase").fill(PASS_A);
    await popupA.locator("#escrow").click();
    const shares = popupA.locator("[data-role=share] .mono");
    await waitFor(
      async () => {
        const error = await popupA.locator("[data-role=status] .notice.bad").allInnerTexts();
        if (error.length) throw new Error(`escrow failed: ${error.join("; ")}`);
        return (await shares.count()) === 3;
      },
      "the escrow shares",
      30_000,
    );
    const texts = await shares.allInnerTexts();
    assert.equal(texts.length, 3);
    await shot(popupA, "12-escrow-shares");
    await popupA.close();

    C = await Browser.launch("c");
    const popupC = await C.popup();
    await popupC.locator("[data-tab=recover]").click();
    await popupC.locator("#portal").fill(portal.url);
    await popupC.locator("#account").fill("alice");
    await popupC.locator("#device").fill("Alice's new laptop");
    await popupC.locator("#passphrase").fill(PASS_C);
    await popupC.locator("#passphrase2").fill(PASS_C);
    // A mistyped share is named.
    const typo = texts[1].replace(/[A-Z2-7](?=[^A-Z2-7]*$)/, (ch) => (ch === "A" ? "B" : "A"));
    await popupC.locator("#shares").fill(`${texts[0]}\n${typo}`);
    await popupC.locator("#recover").click();
    await popupC.locator("[data-role=status]", { hasText: "share 2" }).waitFor({ timeout: 20_000 });
    await popupC.locator("#shares").fill(`${texts[0]}\n${texts[2]}`);
    await shot(popupC, "13-recover");
    await popupC.locator("#recover").click();
    // Recovery replaced the keys the old shares open: it shows new ones.
    const fresh = popupC.locator("[data-role=share] .mono");
    await fresh.nth(2).waitFor({ timeout: 60_000 });
    const newTexts = await fresh.allInnerTexts();
    assert.equal(newTexts.length, 3);
    for (const t of newTexts) assert.ok(!texts.includes(t), "the new shares are new");
    await shot(popupC, "14-recovered-new-shares");
    await popupC.locator("#recovered-continue").click();
    await popupC.locator("[data-page=passwords]").waitFor({ timeout: 30_000 });
    await popupC.close();
    const all = await Promise.all((await C.bg("list")).map((e) => C.bg("secret", { id: e.id })));
    const byUser = Object.fromEntries(all.map((e) => [e.username, e.password]));
    assert.deepEqual(byUser, { "alice@bank": "hunter2-bank", "alice@shop": "shop-secret-1" });
    assert.equal((await C.bg("status")).administrator, true);
  });
  await t.test("screenshots: light and dark, English and German", async () => {
    // English: B's popup for the bank page, light then dark.
    const page = await B.open(bank("plain.html"));
    const popup = await B.popup(page);
    await settled(popup);
    await popup.locator("[data-role=matches] li").first().waitFor();
    await shot(popup, "20-en-light-vault");
    await popup.emulateMedia({ colorScheme: "dark" });
    assert.equal(await popup.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--bg").trim()), "#17191d");
    await shot(popup, "21-en-dark-vault");
    await popup.close();
    await page.close();

    // German: a browser whose own language is German, in dark mode; its
    // first screen, its vault, and the page's save offer.
    D = await Browser.launch("d", { language: "de", colorScheme: "dark" });
    const setup = await D.popup();
    assert.equal(
      await setup.evaluate(() => chrome.i18n.getUILanguage()),
      "de",
      "Chromium runs in German only with Debian's chromium-l10n (its locales/de.pak): apt-get install chromium-l10n",
    );
    assert.equal(await setup.locator("[data-tab=create]").innerText(), "Erstellen");
    assert.equal(await setup.evaluate(() => document.documentElement.lang), "de");
    await shot(setup, "22-de-dark-setup");
    await setup.emulateMedia({ colorScheme: "light" });
    await shot(setup, "23-de-light-setup");
    await setup.locator("#portal").fill(portal.url);
    await setup.locator("#account").fill("dora");
    await setup.locator("#passphrase").fill(PASS_C);
    await setup.locator("#passphrase2").fill(PASS_C);
    await setup.locator("#create").click();
    await setup.locator("[data-page=passwords]").waitFor({ timeout: 30_000 });
    await setup.close();
    await D.bg("add", { sites: [new URL(bank()).host], username: "dora@bank", password: "dora-pw" });
    const dPage = await D.open(bank("plain.html"));
    const vault = await D.popup(dPage);
    await settled(vault);
    await vault.locator("[data-role=matches] li").first().waitFor();
    assert.equal(await vault.locator("[data-page=passwords]").innerText(), "Passwörter");
    await shot(vault, "24-de-dark-vault");
    await vault.emulateMedia({ colorScheme: "light" });
    await shot(vault, "25-de-light-vault");
    await vault.close();
    await dPage.close();

    const shop = await D.open(sites.site("shop.localhost", "plain.html"));
    await shop.locator("#username").fill("dora@shop");
    await shop.locator("#password").fill("dora-shop-1");
    await Promise.all([shop.waitForURL(/welcome/), shop.locator("#submit").click()]);
    // The offer is in the popup (nothing on the page), in German.
    const offerPopup = await D.popup(shop);
    const offer = offerPopup.locator("[data-role=offer]");
    await offer.waitFor({ timeout: 15_000 });
    assert.match(await offer.innerText(), /dora@shop/);
    assert.match(await offer.locator("[data-action=save-offer]").innerText(), /Speichern/);
    await shot(offerPopup, "26-de-offer-save-in-popup");
    await offerPopup.close();
    await shop.close();
  });

  await t.test("a vault of 5,000 entries: one bulk write, then fills, also after the service worker stops", async () => {
    const entries = [];
    for (let i = 0; i < 4999; i++) {
      entries.push({ sites: [`site${i}.example.com`], username: `user${i}@example.com`, password: `pw-${i}`, name: `Login ${i}` });
    }
    let t0 = Date.now();
    const { ids } = await D.bg("addMany", { entries });
    assert.equal(ids.length, 4999);
    const added = Date.now() - t0;
    const timed = async (what, f) => {
      const t = Date.now();
      const r = await f();
      console.log(`# 5,000 entries: ${what} ${Date.now() - t} ms`);
      return r;
    };
    await timed("sync", () => D.bg("sync"));
    const list = await timed("list", () => D.bg("list"));
    assert.equal(list.length, 5000, "dora@bank and the 4,999 added");
    await timed("match", () => D.bg("match", { url: bank("plain.html") }));
    const page = await D.open(bank("plain.html"));
    const shown = Date.now();
    const popup = await D.popup(page);
    await popup.locator("[data-role=matches] li", { hasText: "dora@bank" }).waitFor();
    console.log(`# 5,000 entries: popup open to this site's login listed ${Date.now() - shown} ms`);
    await virtualListWorks(popup, 5000);
    await popup.close();
    t0 = Date.now();
    await fillFromPopup(D, page, "dora@bank");
    const filled = Date.now() - t0;
    assert.deepEqual(await values(page), { username: "dora@bank", password: "dora-pw" });
    await D.stopWorker();
    await page.reload();
    t0 = Date.now();
    await fillFromPopup(D, page, "dora@bank");
    const cold = Date.now() - t0;
    assert.deepEqual(await values(page), { username: "dora@bank", password: "dora-pw" });
    await page.close();
    console.log(`# 5,000 entries: bulk write ${added} ms; popup open to filled ${filled} ms, ${cold} ms after the worker stopped`);
  });

  // Import and export on C (the last subtests: they add to alice's vault,
  // whose contents the subtests above check exactly; C is the device
  // left after the recovery removed the others).
  let transfer;
  await t.test("C imports a Bitwarden export on the import page (preview, one bulk write), then fills from it", async () => {
    const site = (path) => sites.site("import.localhost", path);
    const login = { username: "imported@site", password: "imported-pw-1", uris: [{ uri: site("plain.html") }] };
    const file = {
      encrypted: false,
      folders: [{ id: "f1", name: "Imported" }],
      items: [
        { id: "1", type: 1, folderId: "f1", name: "Imported site", login },
        { id: "2", type: 1, name: "Imported site again", login: { ...login, uris: [{ uri: site("") }] } },
        { id: "3", type: 2, name: "A note", notes: "hello", secureNote: { type: 0 } },
        { id: "4", type: 1, name: "Old", deletedDate: "2024-01-01T00:00:00Z", login: { username: "old", password: "old" } },
        {
          id: "5",
          type: 1,
          name: "Bank",
          login: { username: "alice@bank", password: "hunter2-bank", uris: [{ uri: bank("plain.html") }] },
        },
      ],
    };
    const before = (await C.bg("list")).length;
    // The page opens from the popup's Settings, in a tab of its own.
    const popup = await C.popup();
    await goTo(popup, "settings");
    [transfer] = await Promise.all([C.ctx.waitForEvent("page"), popup.locator("#transfer-open").click()]);
    await transfer.waitForURL(/popup\.html\?page=transfer/);
    await popup.close();
    await transfer.locator("#import-file").setInputFiles({
      name: "bitwarden_export_20250101.json",
      mimeType: "application/json",
      buffer: Buffer.from(JSON.stringify(file)),
    });
    await waitFor(async () => (await transfer.locator("#import-format").inputValue()) === "bitwarden", "the format detected");
    await transfer.locator("#import-preview").click();
    const summary = transfer.locator("[data-role=preview-summary]");
    await summary.waitFor({ timeout: 30_000 });
    assert.match(await summary.locator("[data-role=preview-items]").innerText(), /5\b.*login.*note|5\b.*note.*login/);
    assert.match(await summary.locator("[data-role=preview-entries]").innerText(), /: 2$/);
    assert.match(await summary.locator("[data-role=preview-merged]").innerText(), /: 1$/);
    assert.match(await summary.locator("[data-role=preview-existing]").innerText(), /: 1$/);
    const skipped = await transfer.locator("[data-role=preview-skipped-items] tbody tr").allInnerTexts();
    assert.equal(skipped.length, 2, skipped.join(" | "));
    assert.ok(
      skipped.some((r) => /Old/.test(r) && /trash/.test(r)),
      skipped.join(" | "),
    );
    assert.ok(
      skipped.some((r) => /Bank/.test(r) && /already in the vault/.test(r)),
      skipped.join(" | "),
    );
    const rows = await transfer.locator("[data-role=preview-rows] tbody tr").allInnerTexts();
    assert.equal(rows.length, 2);
    assert.ok(
      rows.some((r) => r.includes("imported@site") && r.includes(new URL(site()).host)),
      rows.join(" | "),
    );
    assert.ok(!(await transfer.locator("#app").innerText()).includes("imported-pw-1"), "the preview shows no password");
    assert.equal((await C.bg("list")).length, before, "the preview wrote nothing");
    await shot(transfer, "30-import-preview");
    await transfer.locator("#import-commit").click();
    await transfer.locator("[data-role=import-result] .notice.ok").waitFor({ timeout: 30_000 });
    assert.match(await transfer.locator("[data-role=import-result]").innerText(), /2/);
    await shot(transfer, "31-import-done");
    const list = await C.bg("list");
    assert.equal(list.length, before + 2);
    const imported = list.find((e) => e.username === "imported@site");
    assert.deepEqual(imported.sites, [new URL(site()).host]);
    assert.equal(imported.folder, "Imported");

    const page = await C.open(site("plain.html"));
    await fillFromPopup(C, page, "imported@site");
    assert.deepEqual(await values(page), { username: "imported@site", password: "imported-pw-1" });
    await page.close();
  });

  await t.test("a file larger than one message (8 MiB) goes to the core in pieces and previews", async () => {
    const note = "n".repeat(500);
    const lines = ["name,url,username,password,note"];
    let size = 0;
    for (let i = 0; size < 9 << 20; i++) {
      const l = `s${i},https://s${i}.big.localhost/,u${i},pw-${i},${note}`;
      lines.push(l);
      size += l.length + 1;
    }
    await transfer.locator("#import-file").setInputFiles({
      name: "big.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(lines.join("\n") + "\n"),
    });
    await waitFor(async () => (await transfer.locator("#import-format").inputValue()) === "chrome", "the format detected");
    await transfer.locator("#import-preview").click();
    const entries = transfer.locator("[data-role=preview-entries]");
    await entries.waitFor({ timeout: 60_000 });
    assert.match(await entries.innerText(), new RegExp(`: ${lines.length - 1}$`));
  });

  await t.test("a KeePassXC database with a key file previews with the key file chosen on the page", async () => {
    const dir = new URL("../../shared/importer/testdata/keepassxc/", import.meta.url);
    await transfer.locator("#import-file").setInputFiles({
      name: "keyonly.kdbx",
      mimeType: "application/octet-stream",
      buffer: await readFile(new URL("keyonly.kdbx", dir)),
    });
    await waitFor(async () => (await transfer.locator("#import-format").inputValue()) === "kdbx", "the format detected");
    await transfer.locator("#import-preview").click();
    await transfer.locator("[data-role=status]", { hasText: "encrypted" }).waitFor({ timeout: 30_000 });
    await transfer.locator("#import-key-file").setInputFiles({
      name: "keyfile.keyx",
      mimeType: "application/octet-stream",
      buffer: await readFile(new URL("keyfile.keyx", dir)),
    });
    await transfer.locator("#import-preview").click();
    const entries = transfer.locator("[data-role=preview-entries]");
    await entries.waitFor({ timeout: 30_000 });
    assert.match(await entries.innerText(), /: 3$/);
  });

  await t.test("C exports: the vault passphrase again, a warning before plaintext, the file downloaded holds the entries", async () => {
    if (!transfer || transfer.isClosed()) transfer = await C.ctx.newPage();
    await transfer.goto(`chrome-extension://${EXTENSION_ID}/popup.html?page=transfer`);
    await transfer.locator("#export-format").selectOption("meshpass");
    const warning = transfer.locator("[data-role=export-warning]");
    assert.equal(await warning.isVisible(), false, "encrypted by default: no warning");
    await transfer.locator("#export-encrypt").uncheck();
    await warning.waitFor({ state: "visible" });
    assert.match(await warning.innerText(), /plaintext/);
    await transfer.locator("#export-passphrase").fill(PASS_C);
    await transfer.locator("#export").click();
    await transfer.locator("[data-role=export] [data-role=status]", { hasText: "Confirm the plaintext export" }).waitFor();
    await transfer.locator("#export-plaintext-ok").check();
    await transfer.locator("#export-passphrase").fill("not the passphrase");
    await transfer.locator("#export").click();
    await transfer.locator("[data-role=export] [data-role=status]", { hasText: "Wrong passphrase" }).waitFor({ timeout: 30_000 });
    await transfer.locator("#export-passphrase").fill(PASS_C);
    const [download] = await Promise.all([transfer.waitForEvent("download", { timeout: 60_000 }), transfer.locator("#export").click()]);
    assert.match(download.suggestedFilename(), /^meshpass-export-\d{4}-\d{2}-\d{2}\.json$/);
    const { readFile } = await import("node:fs/promises");
    const exported = JSON.parse(await readFile(await download.path(), "utf8"));
    assert.equal(exported.format, "meshpass-export");
    const byUser = Object.fromEntries(exported.entries.filter((e) => e.username).map((e) => [e.username, e.password]));
    assert.equal(byUser["imported@site"], "imported-pw-1");
    assert.equal(byUser["alice@bank"], "hunter2-bank");
    assert.equal(exported.entries.length, (await C.bg("list")).length);
    await shot(transfer, "32-export-plaintext");

    // Encrypted: the file is age, with no password in it.
    await transfer.locator("#export-encrypt").check();
    await transfer.locator("#export-file-passphrase").fill("file passphrase 1");
    await transfer.locator("#export-file-passphrase2").fill("file passphrase 1");
    await transfer.locator("#export-format").selectOption("csv");
    await transfer.locator("#export-passphrase").fill(PASS_C);
    const [enc] = await Promise.all([transfer.waitForEvent("download", { timeout: 120_000 }), transfer.locator("#export").click()]);
    assert.match(enc.suggestedFilename(), /\.csv\.age$/);
    const body = await readFile(await enc.path(), "utf8");
    assert.match(body, /^-----BEGIN AGE ENCRYPTED FILE-----/);
    assert.ok(!body.includes("imported-pw-1"));
    await transfer.close();
  });
});
