// Filling a tab. The core decides which entry may fill which page (package
// shared/match); here we decide which documents get the credential: the top
// page if the entry matches it, and frames of the top page's own origin —
// so a look-alike site gets nothing, and neither does another origin's
// iframe (another site, a sibling subdomain, a sandboxed frame), nor a
// login frame framed by a stranger. A document gets a credential only
// after it reports login fields, and only after the person agreed when
// the page is insecure (the core says so: plain http, not loopback) or its
// login form posts to another origin.
//
// Two kinds of fill:
//   - chosen: the person clicked Fill on an entry in the popup, whose row
//     names the entry's site; any match of package match may fill (the
//     core's fill). The next step of a login in two steps is part of that
//     click, but only on the origin it was made on.
//   - automatic: nobody chose this entry for this host (fill on page load,
//     the keyboard shortcut, the context menu); only an exact host or a
//     wildcard the person wrote may fill (the core's autofill), never a
//     sibling host of the registrable domain.
//
// One-time codes: a document that shows a one-time-code field and no
// login field (the code step after a login) gets the entry's current code
// (the core's totp), never the otpauth:// secret, by the same rules and
// origin checks as a credential: from the popup's Fill, the shortcut's
// best match, and fill on page load; not from the pending next step of a
// two-step login (that step waits for a password).

import { CoreError } from "./core.js";
import * as core from "./core-api.js";
import { t } from "../i18n.js";
import * as state from "./state.js";

/** MULTI_STEP_MS is how long a fill waits for a login's next page. */
const MULTI_STEP_MS = 60_000;

/** declined reports a core refusal to fill (no credential), rethrowing the rest. */
function declined(e) {
  if (e.code === core.CODES.NOT_ALLOWED || e.code === core.CODES.BAD_REQUEST || e.code === core.CODES.NOT_FOUND) return null;
  throw e;
}

/** credentialFor resolves with the entry's credential for url, or null. */
export async function credentialFor(id, url) {
  return core.fill({ id, url, allowHTTP: true }).catch(declined);
}

/**
 * autoCredentialFor resolves with the credential of an entry that may fill
 * url automatically (exact host or wildcard): entry id, or the best one,
 * or with unique the only one; null if there is none.
 */
export async function autoCredentialFor(url, { id, unique = false, allowHTTP = true } = {}) {
  const arg = { url, allowHTTP };
  if (id) arg.id = id;
  if (unique) arg.unique = true;
  return core.autofill(arg).catch(declined);
}

/**
 * codeFor resolves with entry id's current one-time code, or null if it
 * has none (or the core declines).
 */
export async function codeFor(id) {
  const r = await core.totp({ id }).catch(declined);
  return r && typeof r.code === "string" && r.code ? r.code : null;
}

/** once memoizes an async function of no arguments. */
function once(f) {
  let p = null;
  return () => (p ??= f());
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

/** actionOf is the other origin a probe says the login form posts to, or "". */
function actionOf(probe, origin) {
  const a = typeof probe.action === "string" ? originOf(probe.action) : "";
  return a && a !== origin ? a : "";
}

// fillFrame gives cred to one document if it has login fields, its real
// origin (the content script's self.origin: "null" in a sandboxed frame)
// is its URL's, and, for a subframe, that is the top page's origin. On an
// insecure page, or when the login form posts to another origin, it asks
// the person first (unless mayAsk is false: then it declines), and only
// then sends the credential. A document with a one-time-code field and
// no login field gets only the code, from code() (null: the entry has
// none; then nothing is sent). Resolves with {fields, filled, cancelled,
// declined, noCode}.
async function fillFrame(tabId, frameId, documentId, url, topOrigin, cred, { mayAsk = true, code = null } = {}) {
  const none = { fields: false, filled: null, cancelled: false, declined: "" };
  const origin = originOf(url);
  if (!origin || (frameId !== 0 && origin !== topOrigin)) return none;
  const probe = await send(tabId, frameId, documentId, { type: "meshpass:probe" });
  if (!probe || probe.origin !== origin) return none;
  const login = Boolean(probe.username || probe.password);
  const otp = !login && probe.otp === true;
  if (!login && !otp) return none;
  const fields = { username: Boolean(probe.username), password: Boolean(probe.password), otp };
  let oneTime = null;
  if (otp) {
    oneTime = code ? await code() : null;
    if (!oneTime) return { ...none, fields, noCode: true };
  }
  const action = actionOf(probe, origin);
  const insecure = Boolean(cred.match.insecure);
  if (insecure || action) {
    if (!mayAsk) return { ...none, fields, declined: insecure ? "insecure" : "action" };
    const asked = await send(tabId, frameId, documentId, { type: "meshpass:ask", host: hostOf(url), insecure, action, origin });
    if (!asked || asked.ok !== true) return { ...none, fields, cancelled: Boolean(asked) };
  }
  // The code step gets the code alone; a login step never gets it. A
  // login step gets only what its fields take: a username step does not
  // get the password to keep for a later field (that field's document
  // reports it, and gets the password after its own probe and checks).
  const secret = {};
  if (otp) secret.code = oneTime;
  else {
    if (fields.username && cred.username) secret.username = cred.username;
    if (fields.password) secret.password = cred.password;
  }
  const answer = await send(tabId, frameId, documentId, {
    type: "meshpass:fill",
    ...secret,
    askFirst: false,
    host: hostOf(url),
    // The document must still be of this origin: where a browser has no
    // documentId (older Firefox), the frame may have navigated since the
    // probe, and the content script refuses a fill meant for another origin.
    origin,
    // Where the form posts, as checked (and asked about) above: the
    // content script refuses if the page changed it since the probe.
    ...(otp ? {} : { action: typeof probe.action === "string" ? probe.action : "" }),
  });
  return { ...none, fields, filled: answer && answer.filled ? answer.filled : null };
}

/**
 * fillWith fills cred (entry id's credential for the top page) into the
 * tab: the top frame and the frames of the top page's origin. If no
 * password field was filled yet (a login in two steps), the fill waits a
 * minute for the next step on the same origin. Resolves with {username,
 * password}: whether each was filled somewhere; fields: whether any
 * document had login fields; cancelled: whether the person said no.
 */
async function fillWith(tabId, frames, id, cred) {
  const top = frames.find((f) => f.frameId === 0);
  const topOrigin = originOf(top.url);
  const done = { username: false, password: false, fields: false, cancelled: false, wantedUsername: Boolean(cred.username) };
  const code = once(() => codeFor(id));
  // Matching depends only on scheme, host and port: a frame of the top
  // page's origin matches exactly as the top page does.
  for (const f of frames.sort((a, b) => a.frameId - b.frameId)) {
    if (f.frameId !== 0 && originOf(f.url) !== topOrigin) continue; // another origin's frame
    const r = await fillFrame(tabId, f.frameId, f.documentId, f.url, topOrigin, cred, { code });
    done.fields ||= Boolean(r.fields);
    done.cancelled ||= r.cancelled;
    if (r.fields && r.fields.otp) {
      done.otp = true;
      done.noCode ||= Boolean(r.noCode);
    }
    if (r.filled) {
      done.username ||= Boolean(r.filled.username);
      done.password ||= Boolean(r.filled.password);
      if (r.filled.code) done.code = true;
    }
  }
  // A username step without a password field: the password waits a
  // minute for the login's next page in this tab, on this origin only.
  const waiting = done.username && !done.password;
  await state.setPendingFill(tabId, waiting ? { id, origin: topOrigin, until: Date.now() + MULTI_STEP_MS } : undefined);
  done.waiting = waiting;
  return done;
}

async function topFrame(tabId) {
  const frames = (await chrome.webNavigation.getAllFrames({ tabId })) || [];
  const top = frames.find((f) => f.frameId === 0);
  if (!top) throw new CoreError({ code: core.CODES.NOT_ALLOWED, message: "this tab has no page to fill" });
  return { frames, top };
}

/**
 * fillTab fills entry id, chosen by the person in the popup, into the
 * tab's login form (see fillWith), when the entry matches the top page.
 * listed is the URL of the page the popup listed the entry for: the fill
 * is refused if the tab shows another origin now (it navigated, say to
 * another host of the site, between the listing and the click).
 */
export async function fillTab(tabId, id, listed) {
  const { frames, top } = await topFrame(tabId);
  if (listed !== undefined && (!originOf(listed) || originOf(listed) !== originOf(top.url))) {
    throw new CoreError({
      code: core.CODES.NOT_ALLOWED,
      message: t(
        "This tab moved to $1 after meshpass listed the logins for $2. Open meshpass again to fill.",
        hostOf(top.url) || "?",
        hostOf(listed) || "?",
      ),
    });
  }
  const cred = await credentialFor(id, top.url);
  if (!cred) {
    throw new CoreError({ code: core.CODES.NOT_ALLOWED, message: `this login is not for ${hostOf(top.url) || "this page"}` });
  }
  return fillWith(tabId, frames, id, cred);
}

/**
 * fillBest fills the best entry that may fill the tab automatically (the
 * keyboard shortcut and the context menu). Resolves with null if none
 * may; {choose: n} if n entries match only through the registrable domain
 * (the person must choose one in the popup, which names its site).
 */
export async function fillBest(tabId) {
  const { frames, top } = await topFrame(tabId);
  const cred = await autoCredentialFor(top.url);
  if (cred) return fillWith(tabId, frames, cred.id, cred);
  const candidates = await core.match({ url: top.url, allowHTTP: true });
  return candidates.length ? { choose: candidates.length } : null;
}

/**
 * onFields answers a frame that reports login fields: it fills them if a
 * fill of this tab, chosen by the person on this same origin, waits for
 * the next step of a login; or, with fill on page load on, if exactly one
 * entry may fill this secure page automatically (exact host or wildcard)
 * and its form posts to its own origin. When fill on load declines a page
 * that has matching logins, the toolbar badge says so.
 */
export async function onFields(sender) {
  const tabId = sender.tab.id;
  const topURL = sender.tab.url;
  const topOrigin = originOf(topURL);
  if (!topOrigin || (sender.frameId !== 0 && sender.origin !== topOrigin)) return;
  // Storage first: most pages with a login form need nothing from the core.
  const pending = await state.pendingFill(tabId);
  const next = pending && pending.origin === topOrigin ? pending : null;
  if (!next && !(await state.settings()).fillOnLoad) return;
  const status = await core.status();
  if (!status.unlocked) return;
  if (next) {
    const cred = await credentialFor(next.id, topURL); // a frame here has the top page's origin
    if (!cred) return;
    const r = await fillFrame(tabId, sender.frameId, sender.documentId, sender.url, topOrigin, cred);
    if (r.filled && r.filled.password) await state.setPendingFill(tabId, undefined);
    return;
  }
  const cred = await autoCredentialFor(topURL, { unique: true });
  if (!cred || cred.match.insecure) {
    const n = (await core.match({ url: topURL, allowHTTP: true })).length;
    if (n === 1) await hint(tabId, n, t("meshpass did not fill this page automatically. Open meshpass to fill."));
    else if (n) await hint(tabId, n, t("$1 meshpass logins match this page. Open meshpass to choose one.", n));
    return;
  }
  const r = await fillFrame(tabId, sender.frameId, sender.documentId, sender.url, topOrigin, cred, {
    mayAsk: false,
    code: () => codeFor(cred.id),
  });
  if (r.declined === "action")
    await hint(tabId, 1, t("meshpass did not fill this page automatically: its form posts to another site. Open meshpass to fill."));
  else if (r.declined) await hint(tabId, 1, t("meshpass did not fill this page automatically: it is not secure. Open meshpass to fill."));
}

/**
 * hint marks the tab's toolbar button when fill on page load declined: the
 * number of logins for the page, and why in the button's title (a whole
 * sentence).
 */
async function hint(tabId, n, title) {
  try {
    await chrome.action.setBadgeText({ tabId, text: String(n) });
    await chrome.action.setTitle({ tabId, title });
  } catch {
    // the tab is gone
  }
}
