// Offers to save typed logins (save.js), with a fake browser and a fake
// core: node --test extension/test/unit/*.test.mjs

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as save from "../../src/background/save.js";
import * as state from "../../src/background/state.js";
import { fakeBrowser, fakeCore, sender } from "./fakes.mjs";

const LOGIN = { username: true, password: true };

function tab(url, frames) {
  return { 1: { url, frames: frames ?? [{ frameId: 0, documentId: "top", url, fields: LOGIN }] } };
}

// offersShown are the offers marked on the toolbar button ("+", the title
// saying what); asserting that nothing went to a page is part of it.
function offersShown(chrome) {
  assert.deepEqual(
    chrome.sent.map((s) => s.msg.type),
    [],
    "nothing is sent to a page about a submitted login",
  );
  return chrome.badges.filter((b) => b.text === "+").map(({ tabId, title }) => ({ tabId, title }));
}

// No password comes out of the core while deciding about a typed login.
function assertNoSecretsAsked(core) {
  const names = core.calls.map((c) => c.name);
  assert.ok(!names.includes("fill") && !names.includes("secret"), `the core was asked ${names}`);
}

describe("onSubmitted", () => {
  it("offers a new login on a secure page in the browser's UI (badge and popup), never on the page", async () => {
    const t = tab("https://bank.test/login");
    const chrome = fakeBrowser(t);
    const core = fakeCore([]);
    await save.onSubmitted(sender(t, 1, 0), { username: "alice", password: "pw" });
    assert.deepEqual(offersShown(chrome), [
      { tabId: 1, title: "meshpass: save the login for alice on bank.test? Open meshpass to answer." },
    ]);
    assert.deepEqual(await save.offers(), [{ tabId: 1, host: "bank.test", username: "alice", update: false }], "offers carry no password");
    assertNoSecretsAsked(core);
  });

  it("refuses an insecure page", async () => {
    const t = tab("http://bank.test/login");
    const chrome = fakeBrowser(t);
    fakeCore([]);
    await save.onSubmitted(sender(t, 1, 0), { username: "alice", password: "pw" });
    assert.deepEqual(chrome.sent, []);
    assert.deepEqual(await save.offers(), []);
  });

  it("accepts http on loopback", async () => {
    const t = tab("http://app.localhost:3000/login");
    fakeBrowser(t);
    fakeCore([]);
    await save.onSubmitted(sender(t, 1, 0), { username: "dev", password: "pw" });
    assert.deepEqual(await save.offers(), [{ tabId: 1, host: "app.localhost:3000", username: "dev", update: false }]);
  });

  it("refuses a frame of another origin, and a sandboxed one", async () => {
    const t = tab("https://bank.test/", [
      { frameId: 0, documentId: "top", url: "https://bank.test/", fields: {} },
      { frameId: 1, documentId: "other", url: "https://evil.test/login", fields: LOGIN },
      { frameId: 2, documentId: "sibling", url: "https://login.bank.test/", fields: LOGIN },
    ]);
    const chrome = fakeBrowser(t);
    fakeCore([]);
    for (const frameId of [1, 2]) await save.onSubmitted(sender(t, 1, frameId), { username: "alice", password: "pw" });
    const sandboxed = { ...sender(t, 1, 0), frameId: 3, url: "about:srcdoc", origin: "null" };
    await save.onSubmitted(sandboxed, { username: "alice", password: "pw" });
    assert.deepEqual(chrome.sent, []);
    assert.deepEqual(await save.offers(), []);
  });

  it("accepts a frame of the top page's origin", async () => {
    const t = tab("https://bank.test/", [
      { frameId: 0, documentId: "top", url: "https://bank.test/", fields: {} },
      { frameId: 1, documentId: "same", url: "https://bank.test/login", fields: LOGIN },
    ]);
    const chrome = fakeBrowser(t);
    fakeCore([]);
    await save.onSubmitted(sender(t, 1, 1), { username: "alice", password: "pw" });
    assert.equal(offersShown(chrome).length, 1);
  });

  it("offers nothing for a login already saved, and drops an earlier offer", async () => {
    const t = tab("https://login.bank.test/");
    const chrome = fakeBrowser(t);
    const core = fakeCore([{ id: "site", sites: ["login.bank.test"], username: "alice", password: "pw" }]);
    await save.onSubmitted(sender(t, 1, 0), { username: "alice", password: "other" });
    assert.equal((await save.offers()).length, 1);
    await save.onSubmitted(sender(t, 1, 0), { username: "alice", password: "pw" });
    assert.deepEqual(await save.offers(), []);
    assert.equal(offersShown(chrome).length, 1);
    assertNoSecretsAsked(core);
  });

  it("offers a login saved only for a sibling host exactly as a new one; saving adds the host to that entry", async () => {
    const entries = [{ id: "site", sites: ["bank.test"], username: "alice", password: "pw" }];
    const shown = [];
    for (const password of ["pw", "never-saved"]) {
      const t = tab("https://login.bank.test/");
      const chrome = fakeBrowser(t);
      fakeCore(structuredClone(entries));
      await save.onSubmitted(sender(t, 1, 0), { username: "alice", password });
      shown.push(offersShown(chrome));
    }
    assert.deepEqual(shown[0], shown[1], "the page sees the same offer");
    assert.equal(shown[0].length, 1);
    const t = tab("https://login.bank.test/");
    fakeBrowser(t);
    const core = fakeCore(structuredClone(entries));
    await save.onSubmitted(sender(t, 1, 0), { username: "alice", password: "pw" });
    assert.deepEqual(await save.answer(1, true), { saved: true, updated: true });
    assert.deepEqual(core.entries, [{ id: "site", sites: ["bank.test", "login.bank.test"], username: "alice", password: "pw" }]);
  });

  it("warns in the browser's UI only, and offers nothing, when the password typed is one of another site (a look-alike)", async () => {
    const t = tab("https://bank-test.evil.test/login");
    const chrome = fakeBrowser(t);
    const core = fakeCore([{ id: "site", sites: ["bank.test"], username: "alice", password: "pw-bank" }]);
    await save.onSubmitted(sender(t, 1, 0), { username: "alice", password: "pw-bank" });
    assert.deepEqual(offersShown(chrome), []);
    assert.deepEqual(
      chrome.sent.map((s) => s.msg),
      [],
      "nothing on the page: it must not learn the password is another site's",
    );
    assert.deepEqual(chrome.badges, [
      { tabId: 1, text: "!", title: "meshpass: you typed your password for bank.test on bank-test.evil.test" },
    ]);
    assert.deepEqual(
      await save.offers(),
      [{ tabId: 1, host: "bank-test.evil.test", username: "alice", update: false, otherSite: "bank.test" }],
      "the popup shows the warning, not an offer",
    );
    const kept = JSON.stringify(chrome.storage.session.map.get("ext.saves"));
    assert.ok(!kept.includes("pw-bank"), "the warning keeps no password");
    assert.deepEqual(await save.answer(1, true), { saved: false, otherSite: "bank.test" });
    assert.equal(core.entries.length, 1);
    assertNoSecretsAsked(core);
  });

  it("judges an offer made while locked when it is listed and answered: another site's password is not saved", async () => {
    const t = tab("https://bank-test.evil.test/login");
    fakeBrowser(t);
    const core = fakeCore([{ id: "site", sites: ["bank.test"], username: "alice", password: "pw-bank" }], { unlocked: false });
    await save.onSubmitted(sender(t, 1, 0), { username: "alice", password: "pw-bank" });
    core.unlocked = true;
    assert.deepEqual(await save.offers(), [
      { tabId: 1, host: "bank-test.evil.test", username: "alice", update: false, otherSite: "bank.test" },
    ]);
    assert.deepEqual(await save.answer(1, true), { saved: false, otherSite: "bank.test" });
    assert.equal(core.entries.length, 1);
  });

  it("offers an update for exactly the page's host, else a new login", async () => {
    const entries = [
      { id: "login", sites: ["login.bank.test"], username: "alice", password: "old" },
      { id: "site", sites: ["bank.test"], username: "bob", password: "old" },
    ];
    const t = tab("https://login.bank.test/");
    const chrome = fakeBrowser(t);
    const core = fakeCore(entries);
    await save.onSubmitted(sender(t, 1, 0), { username: "alice", password: "new" });
    await save.onSubmitted(sender(t, 1, 0), { username: "bob", password: "new" });
    assert.deepEqual(
      offersShown(chrome).map((o) => o.title),
      [
        "meshpass: update the password for alice on login.bank.test? Open meshpass to answer.",
        "meshpass: save the login for bob on login.bank.test? Open meshpass to answer.",
      ],
    );
    assertNoSecretsAsked(core);
  });

  it("keeps the offer while locked, and shows it after the next page loads once unlocked", async () => {
    const t = tab("https://bank.test/login");
    const chrome = fakeBrowser(t);
    const core = fakeCore([], { unlocked: false });
    await save.onSubmitted(sender(t, 1, 0), { username: "alice", password: "pw" });
    assert.deepEqual(chrome.sent, []);
    assert.equal((await save.offers()).length, 1);
    await save.onNavigated({ tabId: 1, frameId: 0, documentId: "next", url: "https://evil.test/" });
    core.unlocked = true;
    await save.onNavigated({ tabId: 1, frameId: 0, documentId: "next", url: "https://evil.test/" });
    assert.deepEqual(offersShown(chrome), [], "not on another origin");
    t[1].frames.push({ frameId: 0, documentId: "next", url: "https://bank.test/home", fields: {} });
    await save.onNavigated({ tabId: 1, frameId: 0, documentId: "next", url: "https://bank.test/home" });
    assert.equal(offersShown(chrome).length, 1);
  });

  it("ignores what is not a login", async () => {
    const t = tab("https://bank.test/login");
    fakeBrowser(t);
    const core = fakeCore([]);
    for (const msg of [
      { username: "a", password: "" },
      { username: 1, password: "pw" },
      { username: "a", password: "x".repeat(4097) },
    ]) {
      await save.onSubmitted(sender(t, 1, 0), msg);
    }
    assert.deepEqual(await save.offers(), []);
    assert.deepEqual(core.calls, []);
  });
});

describe("answer", () => {
  async function offered(entries, url = "https://login.bank.test/", login = { username: "alice", password: "new" }) {
    const t = tab(url);
    fakeBrowser(t);
    const core = fakeCore(entries);
    await save.onSubmitted(sender(t, 1, 0), login);
    assert.equal((await save.offers()).length, 1);
    return core;
  }

  it("saves a new login for the page's host", async () => {
    const core = await offered([]);
    assert.deepEqual(await save.answer(1, true), { saved: true, updated: false });
    assert.deepEqual(
      core.entries.map((e) => [e.sites, e.username, e.password]),
      [[["login.bank.test"], "alice", "new"]],
    );
    assert.deepEqual(await save.offers(), []);
    assertNoSecretsAsked(core);
  });

  it("updates the entry of exactly that host", async () => {
    const core = await offered([{ id: "login", sites: ["login.bank.test"], username: "alice", password: "old" }]);
    assert.deepEqual(await save.answer(1, true), { saved: true, updated: true });
    assert.equal(core.entries[0].password, "new");
    assert.deepEqual(
      core.calls.filter((c) => c.name === "edit").map((c) => c.arg),
      [{ id: "login", password: "new" }],
    );
  });

  it("counts a save kept on this device while the portal is unreachable as saved", async () => {
    const core = await offered([]);
    core.offline = true;
    assert.deepEqual(await save.answer(1, true), { saved: true, updated: false, pending: true });
    assert.equal(core.entries.length, 1);
    assert.deepEqual(await save.offers(), []);
  });

  it("counts an update kept on this device as saved", async () => {
    const core = await offered([{ id: "login", sites: ["login.bank.test"], username: "alice", password: "old" }]);
    core.offline = true;
    assert.deepEqual(await save.answer(1, true), { saved: true, updated: true, pending: true });
    assert.equal(core.entries[0].password, "new");
  });

  it("never updates an entry matched only through the registrable domain", async () => {
    const core = await offered([{ id: "site", sites: ["bank.test"], username: "alice", password: "old" }]);
    assert.deepEqual(await save.answer(1, true), { saved: true, updated: false });
    assert.equal(core.entries[0].password, "old");
    assert.equal(core.entries.length, 2);
  });

  it("Not now drops the offer and clears the toolbar button's mark", async () => {
    const core = await offered([]);
    assert.deepEqual(await save.answer(1, false), { saved: false });
    assert.deepEqual(await save.offers(), []);
    assert.deepEqual(core.entries, []);
    assert.deepEqual(
      chrome.badges.map((b) => b.text),
      ["+", ""],
    );
  });

  it("saves nothing when the vault got the login meanwhile", async () => {
    const core = await offered([]);
    core.entries.push({ id: "x", sites: ["login.bank.test"], username: "alice", password: "new" });
    assert.deepEqual(await save.answer(1, true), { saved: true, updated: false });
    assert.equal(core.entries.length, 1);
  });

  it("forgets an offer after five minutes", async (t) => {
    let clock = Date.now();
    t.mock.method(Date, "now", () => clock);
    await offered([]);
    clock += 5 * 60_000 + 1;
    assert.deepEqual(await save.offers(), []);
    assert.deepEqual(await save.answer(1, true), { saved: false });
    assert.equal(await state.pendingSave(1), undefined);
  });
});
