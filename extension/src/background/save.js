// Saving logins the person typed: a page's content script reports a
// submitted login; if the vault lacks it (or has another password for that
// username on exactly that host) the extension offers to save or update
// it, in the browser's own UI: the toolbar button's badge ("+") and title
// say so, and the popup holds the offer with its Save and Not now. Nothing
// is saved without the person's click. The core decides (page: is the
// page insecure; typedLogin: saved, update, addSite, new, or otherSite),
// so no saved password comes into JavaScript here.
//
// Nothing is ever shown on the page, whatever the core decided: a page
// sees the same DOM whether the login it captured is new, saved already,
// saved for a sibling host, or another site's (and cannot learn which
// from a banner's presence). A password the vault holds only for another
// registrable domain, typed here, is not offered: the badge ("!") and the
// popup warn, naming the site the password belongs to (a look-alike may
// be phishing for it).

import * as core from "./core-api.js";
import { CODES } from "./core-api.js";
import { originOf } from "./fill.js";
import { t } from "../i18n.js";
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
    const typed = await core.typedLogin({ url: offer.url, username, password });
    if (typed.state === "saved") {
      await state.setPendingSave(tabId, undefined);
      return;
    }
    if (typed.state === "otherSite") {
      // Kept without the password: shown again on the next page of this
      // origin (a login form usually loads one) and in the popup.
      const warning = { url: sender.url, origin, host: typed.host, username, otherSite: typed.site, until: offer.until };
      await state.setPendingSave(tabId, warning);
      await warn(tabId, warning);
      return;
    }
    offer.update = typed.state === "update";
  }
  await state.setPendingSave(tabId, offer);
  if (status.unlocked) await show(tabId, offer);
}

/**
 * warn shows the warning that the password typed is another site's — in
 * the browser's own UI only (the badge, its title, and the popup), never
 * on the page: the page must not learn that the password it captured is
 * saved for another site, nor which one.
 */
async function warn(tabId, w) {
  try {
    await chrome.action.setBadgeText({ tabId, text: "!" });
    await chrome.action.setTitle({ tabId, title: t("meshpass: you typed your password for $1 on $2", w.otherSite, w.host) });
  } catch {
    // the tab is gone
  }
}

/**
 * show marks the tab's toolbar button with the offer (the browser resets
 * a tab's badge when it navigates). The page is told nothing.
 */
async function show(tabId, offer) {
  if (offer.otherSite) return warn(tabId, offer);
  const title = offer.update
    ? t("meshpass: update the password for $1 on $2? Open meshpass to answer.", offer.username, offer.host)
    : t("meshpass: save the login for $1 on $2? Open meshpass to answer.", offer.username, offer.host);
  try {
    await chrome.action.setBadgeText({ tabId, text: "+" });
    await chrome.action.setTitle({ tabId, title });
  } catch {
    // the tab is gone
  }
}

/**
 * onNavigated marks the toolbar button again on the page a login led to,
 * if that page is of the same origin (a login usually loads a new page,
 * and the browser clears the badge).
 */
export async function onNavigated(details) {
  if (details.frameId !== 0) return;
  const offer = await state.pendingSave(details.tabId);
  if (!offer || originOf(details.url) !== offer.origin) return;
  const status = await core.status();
  if (!status.unlocked) return;
  await show(details.tabId, offer);
}

/**
 * kept runs a write of the core and resolves with whether it is pending:
 * saved on this device while the portal is unreachable (the core's
 * "pending" refusal), which the next sync publishes. That is a save, not
 * a failure.
 */
async function kept(write) {
  try {
    await write;
    return false;
  } catch (e) {
    if (e.code === CODES.PENDING) return true;
    throw e;
  }
}

/**
 * answer saves (save true) or drops the login on offer in tabId: the
 * person's click in the popup (a page cannot answer). A save kept on this
 * device until the next sync resolves with pending true as well. The
 * toolbar button's mark goes.
 */
export async function answer(tabId, save) {
  const offer = await state.pendingSave(tabId);
  if (!offer) return { saved: false };
  await state.setPendingSave(tabId, undefined);
  try {
    await chrome.action.setBadgeText({ tabId, text: "" });
    await chrome.action.setTitle({ tabId, title: "meshpass" });
  } catch {
    // the tab is gone (or no toolbar button here)
  }
  if (offer.otherSite) return { saved: false, otherSite: offer.otherSite };
  if (!save) return { saved: false };
  // Ask again: the vault may have changed since the offer was made (or
  // the offer was made while locked, before the core could judge it).
  const { username, password } = offer;
  const typed = await core.typedLogin({ url: offer.url, username, password });
  const saved = (updated, pending) => (pending ? { saved: true, updated, pending } : { saved: true, updated });
  switch (typed.state) {
    case "saved":
      return saved(false, false);
    case "otherSite":
      return { saved: false, otherSite: typed.site };
    case "update":
      return saved(true, await kept(core.edit({ id: typed.id, password })));
    case "addSite": {
      const entry = (await core.list()).find((e) => e.id === typed.id);
      if (entry) return saved(true, await kept(core.edit({ id: typed.id, sites: [...entry.sites, typed.host] })));
      break;
    }
  }
  return saved(false, await kept(core.add({ sites: [typed.host], username, password })));
}

/**
 * offers lists the logins on offer, without their passwords. Offers made
 * while locked are judged now: one already saved is dropped, and a
 * password of another site comes with otherSite (the site) instead of an
 * offer.
 */
export async function offers() {
  const out = [];
  for (const o of await state.pendingSaves()) {
    if (o.otherSite) {
      out.push({ tabId: o.tabId, host: o.host, username: o.username, update: false, otherSite: o.otherSite });
      continue;
    }
    const typed = await core
      .typedLogin({ url: o.url, username: o.username, password: o.password })
      .catch(() => ({ state: o.update ? "update" : "new" })); // locked: judged when answered
    if (typed.state === "saved") {
      await state.setPendingSave(o.tabId, undefined);
      continue;
    }
    const item = { tabId: o.tabId, host: o.host, username: o.username, update: typed.state === "update" };
    if (typed.state === "otherSite") item.otherSite = typed.site;
    out.push(item);
  }
  return out;
}
