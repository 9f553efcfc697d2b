// Which documents of a tab get a credential (fill.js), with a fake
// browser and a fake core: node --test extension/test/unit/

import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { fillBest, fillTab, onFields } from "../../src/background/fill.js";
import * as state from "../../src/background/state.js";
import { fakeBrowser, fakeCore, fills, sender } from "./fakes.mjs";

const BANK = { id: "bank", sites: ["bank.test"], username: "alice", password: "pw-bank" };
const SHOP = { id: "shop", sites: ["shop.test"], username: "bob", password: "pw-shop" };
const LOGIN = { username: true, password: true };

/** got is what a fill says was filled. */
const got = (r) => ({ username: r.username, password: r.password });

let clock;
beforeEach((t) => {
  clock = Date.parse("2026-03-01T12:00:00Z");
  t.mock.method(Date, "now", () => clock);
});

describe("fillTab", () => {
  it("is bound to the origin the popup listed: a tab that moved to a sibling host gets nothing", async () => {
    const t = {
      1: { url: "https://login.bank.test/", frames: [{ frameId: 0, documentId: "top", url: "https://login.bank.test/", fields: LOGIN }] },
    };
    const chrome = fakeBrowser(t);
    const core = fakeCore([BANK]);
    await assert.rejects(fillTab(1, "bank", "https://bank.test/login"), {
      code: "not_allowed",
      message: /moved to login\.bank\.test after meshpass listed the logins for bank\.test/,
    });
    assert.deepEqual(chrome.sent, [], "not even probed");
    assert.ok(!core.calls.some((c) => c.name === "fill"), "no password asked for");
    // The listed origin, any path: filled.
    assert.deepEqual(got(await fillTab(1, "bank", "https://login.bank.test/other")), { username: true, password: true });
  });

  it("fills the top page and frames of its origin only", async () => {
    const tabs = {
      1: {
        url: "https://bank.test/login",
        frames: [
          { frameId: 0, documentId: "top", url: "https://bank.test/login", fields: LOGIN },
          { frameId: 1, documentId: "same", url: "https://bank.test/frame", fields: LOGIN },
          { frameId: 2, documentId: "other", url: "https://evil.test/frame", fields: LOGIN },
          { frameId: 3, documentId: "sandboxed", url: "https://bank.test/sandbox", origin: "null", fields: LOGIN },
          { frameId: 4, documentId: "sibling", url: "https://login.bank.test/", fields: LOGIN },
          { frameId: 5, documentId: "empty", url: "https://bank.test/nothing", fields: { username: false, password: false } },
        ],
      },
    };
    const chrome = fakeBrowser(tabs);
    fakeCore([BANK]);
    assert.deepEqual(got(await fillTab(1, "bank")), { username: true, password: true });
    assert.deepEqual(fills(chrome), [
      { documentId: "top", username: "alice", password: "pw-bank" },
      { documentId: "same", username: "alice", password: "pw-bank" },
    ]);
    const probed = chrome.sent.filter((s) => s.msg.type === "meshpass:probe").map((s) => s.documentId);
    assert.deepEqual(probed, ["top", "same", "sandboxed", "empty"], "another origin's frames are not even probed");
  });

  it("gives nothing when the entry is not for the top page, even to a frame it matches", async () => {
    const tabs = {
      1: {
        url: "https://evil.test/",
        frames: [
          { frameId: 0, documentId: "top", url: "https://evil.test/", fields: LOGIN },
          { frameId: 1, documentId: "framed", url: "https://bank.test/login", fields: LOGIN },
        ],
      },
    };
    const chrome = fakeBrowser(tabs);
    fakeCore([BANK]);
    await assert.rejects(fillTab(1, "bank"), { code: "not_allowed", message: /not for evil\.test/ });
    assert.deepEqual(chrome.sent, []);
  });

  it("asks first on an insecure page, and fills only if the person agrees", async () => {
    for (const agree of [false, true]) {
      const tabs = {
        1: { url: "http://bank.test/", frames: [{ frameId: 0, documentId: "top", url: "http://bank.test/", fields: LOGIN, agree }] },
      };
      const chrome = fakeBrowser(tabs);
      fakeCore([BANK]);
      const done = await fillTab(1, "bank");
      const types = chrome.sent.map((s) => s.msg.type);
      assert.deepEqual(types, agree ? ["meshpass:probe", "meshpass:ask", "meshpass:fill"] : ["meshpass:probe", "meshpass:ask"]);
      assert.equal(chrome.sent[1].msg.password, undefined, "the question carries no credential");
      assert.deepEqual(got(done), { username: agree, password: agree });
      assert.equal(done.cancelled, !agree, "the popup can say the person cancelled");
    }
  });

  it("does not ask on http to loopback", async () => {
    const entry = { id: "dev", sites: ["app.localhost:3000"], username: "dev", password: "pw-dev" };
    const tabs = {
      1: {
        url: "http://app.localhost:3000/",
        frames: [{ frameId: 0, documentId: "top", url: "http://app.localhost:3000/", fields: LOGIN }],
      },
    };
    const chrome = fakeBrowser(tabs);
    fakeCore([entry]);
    await fillTab(1, "dev");
    assert.deepEqual(
      chrome.sent.map((s) => s.msg.type),
      ["meshpass:probe", "meshpass:fill"],
    );
  });

  it("fillBest fills the best match, or resolves null", async () => {
    const tabs = {
      1: { url: "https://shop.test/", frames: [{ frameId: 0, documentId: "top", url: "https://shop.test/", fields: LOGIN }] },
    };
    const chrome = fakeBrowser(tabs);
    fakeCore([BANK, SHOP]);
    await fillBest(1);
    assert.deepEqual(fills(chrome), [{ documentId: "top", username: "bob", password: "pw-shop" }]);
    fakeCore([BANK]);
    assert.equal(await fillBest(1), null);
  });
});

describe("automatic fills: exact host or wildcard only", () => {
  const SITE = { id: "site", sites: ["bank.test"], username: "alice", password: "pw-bank" };
  const WILD = { id: "wild", sites: ["*.shop.test"], username: "bob", password: "pw-shop" };
  const page = (url, extra = {}) => ({ 1: { url, frames: [{ frameId: 0, documentId: "top", url, fields: LOGIN, ...extra }] } });
  const on = () => chrome.storage.local.set({ "ext.settings": { fillOnLoad: true } });

  it("fill on load gives a sibling host (user content, a taken-over subdomain) nothing, and says so on the badge", async () => {
    const t = page("https://user-content.bank.test/login");
    const c = fakeBrowser(t);
    await on();
    const core = fakeCore([SITE]);
    await onFields(sender(t, 1, 0));
    assert.deepEqual(c.sent, [], "not even probed");
    assert.ok(!core.calls.some((x) => x.name === "fill"), "no password asked for");
    assert.deepEqual(
      c.badges.map((b) => b.text),
      ["1"],
    );
    assert.match(c.badges[0].title, /did not fill this page automatically\. Open meshpass to fill\./);
  });

  it("fill on load fills the exact host and a wildcard the person wrote", async () => {
    for (const [url, who] of [
      ["https://bank.test/login", "alice"],
      ["https://a.shop.test/login", "bob"],
    ]) {
      const t = page(url);
      const c = fakeBrowser(t);
      await on();
      fakeCore([SITE, WILD]);
      await onFields(sender(t, 1, 0));
      assert.deepEqual(
        fills(c).map((f) => f.username),
        [who],
      );
    }
  });

  it("fill on load declines a form that posts to another origin, with a sign", async () => {
    const t = page("https://bank.test/login", { action: "https://collect.evil.test" });
    const c = fakeBrowser(t);
    await on();
    fakeCore([SITE]);
    await onFields(sender(t, 1, 0));
    assert.deepEqual(fills(c), []);
    assert.ok(!c.sent.some((x) => x.msg.type === "meshpass:ask"), "no banner on page load");
    assert.match(c.badges[0].title, /another site/);
  });

  it("the shortcut fills only an automatic match; a sibling's login opens the popup to choose", async () => {
    let t = page("https://login.bank.test/");
    let c = fakeBrowser(t);
    fakeCore([SITE]);
    assert.deepEqual(await fillBest(1), { choose: 1 });
    assert.deepEqual(c.sent, []);
    t = page("https://bank.test/");
    c = fakeBrowser(t);
    fakeCore([SITE]);
    assert.deepEqual(got(await fillBest(1)), { username: true, password: true });
    assert.equal(fills(c).length, 1);
  });

  it("the popup's click fills a sibling host (its row names the entry's site)", async () => {
    const t = page("https://login.bank.test/");
    const c = fakeBrowser(t);
    fakeCore([SITE]);
    assert.deepEqual(got(await fillTab(1, "site")), { username: true, password: true });
    assert.equal(fills(c).length, 1);
  });

  it("a click on a form that posts to another origin asks first, naming it", async () => {
    for (const agree of [false, true]) {
      const t = page("https://bank.test/login", { action: "https://collect.evil.test", agree });
      const c = fakeBrowser(t);
      fakeCore([SITE]);
      const r = await fillTab(1, "site");
      const ask = c.sent.find((x) => x.msg.type === "meshpass:ask");
      assert.deepEqual(ask.msg, {
        type: "meshpass:ask",
        host: "bank.test",
        insecure: false,
        action: "https://collect.evil.test",
        origin: "https://bank.test",
      });
      assert.equal(fills(c).length, agree ? 1 : 0);
      assert.equal(r.cancelled, !agree);
    }
  });
});

describe("a login in two steps", () => {
  const tabs = () => ({
    1: {
      url: "https://bank.test/user",
      frames: [{ frameId: 0, documentId: "step1", url: "https://bank.test/user", fields: { username: true, password: false } }],
    },
  });
  const nextPage = (t) => {
    t[1].url = "https://bank.test/password";
    t[1].frames = [{ frameId: 0, documentId: "step2", url: "https://bank.test/password", fields: { username: false, password: true } }];
  };

  it("fills the password on the next page within a minute", async () => {
    const t = tabs();
    const chrome = fakeBrowser(t);
    fakeCore([BANK]);
    assert.deepEqual(got(await fillTab(1, "bank")), { username: true, password: false });
    assert.equal((await state.pendingFill(1)).id, "bank");
    nextPage(t);
    clock += 30_000;
    await onFields(sender(t, 1, 0));
    assert.deepEqual(
      fills(chrome),
      [
        { documentId: "step1", username: "alice", password: undefined },
        { documentId: "step2", username: undefined, password: "pw-bank" },
      ],
      "the username step is not given the password to keep",
    );
    assert.equal(await state.pendingFill(1), undefined, "done once the password is filled");
  });

  it("the password step of the same document goes through the checks of any fill: a form posting elsewhere asks first", async () => {
    const t = tabs();
    const chrome = fakeBrowser(t);
    fakeCore([BANK]);
    await fillTab(1, "bank");
    // The same document (an SPA) now shows a password field whose form
    // posts to another origin.
    t[1].frames[0].fields = { username: false, password: true };
    t[1].frames[0].action = "https://collector.test";
    await onFields(sender(t, 1, 0));
    const asked = chrome.sent.filter((s) => s.msg.type === "meshpass:ask");
    assert.equal(asked.length, 1, "asked before the password goes");
    assert.equal(asked[0].msg.action, "https://collector.test");
    assert.deepEqual(fills(chrome), [{ documentId: "step1", username: "alice", password: undefined }], "no password without a yes");
    // Yes: filled, and the fill names the action agreed to.
    t[1].frames[0].agree = true;
    await onFields(sender(t, 1, 0));
    const last = chrome.sent.filter((s) => s.msg.type === "meshpass:fill").at(-1).msg;
    assert.deepEqual([last.password, last.action, last.username], ["pw-bank", "https://collector.test", undefined]);
  });

  it("forgets the fill after a minute", async () => {
    const t = tabs();
    const chrome = fakeBrowser(t);
    const core = fakeCore([BANK]);
    await fillTab(1, "bank");
    nextPage(t);
    clock += 61_000;
    core.calls.length = 0;
    await onFields(sender(t, 1, 0));
    assert.deepEqual(
      fills(chrome).map((f) => f.documentId),
      ["step1"],
    );
    assert.deepEqual(core.calls, [], "nothing asked of the core");
  });

  it("gives the next page nothing if it is another origin of the same site (an open redirect)", async () => {
    const t = tabs();
    const chrome = fakeBrowser(t);
    fakeCore([BANK]);
    await fillTab(1, "bank");
    t[1].url = "https://user-content.bank.test/password";
    t[1].frames = [{ frameId: 0, documentId: "sibling", url: t[1].url, fields: LOGIN }];
    await onFields(sender(t, 1, 0));
    assert.deepEqual(
      fills(chrome).map((f) => f.documentId),
      ["step1"],
    );
    assert.equal((await state.pendingFill(1)).origin, "https://bank.test", "the fill still waits for its own origin");
  });

  it("gives the next page nothing if it is another site", async () => {
    const t = tabs();
    const chrome = fakeBrowser(t);
    fakeCore([BANK]);
    await fillTab(1, "bank");
    t[1].url = "https://evil.test/password";
    t[1].frames = [{ frameId: 0, documentId: "evil", url: "https://evil.test/password", fields: LOGIN }];
    await onFields(sender(t, 1, 0));
    assert.deepEqual(
      fills(chrome).map((f) => f.documentId),
      ["step1"],
    );
  });
});

describe("fill on page load", () => {
  const page = (url, frames) => ({ 1: { url, frames: frames ?? [{ frameId: 0, documentId: "top", url, fields: LOGIN }] } });
  const on = () => chrome.storage.local.set({ "ext.settings": { fillOnLoad: true } });

  it("is off by default, and then does not even load the core", async () => {
    const t = page("https://bank.test/");
    const c = fakeBrowser(t);
    const core = fakeCore([BANK]);
    await onFields(sender(t, 1, 0));
    assert.deepEqual(fills(c), []);
    assert.deepEqual(core.calls, []);
  });

  it("fills when exactly one entry matches a secure page", async () => {
    const t = page("https://bank.test/");
    const c = fakeBrowser(t);
    await on();
    fakeCore([BANK, SHOP]);
    await onFields(sender(t, 1, 0));
    assert.deepEqual(fills(c), [{ documentId: "top", username: "alice", password: "pw-bank" }]);
  });

  it("does not fill when two entries match", async () => {
    const t = page("https://bank.test/");
    const c = fakeBrowser(t);
    await on();
    fakeCore([BANK, { ...BANK, id: "bank2", username: "alice2" }]);
    await onFields(sender(t, 1, 0));
    assert.deepEqual(fills(c), []);
  });

  it("does not fill an insecure page", async () => {
    const t = page("http://bank.test/");
    const c = fakeBrowser(t);
    await on();
    fakeCore([BANK]);
    await onFields(sender(t, 1, 0));
    assert.deepEqual(c.sent, []);
  });

  it("does not fill while locked", async () => {
    const t = page("https://bank.test/");
    const c = fakeBrowser(t);
    await on();
    fakeCore([BANK], { unlocked: false });
    await onFields(sender(t, 1, 0));
    assert.deepEqual(c.sent, []);
  });

  it("fills a frame of the top page's origin, not another origin's", async () => {
    const t = page("https://bank.test/", [
      { frameId: 0, documentId: "top", url: "https://bank.test/", fields: {} },
      { frameId: 1, documentId: "same", url: "https://bank.test/login", fields: LOGIN },
      { frameId: 2, documentId: "other", url: "https://shop.test/login", fields: LOGIN },
      { frameId: 3, documentId: "sandboxed", url: "https://bank.test/box", origin: "null", fields: LOGIN },
    ]);
    const c = fakeBrowser(t);
    await on();
    fakeCore([BANK, SHOP]);
    for (const frameId of [1, 2, 3]) await onFields(sender(t, 1, frameId));
    assert.deepEqual(fills(c), [{ documentId: "same", username: "alice", password: "pw-bank" }]);
  });
});
