// The extension's service worker: it runs the Go core and is the only
// place that holds the vault. The popup (an extension page) may call the
// core; a page's content script may only report login fields, a submitted
// login and its answer to a save offer, and is given one credential when
// it fills. Every listener is registered at the top level, so the browser
// can stop the worker at any time and wake it for the next event; the
// unlocked keys come back from chrome.storage.session (the core resumes
// its session when it loads), so a restart costs the person nothing. What
// a listener starts runs under whileBusy (keepalive.js): the browser does
// not stop the worker (Firefox: the event page) while an answer is still
// being worked out, such as a fill waiting for the person's click.

import { CoreError, startCore } from "./core.js";
import * as core from "./core-api.js";
import { t } from "../i18n.js";
import { fillBest, fillTab, onFields } from "./fill.js";
import { whileBusy } from "./keepalive.js";
import * as save from "./save.js";
import * as state from "./state.js";

const { CODES, POPUP_FUNCTIONS } = core;

const EXTENSION_ORIGIN = new URL(chrome.runtime.getURL("")).origin;

/** lock locks the keys and forgets what waits to be filled or saved. */
async function lock() {
  await core.lock();
  await state.forgetPending();
  await state.locked();
}

/**
 * lockIfIdle locks the keys when the lock timeout has passed unused. It
 * reads only storage unless there is something to lock, so that an event
 * that wakes the worker does not load the core for nothing.
 */
async function lockIfIdle() {
  const [s, last] = await Promise.all([state.settings(), state.lastActivity()]);
  if (!last || Date.now() - last <= s.lockMinutes * 60_000) return;
  await lock();
}

/**
 * fillByShortcut fills the best automatic match (exact host or wildcard)
 * into tab for the keyboard shortcut and the context menu. When nothing
 * fills automatically it opens the popup (where the person chooses, or
 * sees there is nothing), whether or not a login of another host of the
 * site exists: the page must not tell the two apart (opening the popup
 * takes its focus). Where the browser cannot open the popup, the badge
 * says the same in both cases.
 */
async function fillByShortcut(tab) {
  startCore(); // loads beside the lock timeout's check
  await lockIfIdle();
  try {
    const r = await fillBest(tab.id);
    if (!r || r.choose) {
      await chrome.action.openPopup().catch(() => flash(tab.id, "?", t("meshpass: choose a login for this site in meshpass")));
    } else await state.touch();
  } catch (e) {
    if (e.code === CODES.LOCKED) {
      await chrome.action.openPopup().catch(() => flash(tab.id, "🔒", t("meshpass is locked")));
    } else {
      await flash(tab.id, "!", `meshpass: ${e.message}`);
    }
  }
}

async function flash(tabId, text, title) {
  await chrome.action.setBadgeText({ tabId, text });
  await chrome.action.setTitle({ tabId, title });
  setTimeout(() => {
    chrome.action.setBadgeText({ tabId, text: "" }).catch(() => {});
    chrome.action.setTitle({ tabId, title: "meshpass" }).catch(() => {});
  }, 4000);
}

// fromExtension serves the popup (or the options tab): the commands of the
// extension itself, and the core functions the contract lets the popup
// call (POPUP_FUNCTIONS, from wasm/api).
// The use is recorded (state.touch) while the command runs, not before
// (but before a lock): the answer does not wait for storage writes that
// can run beside it.
async function fromExtension(msg) {
  // The core loads while the lock timeout is checked, for the commands
  // that call it (a fill, the popup's core functions, lock).
  if (msg.cmd === "fillTab" || msg.cmd === "lock" || POPUP_FUNCTIONS.has(msg.cmd)) startCore();
  await lockIfIdle();
  const touched = state.touch();
  if (msg.cmd === "lock") await touched; // lock then forgets the use
  try {
    return await command(msg);
  } finally {
    await touched;
  }
}

async function command(msg) {
  const arg = msg.arg || {};
  switch (msg.cmd) {
    case "settings":
      return state.settings();
    case "setSettings":
      try {
        const s = await state.setSettings(arg);
        await state.touch(); // the lock timeout may have changed
        return s;
      } catch (e) {
        throw new CoreError({ code: CODES.BAD_REQUEST, message: e.message });
      }
    case "fillTab":
      // The page the popup listed the entry for: the fill is refused if
      // the tab shows another origin now.
      if (typeof arg.url !== "string" || !arg.url)
        throw new CoreError({ code: CODES.BAD_REQUEST, message: "fillTab needs url: the page the logins were listed for" });
      return fillTab(Number(arg.tabId), String(arg.id), arg.url);
    case "offers":
      return save.offers();
    case "answerOffer":
      return save.answer(Number(arg.tabId), Boolean(arg.save));
    case "lock":
      await lock();
      return {};
    case "copied":
      // Clear the clipboard in 30 s (the shortest alarm Chrome allows).
      await chrome.alarms.create("clear-clipboard", { delayInMinutes: 0.5 });
      return {};
    default:
      if (!POPUP_FUNCTIONS.has(msg.cmd)) throw new CoreError({ code: CODES.BAD_REQUEST, message: `unknown command ${msg.cmd}` });
      return core[msg.cmd](arg);
  }
}

// fromPage serves a content script; sender says which tab, frame and
// origin (the browser fills it in; the page cannot forge it).
async function fromPage(msg, sender) {
  switch (msg.type) {
    case "meshpass:fields":
      await lockIfIdle();
      return onFields(sender);
    case "meshpass:submitted":
      await lockIfIdle();
      return save.onSubmitted(sender, msg);
    default:
      return null;
  }
}

function isExtensionPage(sender) {
  // Firefox gives no sender.origin; an extension page's URL has ours.
  let origin = sender.origin;
  if (origin === undefined && sender.url && !sender.tab) {
    try {
      origin = new URL(sender.url).origin;
    } catch {
      origin = "";
    }
  }
  return sender.id === chrome.runtime.id && origin === EXTENSION_ORIGIN;
}

function isContentScript(sender) {
  if (sender.id !== chrome.runtime.id || !sender.tab || typeof sender.frameId !== "number" || !sender.url) return false;
  try {
    const u = new URL(sender.url);
    return (u.protocol === "https:" || u.protocol === "http:") && (!sender.origin || sender.origin === u.origin);
  } catch {
    return false;
  }
}

chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (!msg || typeof msg !== "object") return false;
  let work;
  if (msg.target === "offscreen") return false; // for the offscreen document
  if (isExtensionPage(sender) && typeof msg.cmd === "string") work = fromExtension(msg);
  else if (isContentScript(sender) && typeof msg.type === "string") work = fromPage(msg, sender);
  else return false;
  whileBusy(work).then(
    (result) => sendResponse({ ok: result ?? null }),
    (e) => sendResponse({ error: e instanceof CoreError ? e.toJSON() : { code: CODES.INTERNAL, message: String(e.message || e) } }),
  );
  return true; // the answer comes later
});

chrome.commands.onCommand.addListener((command, tab) => {
  if (command === "fill-login" && tab) whileBusy(fillByShortcut(tab)).catch(() => {});
});

chrome.contextMenus.onClicked.addListener((info, tab) => {
  if (info.menuItemId === "meshpass-fill" && tab) whileBusy(fillByShortcut(tab)).catch(() => {});
});

chrome.webNavigation.onCompleted.addListener((details) => {
  whileBusy(lockIfIdle().then(() => save.onNavigated(details))).catch(() => {});
});

chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === "autolock") whileBusy(lockIfIdle()).catch(() => {});
  if (alarm.name === "clear-clipboard") whileBusy(clearClipboard()).catch(() => {});
});

chrome.runtime.onInstalled.addListener(() => {
  chrome.contextMenus.create({
    id: "meshpass-fill",
    title: t("Fill meshpass login"),
    contexts: ["editable"],
    documentUrlPatterns: ["http://*/*", "https://*/*"],
  });
});

// The service worker has no clipboard; an offscreen document clears it.
// Firefox has no offscreen documents, but its background page (an event
// page with a DOM) may write the clipboard itself (clipboardWrite).
async function clearClipboard() {
  if (!chrome.offscreen) {
    await navigator.clipboard.writeText("");
    return;
  }
  const url = chrome.runtime.getURL("offscreen.html");
  const existing = await chrome.runtime.getContexts({ contextTypes: ["OFFSCREEN_DOCUMENT"], documentUrls: [url] });
  if (existing.length === 0) {
    await chrome.offscreen.createDocument({ url, reasons: ["CLIPBOARD"], justification: "Clear a copied password" });
  }
  await chrome.runtime.sendMessage({ target: "offscreen", type: "clear-clipboard" });
  await chrome.offscreen.closeDocument();
}

// For the end-to-end tests: what the keyboard shortcut and the context menu
// run (Playwright cannot press browser shortcuts). Only the extension's own
// pages and DevTools can reach the worker's globals.
globalThis.meshpassExtension = { fillByShortcut: (tabId) => chrome.tabs.get(tabId).then(fillByShortcut) };
