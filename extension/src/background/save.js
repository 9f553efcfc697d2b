// Saving logins the person typed: a page's content script reports a
// submitted login; if the vault lacks it (or has another password for that
// username on exactly that host) the extension offers, on the page and in
// the popup, to save or update it. Nothing is saved without the person's
// click. The core decides (page: is the page insecure; savedLogin: saved,
// update or new), so no saved password comes into JavaScript here.

import * as core from "./core-api.js";
import { originOf, send } from "./fill.js";
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
  if (!origin || (sender.frameId !== 0 && origin !== originOf(sender.tab.url))) return;
  const page = await core.page({ url: sender.url });
  if (!page.fillable || page.insecure) return;
  const tabId = sender.tab.id;
  const offer = { url: sender.url, origin, host: page.host, username, password, update: false, until: Date.now() + OFFER_MS };
  const status = await core.status();
  if (status.unlocked) {
    const saved = await core.savedLogin({ url: offer.url, username, password });
    if (saved.state === "saved") {
      await state.setPendingSave(tabId, undefined);
      return;
    }
    offer.update = saved.state === "update";
  }
  await state.setPendingSave(tabId, offer);
  if (status.unlocked) await show(tabId, sender.frameId, sender.documentId, offer);
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
  const status = await core.status();
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
  // Ask again: the vault may have changed since the offer was made.
  const { username, password } = offer;
  const saved = await core.savedLogin({ url: offer.url, username, password });
  if (saved.state === "saved") return { saved: true, updated: false };
  if (saved.state === "update") await core.edit({ id: saved.id, password });
  else await core.add({ sites: [saved.host], username, password });
  return { saved: true, updated: saved.state === "update" };
}

/** offers lists the logins on offer, without their passwords. */
export async function offers() {
  return (await state.pendingSaves()).map(({ tabId, host, username, update }) => ({ tabId, host, username, update }));
}
