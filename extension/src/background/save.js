// Saving logins the person typed: a page's content script reports a
// submitted login; if the vault lacks it (or has another password for that
// username) the extension offers, on the page and in the popup, to save or
// update it. Nothing is saved without the person's click.

import { call } from "./core.js";
import { hostOf, send } from "./fill.js";
import * as state from "./state.js";

/** OFFER_MS is how long a submitted login stays on offer. */
const OFFER_MS = 5 * 60_000;

/** onSubmitted records the login sender's page submitted and offers it. */
export async function onSubmitted(sender, msg) {
  const { username, password } = msg;
  if (typeof username !== "string" || typeof password !== "string" || password === "") return;
  if (username.length > 1024 || password.length > 4096) return;
  const tabId = sender.tab.id;
  const offer = { url: sender.url, host: hostOf(sender.url), username, password, update: false, until: Date.now() + OFFER_MS };
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

// existing finds the entry of offer's site and username, with its
// password, or null.
async function existing(offer) {
  const candidates = await call("match", { url: offer.url, allowHTTP: true });
  const same = candidates.find((c) => c.username === offer.username);
  if (!same) return null;
  const cred = await call("fill", { id: same.id, url: offer.url, allowHTTP: true });
  return { id: same.id, password: cred.password };
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
 * that page is on the same host (a login usually loads a new page).
 */
export async function onNavigated(details) {
  if (details.frameId !== 0) return;
  const offer = await state.pendingSave(details.tabId);
  if (!offer || hostOf(details.url) !== offer.host) return;
  const status = await call("status");
  if (!status.unlocked) return;
  await show(details.tabId, 0, details.documentId, offer);
}

/**
 * answer saves (save true) or drops the login on offer in tabId. host, if
 * given, must be the offer's (a page may answer only its own offer).
 */
export async function answer(tabId, save, host) {
  const offer = await state.pendingSave(tabId);
  if (!offer || (host !== undefined && host !== offer.host)) return { saved: false };
  await state.setPendingSave(tabId, undefined);
  if (!save) return { saved: false };
  // Look again: the vault may have changed since the offer was made.
  const known = await existing(offer);
  if (known) await call("edit", { id: known.id, password: offer.password });
  else await call("add", { sites: [offer.host], username: offer.username, password: offer.password });
  return { saved: true, updated: Boolean(known) };
}

/** offers lists the logins on offer, without their passwords. */
export async function offers() {
  return (await state.pendingSaves()).map(({ tabId, host, username, update }) => ({ tabId, host, username, update }));
}
