// Saving logins the person typed: a page's content script reports a
// submitted login; if the vault lacks it (or has another password for that
// username) the extension offers, on the page and in the popup, to save or
// update it. Nothing is saved without the person's click.

import { call } from "./core.js";
import { hostOf, originOf, send } from "./fill.js";
import * as state from "./state.js";

/** OFFER_MS is how long a submitted login stays on offer. */
const OFFER_MS = 5 * 60_000;

/** onSubmitted records the login sender's page submitted and offers it. */
export async function onSubmitted(sender, msg) {
  const { username, password } = msg;
  if (typeof username !== "string" || typeof password !== "string" || password === "") return;
  if (username.length > 1024 || password.length > 4096) return;
  const origin = originOf(sender.url);
  // Only the top page, or a frame of its own origin, may offer a login;
  // and never a page whose form crosses the network in clear.
  if (!origin || (sender.frameId !== 0 && origin !== originOf(sender.tab.url)) || insecure(sender.url)) return;
  const tabId = sender.tab.id;
  const offer = { url: sender.url, origin, host: hostOf(sender.url), username, password, update: false, until: Date.now() + OFFER_MS };
  const status = await call("status");
  if (status.unlocked) {
    const known = await existing(offer);
    if (known && known.password === password) {
      await state.setPendingSave(tabId, undefined);
      return;
    }
    offer.update = Boolean(known);
  }
  await state.setPendingSave(tabId, offer);
  if (status.unlocked) await show(tabId, sender.frameId, sender.documentId, offer);
}

// insecure reports a plain http page that is not on this machine.
function insecure(url) {
  const u = new URL(url);
  if (u.protocol !== "http:") return false;
  const h = u.hostname;
  return !(h === "localhost" || h.endsWith(".localhost") || /^127\./.test(h) || h === "[::1]");
}

// existing looks at the entries that fill offer's page with offer's
// username. If one of them already has offer's password it returns it
// (nothing to offer). Otherwise it returns the one for exactly offer's
// host, with its password, to update — never one matched only through the
// registrable domain: a login typed on one subdomain must not overwrite the
// entry of another — or null (save a new entry).
async function existing(offer) {
  const candidates = await call("match", { url: offer.url, allowHTTP: true });
  let exact = null;
  for (const c of candidates.filter((c) => c.username === offer.username)) {
    const { password } = await call("fill", { id: c.id, url: offer.url, allowHTTP: true });
    if (password === offer.password) return { id: c.id, password };
    if (!exact && c.match.kind === "exact") exact = { id: c.id, password };
  }
  return exact;
}

async function show(tabId, frameId, documentId, offer) {
  await send(tabId, frameId, documentId, {
    type: "meshpass:offerSave",
    host: offer.host,
    username: offer.username,
    update: offer.update,
  });
}

/**
 * onNavigated shows a tab's offer again on the page its login led to, if
 * that page is of the same origin (a login usually loads a new page).
 */
export async function onNavigated(details) {
  if (details.frameId !== 0) return;
  const offer = await state.pendingSave(details.tabId);
  if (!offer || originOf(details.url) !== offer.origin) return;
  const status = await call("status");
  if (!status.unlocked) return;
  await show(details.tabId, 0, details.documentId, offer);
}

/**
 * answer saves (save true) or drops the login on offer in tabId. origin,
 * if given, must be the offer's (a page may answer only its own offer).
 */
export async function answer(tabId, save, origin) {
  const offer = await state.pendingSave(tabId);
  if (!offer || (origin !== undefined && origin !== offer.origin)) return { saved: false };
  await state.setPendingSave(tabId, undefined);
  if (!save) return { saved: false };
  // Look again: the vault may have changed since the offer was made.
  const known = await existing(offer);
  if (known && known.password === offer.password) return { saved: true, updated: false };
  if (known) await call("edit", { id: known.id, password: offer.password });
  else await call("add", { sites: [offer.host], username: offer.username, password: offer.password });
  return { saved: true, updated: Boolean(known) };
}

/** offers lists the logins on offer, without their passwords. */
export async function offers() {
  return (await state.pendingSaves()).map(({ tabId, host, username, update }) => ({ tabId, host, username, update }));
}
