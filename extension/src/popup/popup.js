// The popup's entry point: which view to show (start), and how every view
// talks to the service worker (bg, busy, describe). The popup only talks
// to the worker, which runs the core; it holds a password only while
// showing or copying it. The views are in views/, one module each; the
// DOM helpers in dom.js.
//
// Views import start and bg from here and each other where one leads to
// another; the cycles are only between functions called later, never at
// load time.

import { CODES } from "../background/core-api.js";
import { lang, t } from "../i18n.js";
import { header, notice, show } from "./dom.js";
import { connectingView } from "./views/connect.js";
import { escrowPage } from "./views/escrow.js";
import { lockedView } from "./views/locked.js";
import { mainView } from "./views/main.js";
import { setupView } from "./views/setup.js";
import { transferPage } from "./views/transfer.js";

const params = new URLSearchParams(location.search);
// ?tab=N targets a tab other than the active one (the end-to-end tests open
// the popup as a page of its own).
const pinnedTab = params.has("tab") ? Number(params.get("tab")) : null;

/** page names a view shown in a tab of its own (?page=escrow, ?page=recover, ?page=transfer). */
const page = params.get("page");

/** inPopup is true in the real popup, false in a tab (the escrow page, the tests' popup page). */
export const inPopup = pinnedTab === null && page === null;

/** bg calls the service worker; it rejects with the core's coded error. */
export async function bg(cmd, arg) {
  const r = await chrome.runtime.sendMessage({ cmd, arg });
  if (!r) throw Object.assign(new Error(t("The extension's worker did not answer.")), { code: CODES.INTERNAL });
  if (r.error) throw Object.assign(new Error(r.error.message), r.error);
  return r.ok;
}

/** refusal is an error for what the person typed, shown as it is. */
export function refusal(message) {
  return Object.assign(new Error(message), { code: CODES.BAD_REQUEST });
}

// The Go errors' package prefixes ("client: ", "shamir: "…) say where in
// the code an error arose, which means nothing to the person.
const PACKAGES =
  "importer|exporter|bwcrypt|client|policy|passgen|shamir|seal|jws|jwe|profile|keys|udf|mmm|match|translog|bridge|chromestore";
const PREFIXES = new RegExp(`(^|: )(?:(?:${PACKAGES}): )+`, "g");

/** plain is an error message without the Go package prefixes. */
export function plain(message) {
  return String(message || "").replace(PREFIXES, "$1");
}

function sentence(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** describe turns an error into what the person reads. */
export function describe(e) {
  if (e.code === CODES.UPGRADE_REQUIRED) return t("This vault was upgraded by a newer meshpass: update meshpass to use it.");
  if (e.code === CODES.PENDING) return t("Saved on this device; published at the next sync (the portal cannot be reached now).");
  if (e.code === CODES.TRANSPORT) return t("The portal cannot be reached ($1).", plain(e.message));
  if (e.code === CODES.VERIFICATION_FAILED) return t("Verification failed — the portal's data was refused: $1", plain(e.message));
  if (e.code === CODES.WRONG_PASSPHRASE) return t("Wrong passphrase.");
  return sentence(plain(e.message));
}

/**
 * kept runs a write of the core (add, edit, remove) and resolves with
 * whether it is pending: saved on this device while the portal is
 * unreachable, published by the next sync. That is no failure.
 */
export async function kept(write) {
  try {
    await write;
    return false;
  } catch (e) {
    if (e.code === CODES.PENDING) return true;
    throw e;
  }
}

/** busy runs work with button disabled and reports failure in line. */
export async function busy(button, line, work) {
  button.disabled = true;
  line.set("", "");
  try {
    return await work();
  } catch (e) {
    line.set("bad", describe(e));
    return undefined;
  } finally {
    button.disabled = false;
  }
}

/** targetTab is the tab the popup is about: the active one, or ?tab=N. */
export async function targetTab() {
  if (pinnedTab !== null) return pinnedTab >= 0 ? chrome.tabs.get(pinnedTab).catch(() => null) : null;
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  return tab || null;
}

// early is this site's logins asked of the worker together with the
// status, for the Passwords page the status most often leads to: one
// round trip less before its first paint.
let early = null;

// askSiteMatches asks the worker for the logins that may fill tab.
function askSiteMatches(tab) {
  return tab && /^https?:/.test(tab.url || "") ? bg("match", { url: tab.url, allowHTTP: true }) : Promise.resolve([]);
}

/**
 * siteMatches resolves with the tab the popup is about and the logins
 * that may fill it (none for a page that is not http or https): those
 * asked at start the first time after it, if that did not fail, or asked
 * now.
 */
export async function siteMatches() {
  const asked = early;
  early = null;
  if (asked) {
    const got = await asked.catch(() => null);
    if (got) return got;
  }
  const tab = await targetTab();
  return { tab, matches: await askSiteMatches(tab) };
}

/** start shows the view for the device's state: set up, connecting, locked or the vault. */
export async function start() {
  let status;
  if (page === null) {
    early = targetTab().then(async (tab) => ({ tab, matches: await askSiteMatches(tab) }));
    early.catch(() => {}); // locked or not set up: passwordsPage asks again
  }
  try {
    status = await bg("status");
    performance.mark("meshpass:status");
  } catch (e) {
    show(header(), notice("bad", describe(e)));
    return undefined;
  }
  if (!status.device) return setupView(page === "recover" ? "recover" : "create");
  if (status.connecting) return connectingView(status);
  if (!status.unlocked) return lockedView(status);
  if (page === "escrow" && status.administrator) return escrowPage(status);
  if (page === "transfer") return transferPage(status);
  return mainView(status);
}

// Enter in a field submits its form: the view's primary button nearest to
// the field (views whose field handles Enter itself prevent the default).
document.addEventListener("keydown", (e) => {
  if (e.key !== "Enter" || e.isComposing || e.defaultPrevented) return;
  const t = e.target;
  if (!(t instanceof HTMLInputElement) || ["checkbox", "radio", "search", "button", "submit"].includes(t.type)) return;
  for (let n = t.parentElement; n && n.id !== "app"; n = n.parentElement) {
    const b = n.querySelector("button.primary:not(:disabled)");
    if (b) {
      e.preventDefault();
      b.click();
      return;
    }
  }
  const b = document.querySelector("#app button.primary:not(:disabled)");
  if (b) {
    e.preventDefault();
    b.click();
  }
});

performance.mark("meshpass:popup-start"); // make bench: the popup's script runs
document.documentElement.lang = lang();
start();
