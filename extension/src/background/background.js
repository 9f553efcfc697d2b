// The extension's service worker: it runs the Go core and is the only
// place that holds the vault. The popup (an extension page) may call the
// core; a page's content script may only report login fields, a submitted
// login and its answer to a save offer, and is given one credential when
// it fills. Every listener is registered at the top level, so the browser
// can stop the worker at any time and wake it for the next event; the
// unlocked keys come back from chrome.storage.session (the core resumes
// its session when it loads), so a restart costs the person nothing.

import { call, CoreError } from "./core.js";
import { fillBest, fillTab, onFields } from "./fill.js";
import * as save from "./save.js";
import * as state from "./state.js";

const EXTENSION_ORIGIN = new URL(chrome.runtime.getURL("")).origin;

// The core functions the popup may call (wasm/README.md).
const CORE = new Set([
  "status", "validate", "create", "unlock", "lock", "sync", "list", "add", "edit", "remove", "match",
  "startConnect", "pollConnect", "pending", "approve", "reject", "devices", "removeDevice", "fingerprint",
  "forget", "escrow", "recover",
]);

/** lockIfIdle locks the keys when the lock timeout has passed unused. */
async function lockIfIdle() {
  const [s, last] = await Promise.all([state.settings(), state.lastActivity()]);
  if (Date.now() - last <= s.lockMinutes * 60_000) return;
  const status = await call("status");
  if (status.unlocked) await call("lock");
}

// fromExtension serves the popup (or the options tab).
async function fromExtension(msg) {
  const arg = msg.arg || {};
  await lockIfIdle();
  await state.touch();
  switch (msg.cmd) {
    case "settings":
      return state.settings();
    case "setSettings":
      return state.setSettings(arg);
    case "fillTab":
      return fillTab(Number(arg.tabId), String(arg.id));
    case "secret": {
      const entry = (await call("list", { passwords: true })).find((e) => e.id === arg.id);
      if (!entry) throw new CoreError({ code: "not_found", message: "no such entry" });
      return entry;
    }
    case "offers":
      return save.offers();
    case "answerOffer":
      return save.answer(Number(arg.tabId), Boolean(arg.save));
    case "copied":
      // Clear the clipboard in 30 s (the shortest alarm Chrome allows).
      await chrome.alarms.create("clear-clipboard", { delayInMinutes: 0.5 });
      return {};
    default:
      if (!CORE.has(msg.cmd)) throw new CoreError({ code: "bad_request", message: `unknown command ${msg.cmd}` });
      return call(msg.cmd, arg);
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
    case "meshpass:saveAnswer":
      await lockIfIdle();
      return save.answer(sender.tab.id, msg.save === true, new URL(sender.url).host);
    default:
      return null;
  }
}

function isExtensionPage(sender) {
  return sender.id === chrome.runtime.id && sender.origin === EXTENSION_ORIGIN;
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
  work.then(
    (result) => sendResponse({ ok: result ?? null }),
    (e) => sendResponse({ error: e instanceof CoreError ? e.toJSON() : { code: "bad_request", message: String(e.message || e) } }),
  );
  return true; // the answer comes later
});

chrome.commands.onCommand.addListener((command, tab) => {
  if (command === "fill-login" && tab) fillBest(tab.id).catch(() => {});
});

chrome.contextMenus.onClicked.addListener((info, tab) => {
  if (info.menuItemId === "meshpass-fill" && tab) fillBest(tab.id).catch(() => {});
});

chrome.webNavigation.onCompleted.addListener((details) => {
  save.onNavigated(details).catch(() => {});
});

chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === "autolock") lockIfIdle().catch(() => {});
  if (alarm.name === "clear-clipboard") clearClipboard().catch(() => {});
});

chrome.runtime.onInstalled.addListener(() => {
  chrome.contextMenus.create({
    id: "meshpass-fill",
    title: "Fill meshpass login",
    contexts: ["editable"],
    documentUrlPatterns: ["http://*/*", "https://*/*"],
  });
});

chrome.alarms.get("autolock").then((a) => {
  if (!a) chrome.alarms.create("autolock", { periodInMinutes: 1 });
});

// The service worker has no clipboard; an offscreen document clears it.
async function clearClipboard() {
  const url = chrome.runtime.getURL("offscreen.html");
  const existing = await chrome.runtime.getContexts({ contextTypes: ["OFFSCREEN_DOCUMENT"], documentUrls: [url] });
  if (existing.length === 0) {
    await chrome.offscreen.createDocument({ url, reasons: ["CLIPBOARD"], justification: "Clear a copied password" });
  }
  await chrome.runtime.sendMessage({ target: "offscreen", type: "clear-clipboard" });
  await chrome.offscreen.closeDocument();
}

// Exposed for the end-to-end tests, which drive fills through the worker.
globalThis.meshpassExtension = { fillTab, fillBest, lockIfIdle, call };
