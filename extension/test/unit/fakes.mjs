// Fakes for the unit tests of the service worker's decisions: a browser
// (chrome.* with tabs, frames and their content scripts, and storage in
// memory) and a core (globalThis.meshpass's functions over a small vault).
// The fake core's matching is deliberately simple (exact host, "*.D" for
// subdomains of D, or a subdomain of the entry's host as the registrable
// domain match; the last two labels as the site; http insecure unless
// loopback): the real rules are the Go core's, tested in Go. These tests are about what the
// worker does with the core's answers.

import { useCore } from "../../src/background/core.js";

/**
 * storageArea is a chrome.storage area in memory (map holds it, for
 * assertions): values are copied in and out, as the browser does.
 */
export function storageArea() {
  const m = new Map();
  return {
    map: m,
    async get(key) {
      return m.has(key) ? { [key]: structuredClone(m.get(key)) } : {};
    },
    async set(obj) {
      for (const [k, v] of Object.entries(obj)) m.set(k, structuredClone(v));
    },
    async remove(keys) {
      for (const k of [keys].flat()) m.delete(k);
    },
  };
}

/**
 * fakeBrowser installs globalThis.chrome with the tabs given, and returns
 * it with .sent (every message delivered to a document) and the storage
 * areas. tabs: {[tabId]: {url, frames: [{frameId, documentId, url,
 * origin, fields: {username, password}, agree, action}]}}; a frame's
 * origin is what its content script reports as self.origin (default: its
 * URL's), fields says which login fields it has, agree answers "fill
 * anyway?", action is the other origin its login form posts to.
 * .badges records the toolbar badge texts set per tab ({tabId, text,
 * title}), .popups counts chrome.action.openPopup calls.
 * A frame without fields has no content script answering.
 */
export function fakeBrowser(tabs = {}) {
  const sent = [];
  const find = (tabId, target) =>
    (tabs[tabId]?.frames || []).find((f) => (target.documentId ? f.documentId === target.documentId : f.frameId === target.frameId));
  const badges = [];
  const chrome = {
    sent,
    badges,
    popups: 0,
    action: {
      async setBadgeText({ tabId, text }) {
        badges.push({ tabId, text });
      },
      async setTitle({ tabId, title }) {
        const b = badges.findLast((x) => x.tabId === tabId);
        if (b) b.title = title;
      },
      async openPopup() {
        chrome.popups++;
      },
    },
    storage: { local: storageArea(), session: storageArea() },
    alarms: { async create() {}, async clear() {} },
    tabs: {
      async get(tabId) {
        const t = tabs[tabId];
        if (!t) throw new Error(`no tab ${tabId}`);
        return { id: tabId, url: t.url };
      },
      async sendMessage(tabId, msg, target) {
        const f = find(tabId, target);
        if (!f || !f.fields) throw new Error("Could not establish connection. Receiving end does not exist.");
        sent.push({ tabId, documentId: f.documentId, frameId: f.frameId, msg });
        switch (msg.type) {
          case "meshpass:probe":
            return {
              username: Boolean(f.fields.username),
              password: Boolean(f.fields.password),
              otp: Boolean(f.fields.otp) && !f.fields.username && !f.fields.password,
              origin: f.origin ?? new URL(f.url).origin,
              action: f.action ?? "",
            };
          case "meshpass:ask":
            return { ok: f.agree === true };
          case "meshpass:fill":
            if (msg.code) return { filled: { username: false, password: false, code: Boolean(f.fields.otp && !f.fields.password) } };
            return {
              filled: { username: Boolean(f.fields.username && msg.username), password: Boolean(f.fields.password && msg.password) },
            };
          default:
            return {};
        }
      },
    },
    webNavigation: {
      async getAllFrames({ tabId }) {
        return (tabs[tabId]?.frames || []).map(({ frameId, documentId, url }) => ({ frameId, documentId, url }));
      },
    },
  };
  globalThis.chrome = chrome;
  return chrome;
}

/** sender is what chrome.runtime.onMessage gives for a frame of a tab. */
export function sender(tabs, tabId, frameId) {
  const f = tabs[tabId].frames.find((x) => x.frameId === frameId);
  return {
    tab: { id: tabId, url: tabs[tabId].url },
    frameId,
    documentId: f.documentId,
    url: f.url,
    origin: f.origin ?? new URL(f.url).origin,
  };
}

function loopback(host) {
  return host === "localhost" || host.endsWith(".localhost") || /^127\./.test(host) || host === "[::1]";
}

// matchOf is how the fake core matches an entry to a page, or null.
function matchOf(entry, url, allowHTTP) {
  const u = new URL(url);
  if (u.protocol !== "https:" && !(allowHTTP && u.protocol === "http:")) return null;
  let best = null;
  const rank = { exact: 3, wildcard: 2, "registrable-domain": 1 };
  for (const site of entry.sites) {
    let kind = null;
    if (site.startsWith("*.")) kind = u.host.endsWith(site.slice(1)) ? "wildcard" : null;
    else if (u.host === site) kind = "exact";
    else if (siteOf(u.host) === siteOf(site)) kind = "registrable-domain";
    if (kind && (!best || rank[kind] > rank[best.kind])) {
      best = { kind, site, scheme: u.protocol.slice(0, -1), insecure: u.protocol === "http:" && !loopback(u.hostname) };
    }
  }
  return best;
}

// siteOf is the fake registrable domain: the host's last two labels, without a port.
function siteOf(host) {
  return host.replace(/^\*\./, "").replace(/:\d+$/, "").split(".").slice(-2).join(".");
}

const automatic = (m) => m && (m.kind === "exact" || m.kind === "wildcard");

/**
 * fakeCore installs a core over entries ({id, sites, username, password,
 * and totp: the entry's current one-time code, if it has one})
 * and returns it: .calls lists every call (name and argument), .unlocked
 * may be changed, .entries is the vault; with .offline, add and edit keep
 * the change and fail with "pending", as the core does when the portal is
 * unreachable.
 */
export function fakeCore(entries = [], { unlocked = true } = {}) {
  const fail = (code, message) => Promise.reject(Object.assign(new Error(message), { code }));
  const core = { calls: [], entries, unlocked, offline: false };
  const fns = {
    status: () => ({ device: true, unlocked: core.unlocked, administrator: false }),
    page: ({ url }) => {
      const u = new URL(url);
      if (u.protocol !== "https:" && u.protocol !== "http:") return { fillable: false };
      return {
        fillable: true,
        origin: u.origin,
        host: u.host,
        scheme: u.protocol.slice(0, -1),
        insecure: u.protocol === "http:" && !loopback(u.hostname),
      };
    },
    match: ({ url, allowHTTP }) =>
      core.entries
        .map((e) => ({ e, m: matchOf(e, url, allowHTTP) }))
        .filter((x) => x.m)
        .map(({ e, m }) => ({ id: e.id, sites: e.sites, username: e.username, match: m })),
    fill: ({ id, url, allowHTTP }) => {
      const e = core.entries.find((x) => x.id === id);
      if (!e) return fail("not_found", "no such entry");
      const m = matchOf(e, url, allowHTTP);
      if (!m) return fail("not_allowed", "the entry may not fill this page");
      return { username: e.username, password: e.password, match: m };
    },
    autofill: ({ url, id, unique, allowHTTP }) => {
      const auto = core.entries.map((e) => ({ e, m: matchOf(e, url, allowHTTP) })).filter((x) => automatic(x.m) && (!id || x.e.id === id));
      if (auto.length === 0 || (!id && unique && auto.length !== 1)) return fail("not_allowed", "the entry may not fill this page");
      const { e, m } = auto[0];
      return { id: e.id, username: e.username, password: e.password, match: m };
    },
    typedLogin: ({ url, username, password }) => {
      const host = new URL(url).host;
      let update = null;
      let addTo = null;
      for (const e of core.entries) {
        const m = matchOf(e, url, true);
        if (!m || e.username !== username) continue;
        if (e.password === password && automatic(m)) return { state: "saved", host };
        if (e.password === password) addTo ??= e.id;
        else if (m.kind === "exact") update ??= e.id;
      }
      if (update) return { state: "update", id: update, host };
      if (addTo) return { state: "addSite", id: addTo, host };
      const same = core.entries.filter((e) => e.password === password);
      const ours = same.some((e) => e.sites.some((s) => siteOf(s) === siteOf(host)));
      const other = same.find((e) => !e.sites.some((s) => siteOf(s) === siteOf(host)));
      return !ours && other ? { state: "otherSite", host, site: other.sites[0] } : { state: "new", host };
    },
    list: () => core.entries.map(({ id, sites, username }) => ({ id, sites, username, updated: "2026-01-01T00:00:00Z" })),
    add: (arg) => {
      const e = { id: `e${core.entries.length + 1}`, ...arg };
      core.entries.push(e);
      if (core.offline) return fail("pending", "saved on this device, to publish at the next sync");
      return { id: e.id, sites: e.sites, username: e.username, updated: "2026-01-01T00:00:00Z" };
    },
    edit: ({ id, password, sites }) => {
      const e = core.entries.find((x) => x.id === id);
      if (!e) return fail("not_found", "no such entry");
      if (password !== undefined) e.password = password;
      if (sites !== undefined) e.sites = sites;
      if (core.offline) return fail("pending", "saved on this device, to publish at the next sync");
      return {};
    },
    totp: ({ id }) => {
      const e = core.entries.find((x) => x.id === id);
      if (!e || !e.totp) return fail("not_found", "no such entry");
      return { code: e.totp, period: 30, remaining: 17 };
    },
    lock: () => {
      core.unlocked = false;
      return {};
    },
  };
  const locked = new Set(["match", "fill", "autofill", "typedLogin", "list", "add", "edit", "totp"]);
  const meshpass = {};
  for (const [name, f] of Object.entries(fns)) {
    meshpass[name] = async (json) => {
      const arg = JSON.parse(json);
      core.calls.push({ name, arg });
      if (locked.has(name) && !core.unlocked) return fail("locked", "locked");
      return JSON.stringify(await f(arg));
    };
  }
  useCore(meshpass);
  return core;
}

/** codes are the one-time codes delivered: [{documentId, code}]. */
export function codes(chrome) {
  return chrome.sent
    .filter((s) => s.msg.type === "meshpass:fill" && "code" in s.msg)
    .map((s) => ({ documentId: s.documentId, code: s.msg.code }));
}

/** fills are the credentials delivered: [{documentId, username, password}]. */
export function fills(chrome) {
  return chrome.sent
    .filter((s) => s.msg.type === "meshpass:fill" && !("code" in s.msg))
    .map((s) => ({ documentId: s.documentId, username: s.msg.username, password: s.msg.password }));
}
