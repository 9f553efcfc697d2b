// Filling a tab. The core decides which entry may fill which page (package
// shared/match); here we decide which documents get the credential: the top
// page if the entry matches it, and frames of the top page's own origin —
// so a look-alike site gets nothing, and neither does another origin's
// iframe (another site, a sibling subdomain, a sandboxed frame), nor a
// login frame framed by a stranger. A document gets a credential only
// after it reports login fields, and on an insecure page (the core says
// so: plain http, not loopback) only after the person agreed.

import { CoreError } from "./core.js";
import * as core from "./core-api.js";
import * as state from "./state.js";

/** MULTI_STEP_MS is how long a fill waits for a login's next page. */
const MULTI_STEP_MS = 60_000;

/** credentialFor resolves with the entry's credential for url, or null. */
export async function credentialFor(id, url) {
  try {
    return await core.fill({ id, url, allowHTTP: true });
  } catch (e) {
    if (e.code === core.CODES.NOT_ALLOWED || e.code === core.CODES.BAD_REQUEST) return null;
    throw e;
  }
}

/** hostOf is url's host (with a non-default port), or "" if none. */
export function hostOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return "";
  }
}

/** send delivers msg to one document of a tab; null if it is gone. */
export async function send(tabId, frameId, documentId, msg) {
  const target = documentId ? { documentId } : { frameId };
  try {
    return await chrome.tabs.sendMessage(tabId, msg, target);
  } catch {
    return null; // no content script there (yet), or the page moved on
  }
}

/** originOf is url's origin, or "" for a URL that has none. */
export function originOf(url) {
  try {
    const o = new URL(url).origin;
    return o === "null" ? "" : o;
  } catch {
    return "";
  }
}

// fillFrame gives cred to one document if it has login fields, its real
// origin (the content script's self.origin: "null" in a sandboxed frame)
// is its URL's, and, for a subframe, that is the top page's origin. On an
// insecure page it asks the person first, and only then sends the
// credential.
async function fillFrame(tabId, frameId, documentId, url, topOrigin, cred) {
  const origin = originOf(url);
  if (!origin || (frameId !== 0 && origin !== topOrigin)) return null;
  const probe = await send(tabId, frameId, documentId, { type: "meshpass:probe" });
  if (!probe || !(probe.username || probe.password) || probe.origin !== origin) return null;
  if (cred.match.insecure) {
    const asked = await send(tabId, frameId, documentId, { type: "meshpass:ask", host: hostOf(url) });
    if (!asked || asked.ok !== true) return null;
  }
  const answer = await send(tabId, frameId, documentId, {
    type: "meshpass:fill",
    username: cred.username,
    password: cred.password,
    askFirst: false,
    host: hostOf(url),
  });
  return answer && answer.filled ? answer.filled : null;
}

/**
 * fillTab fills entry id into the tab's login form: the top frame and the
 * frames the entry matches, when the entry matches the top page. If no
 * password field was filled yet (a login in two steps), the fill waits a
 * minute for the next step. Resolves with {username, password}: whether
 * each was filled somewhere.
 */
export async function fillTab(tabId, id) {
  const frames = (await chrome.webNavigation.getAllFrames({ tabId })) || [];
  const top = frames.find((f) => f.frameId === 0);
  if (!top) throw new CoreError({ code: core.CODES.NOT_ALLOWED, message: "this tab has no page to fill" });
  const topCred = await credentialFor(id, top.url);
  if (!topCred) {
    throw new CoreError({ code: core.CODES.NOT_ALLOWED, message: `this login is not for ${hostOf(top.url) || "this page"}` });
  }
  const topOrigin = originOf(top.url);
  const done = { username: false, password: false };
  // Matching depends only on scheme, host and port: a frame of the top
  // page's origin matches exactly as the top page does.
  for (const f of frames.sort((a, b) => a.frameId - b.frameId)) {
    if (f.frameId !== 0 && originOf(f.url) !== topOrigin) continue; // another origin's frame
    const filled = await fillFrame(tabId, f.frameId, f.documentId, f.url, topOrigin, topCred);
    if (filled) {
      done.username ||= Boolean(filled.username);
      done.password ||= Boolean(filled.password);
    }
  }
  // A username step without a password field: the password waits a
  // minute for the login's next page in this tab.
  const waiting = done.username && !done.password;
  await state.setPendingFill(tabId, waiting ? { id, until: Date.now() + MULTI_STEP_MS } : undefined);
  return done;
}

/**
 * fillBest fills the best-matching entry into the tab (the keyboard
 * shortcut and the context menu). Resolves with null if none matches.
 */
export async function fillBest(tabId) {
  const tab = await chrome.tabs.get(tabId);
  const candidates = await core.match({ url: tab.url, allowHTTP: true });
  if (candidates.length === 0) return null;
  return fillTab(tabId, candidates[0].id);
}

/**
 * onFields answers a frame that reports login fields: it fills them if a
 * fill of this tab waits for the next step of a login, or if fill on page
 * load is on and exactly one entry matches a secure page.
 */
export async function onFields(sender) {
  const tabId = sender.tab.id;
  const topURL = sender.tab.url;
  const topOrigin = originOf(topURL);
  if (sender.frameId !== 0 && sender.origin !== topOrigin) return;
  // Storage first: most pages with a login form need nothing from the core.
  let id = (await state.pendingFill(tabId))?.id;
  if (!id && !(await state.settings()).fillOnLoad) return;
  const status = await core.status();
  if (!status.unlocked) return;
  if (!id) {
    const candidates = await core.match({ url: topURL, allowHTTP: true });
    if (candidates.length !== 1 || candidates[0].match.insecure) return;
    id = candidates[0].id;
  }
  const cred = await credentialFor(id, topURL); // a frame here has the top page's origin
  if (!cred) return;
  const filled = await fillFrame(tabId, sender.frameId, sender.documentId, sender.url, topOrigin, cred);
  if (filled && filled.password) await state.setPendingFill(tabId, undefined);
}
