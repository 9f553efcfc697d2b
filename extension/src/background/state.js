// What the service worker keeps between its restarts: settings in
// chrome.storage.local, and in chrome.storage.session (memory only,
// cleared when the browser closes) the time of the last use, the fills
// waiting for a later step of a login, and the logins waiting to be saved.
// The core keeps its own keys under "meshpass:" in the same areas.

/** Defaults of the settings. */
export const defaults = {
  portal: "http://127.0.0.1:8787",
  fillOnLoad: false,
  lockMinutes: 15,
};

const SETTINGS = "ext.settings";
const ACTIVITY = "ext.activity";
const FILLS = "ext.fills";
const SAVES = "ext.saves";

/** settings resolves with the stored settings over the defaults. */
export async function settings() {
  const got = await chrome.storage.local.get(SETTINGS);
  return { ...defaults, ...(got[SETTINGS] || {}) };
}

/** setSettings stores the known settings of change, checked. */
export async function setSettings(change) {
  const s = await settings();
  if ("portal" in change) {
    const u = new URL(String(change.portal)); // throws on a bad URL
    if (u.protocol !== "https:" && u.protocol !== "http:") throw new Error("the portal must be an http or https URL");
    s.portal = u.origin;
  }
  if ("fillOnLoad" in change) s.fillOnLoad = Boolean(change.fillOnLoad);
  if ("lockMinutes" in change) {
    const m = Number(change.lockMinutes);
    if (!Number.isFinite(m) || m < 1 || m > 24 * 60) throw new Error("the lock timeout must be 1 to 1440 minutes");
    s.lockMinutes = Math.round(m);
  }
  await chrome.storage.local.set({ [SETTINGS]: s });
  return s;
}

/**
 * touch records a use now, which restarts the idle lock timeout, and sets
 * the one alarm that wakes the worker to lock when it runs out.
 */
export async function touch() {
  const now = Date.now();
  await chrome.storage.session.set({ [ACTIVITY]: now });
  const { lockMinutes } = await settings();
  await chrome.alarms.create("autolock", { when: now + lockMinutes * 60_000 + 1000 });
}

/**
 * lastActivity resolves with the time of the last use since the keys were
 * last locked, or 0 if nothing happened since (nothing to lock).
 */
export async function lastActivity() {
  const got = await chrome.storage.session.get(ACTIVITY);
  return got[ACTIVITY] || 0;
}

/** locked records that the keys were locked: no idle timeout runs. */
export async function locked() {
  await chrome.storage.session.remove(ACTIVITY);
  await chrome.alarms.clear("autolock");
}

async function table(key) {
  const got = await chrome.storage.session.get(key);
  const now = Date.now();
  const t = got[key] || {};
  for (const [k, v] of Object.entries(t)) if (v.until < now) delete t[k];
  return t;
}

async function put(key, tabId, value) {
  const t = await table(key);
  if (value === undefined) delete t[tabId];
  else t[tabId] = value;
  await chrome.storage.session.set({ [key]: t });
}

/** pendingFill is the fill waiting in a tab for the next step of a login. */
export async function pendingFill(tabId) {
  return (await table(FILLS))[tabId];
}

/** setPendingFill remembers (or with undefined forgets) a tab's fill. */
export async function setPendingFill(tabId, fill) {
  await put(FILLS, tabId, fill);
}

/** pendingSave is the submitted login a tab offers to save. */
export async function pendingSave(tabId) {
  return (await table(SAVES))[tabId];
}

/** pendingSaves lists every login waiting to be saved. */
export async function pendingSaves() {
  return Object.entries(await table(SAVES)).map(([tabId, s]) => ({ tabId: Number(tabId), ...s }));
}

/** setPendingSave remembers (or with undefined forgets) a tab's offer. */
export async function setPendingSave(tabId, save) {
  await put(SAVES, tabId, save);
}

/** forgetPending drops every waiting fill and login on offer (at lock). */
export async function forgetPending() {
  await chrome.storage.session.remove([FILLS, SAVES]);
}
