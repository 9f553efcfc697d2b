// One-time codes in the worker's fills (fill.js): which documents get an
// entry's current code, with a fake browser and a fake core:
// node --test extension/test/unit/

import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { fillBest, fillTab, onFields } from "../../src/background/fill.js";
import * as state from "../../src/background/state.js";
import { codes, fakeBrowser, fakeCore, fills, sender } from "./fakes.mjs";

const BANK = { id: "bank", sites: ["bank.test"], username: "alice", password: "pw-bank", totp: "287082" };
const PLAIN = { id: "plain", sites: ["plain.test"], username: "bob", password: "pw-plain" };
const CODE = { username: false, password: false, otp: true };

let clock;
beforeEach((t) => {
  clock = Date.parse("2026-03-01T12:00:00Z");
  t.mock.method(Date, "now", () => clock);
});

/** codePage is a tab on url whose top document is a code step (and frames). */
function codePage(url, { frames = [], ...top } = {}) {
  return { 1: { url, frames: [{ frameId: 0, documentId: "top", url, fields: CODE, ...top }, ...frames] } };
}

describe("one-time codes", () => {
  it("the popup's Fill on a code step gives the code, not the login, to the top page and its own origin's frames", async () => {
    const t = codePage("https://bank.test/2fa", {
      frames: [
        { frameId: 1, documentId: "same", url: "https://bank.test/frame", fields: CODE },
        { frameId: 2, documentId: "other", url: "https://evil.test/frame", fields: CODE },
        { frameId: 3, documentId: "sandboxed", url: "https://bank.test/sandbox", origin: "null", fields: CODE },
      ],
    });
    const chrome = fakeBrowser(t);
    const core = fakeCore([BANK]);
    const r = await fillTab(1, "bank");
    assert.equal(r.code, true);
    assert.equal(r.password, false);
    assert.deepEqual(codes(chrome), [
      { documentId: "top", code: "287082" },
      { documentId: "same", code: "287082" },
    ]);
    assert.deepEqual(fills(chrome), [], "no username or password goes to a code step");
    for (const s of chrome.sent.filter((x) => x.msg.type === "meshpass:fill")) {
      assert.deepEqual(Object.keys(s.msg).sort(), ["askFirst", "code", "host", "origin", "type"], "the code and nothing else");
    }
    assert.equal(core.calls.filter((c) => c.name === "totp").length, 1, "the code is asked once per fill");
    assert.equal(await state.pendingFill(1), undefined);
  });

  it("a login page never gets the code; a code step of an entry without one gets nothing", async () => {
    let chrome = fakeBrowser(codePage("https://bank.test/login", { fields: { username: true, password: true, otp: true } }));
    let core = fakeCore([BANK]);
    await fillTab(1, "bank");
    assert.deepEqual(codes(chrome), []);
    assert.equal(fills(chrome).length, 1);
    assert.equal(core.calls.filter((c) => c.name === "totp").length, 0, "the core is not even asked");

    chrome = fakeBrowser(codePage("https://plain.test/2fa"));
    fakeCore([PLAIN]);
    const r = await fillTab(1, "plain");
    assert.deepEqual(
      chrome.sent.map((s) => s.msg.type),
      ["meshpass:probe"],
    );
    assert.equal(r.otp, true);
    assert.equal(r.noCode, true);
  });

  it("a look-alike's code page gets nothing", async () => {
    const chrome = fakeBrowser(codePage("https://bank.test.evil.test/2fa"));
    fakeCore([BANK]);
    await assert.rejects(fillTab(1, "bank"), /not for/);
    assert.deepEqual(codes(chrome), []);
  });

  it("asks first on an insecure page, and gives the code only if the person agrees", async () => {
    for (const agree of [false, true]) {
      const chrome = fakeBrowser(codePage("http://bank.test/2fa", { agree }));
      fakeCore([{ ...BANK, sites: ["bank.test"] }]);
      await fillTab(1, "bank");
      assert.equal(chrome.sent.filter((s) => s.msg.type === "meshpass:ask").length, 1);
      assert.deepEqual(codes(chrome), agree ? [{ documentId: "top", code: "287082" }] : []);
    }
  });

  it("the shortcut fills the code of the best automatic match", async () => {
    const chrome = fakeBrowser(codePage("https://bank.test/2fa"));
    fakeCore([BANK]);
    const r = await fillBest(1);
    assert.equal(r.code, true);
    assert.deepEqual(codes(chrome), [{ documentId: "top", code: "287082" }]);
  });

  it("fill on page load fills a code step only when it is on and exactly one entry may fill the page automatically", async () => {
    const t = codePage("https://bank.test/2fa");
    let chrome = fakeBrowser(t);
    fakeCore([BANK]);
    await onFields(sender(t, 1, 0));
    assert.deepEqual(codes(chrome), [], "off by default");

    chrome = fakeBrowser(t);
    fakeCore([BANK]);
    await chrome.storage.local.set({ "ext.settings": { fillOnLoad: true } });
    await onFields(sender(t, 1, 0));
    assert.deepEqual(codes(chrome), [{ documentId: "top", code: "287082" }]);

    const sibling = codePage("https://login.bank.test/2fa");
    chrome = fakeBrowser(sibling);
    fakeCore([BANK]);
    await chrome.storage.local.set({ "ext.settings": { fillOnLoad: true } });
    await onFields(sender(sibling, 1, 0));
    assert.deepEqual(codes(chrome), [], "a sibling host of the site gets no code unasked");

    chrome = fakeBrowser(t);
    fakeCore([BANK, { ...BANK, id: "bank2" }]);
    await chrome.storage.local.set({ "ext.settings": { fillOnLoad: true } });
    await onFields(sender(t, 1, 0));
    assert.deepEqual(codes(chrome), [], "two entries: no fill");
  });

  it("the pending next step of a two-step login waits for the password, not a code", async () => {
    const t = {
      1: {
        url: "https://bank.test/user",
        frames: [{ frameId: 0, documentId: "step1", url: "https://bank.test/user", fields: { username: true, password: false } }],
      },
    };
    const chrome = fakeBrowser(t);
    fakeCore([BANK]);
    await fillTab(1, "bank");
    t[1].url = "https://bank.test/2fa";
    t[1].frames = [{ frameId: 0, documentId: "code", url: "https://bank.test/2fa", fields: CODE }];
    await onFields(sender(t, 1, 0));
    assert.deepEqual(codes(chrome), []);
    assert.equal((await state.pendingFill(1)).id, "bank", "still waiting for the password step");
  });
});
