// meshpass content script (Manifest V3), bundled as an IIFE and loaded in
// every http/https frame (all_frames, run_at document_idle).
//
// MESSAGE CONTRACT
//
// Background -> content: chrome.tabs.sendMessage(tabId, msg, {frameId});
// the content script answers with sendResponse.
//
//   {type:"meshpass:probe"}
//     -> {origin: self.origin, top: window === window.top,
//         username: bool, password: bool, otp?: true, action: string}
//        whether visible, fillable login fields exist in this frame now;
//        otp: a one-time-code field (fields.js isOneTimeCodeField) and no
//        login field (the code step of a login);
//        action is the origin the login form posts to when that is not
//        this document's ("" otherwise: no form, same origin, a script).
//        origin is the document's real security origin (self.origin), not
//        location.origin: in a sandboxed frame (iframe sandbox without
//        allow-same-origin, or a CSP sandbox) it is "null" although the URL
//        has an origin. The background compares it with the frame URL's
//        origin and does not fill when they differ.
//
//   {type:"meshpass:ask", host, insecure: bool, action: string}
//     Shows the banner "This page is not secure (http). Fill your meshpass
//     login for <host> anyway?" (insecure), or "This form sends your login
//     to <action's host>, not to <host>. Fill it anyway?" (action: the
//     origin the form posts to), or both, [Fill] [Cancel], and waits.
//     Without insecure and action (an old background) it asks as insecure.
//     -> {ok: true}   after a trusted click on Fill (banner visible and
//                     unobstructed for 500 ms before the click)
//      | {ok: false}  Cancel, timeout (120 s), banner removed or replaced,
//                     or an opaque-origin (sandboxed) document.
//     Nothing is filled; after {ok: true} the background sends meshpass:fill
//     (askFirst false). This is how the password is kept from reaching a
//     plain-http page before the user agreed.
//
//   {type:"meshpass:fill", username?, password?, host, origin, action}
//     Fills the login fields of this frame with what it is given: the
//     background sends the username only where the probe found a username
//     field, the password only where it found a password field.
//     -> {filled: {username: bool, password: bool}}
//        each true only if the field holds the value after the fill (a
//        page that resets it at once does not count as filled).
//      | {filled: null, reason: "no-fields" | "opaque-origin" |
//                             "action-changed" | "ask-first"}
//     "opaque-origin": this document's origin is opaque (self.origin is
//     "null", a sandboxed frame): nothing is ever filled there.
//     "action-changed": action (the origin the background checked, and
//     asked about, that the form posts to: "" for its own) is no longer
//     what the form's action says (the page rewrote it since the probe).
//     "ask-first": askFirst true, the old way of asking, is refused: the
//     credential must not wait in the page's process while a banner does
//     (the background asks with meshpass:ask, then fills).
//     The script keeps nothing of the credential after it answers: a
//     username-only step gets the username; the password of a login in two
//     steps (SPA or a new page) is the background's to send when this
//     document reports its password field (meshpass:fields), after the
//     same probe and checks as any fill.
//
//   {type:"meshpass:fill", code, askFirst: false, host, origin}
//     The code step: fills the one-time-code field with code (the entry's
//     current code; the script never sees the otpauth:// secret), only if
//     the frame has such a field and no password field.
//     -> {filled: {username: false, password: false, code: bool}}
//      | {filled: null, reason: "no-fields" | "opaque-origin"}
//
//   Save offers are never shown on the page (the background offers them in
//   the browser's own UI: the toolbar badge and the popup), so a page sees
//   the same DOM whether the login it captured is new, saved already, or
//   another site's.
//
// Content -> background: chrome.runtime.sendMessage(msg). Never sent from a
// document with an opaque origin (self.origin "null").
//
//   {type:"meshpass:fields", username: bool, password: bool, otp?: true}
//     Once at document_idle if login fields (or, otp, a one-time-code field
//     without login fields) exist, and again (checked at most
//     every ~300 ms after DOM mutations, including inside shadow roots) when
//     the set of visible login fields changes to a non-empty one. The
//     background may answer by sending meshpass:fill.
//
//   {type:"meshpass:submitted", username, password}
//     A login form was submitted with a non-empty password: form submit
//     event, click on a submit-like button, or Enter in a login field
//     (formless pages). Only real user submissions count:
//       - the password field that supplies the password got trusted user
//         input (a trusted input event: typing, pasting, browser autofill)
//         or our own fill, and still holds the value it had after that
//         input/fill (a page script that sets or changes the value voids it);
//       - the submitting action is trusted: a click (event.isTrusted) on a
//         submit-like button, a trusted Enter keydown in a login field, or a
//         submit event while navigator.userActivation.isActive that follows
//         a trusted click or Enter after the last input into the password
//         field (a requestSubmit() fired by the page while the user types
//         does not count).
//     username is the visible username field's value, else the one typed
//     (or filled) on an earlier step of the same document, else one the
//     page keeps in a hidden username field. Sent once per submission (the
//     same credentials are not sent again within 5 s). Nothing comes back.
//
// The script reads only the login fields, keeps no globals on window, writes
// nothing secret into the DOM, and decides what a banner click means from
// its own memory, never from the DOM (see banner.js).

import {
  collectRoots,
  findLoginFields,
  findOneTimeCodeField,
  fieldSummary,
  fillInput,
  formActionOrigin,
  readValue,
  credentialsIn,
  submitButtonIn,
} from "./fields.js";
import { t } from "../i18n.js";
import { showBanner } from "./banner.js";

/** Delay between a DOM mutation and the rescan of login fields. */
const SCAN_MS = 300;
/** Window in which identical submitted credentials count as one submission. */
const SUBMIT_DEDUP_MS = 5_000;

const MUTATION_OPTIONS = {
  childList: true,
  subtree: true,
  attributes: true,
  attributeFilter: ["style", "class", "hidden", "type", "disabled", "readonly", "aria-hidden", "inert", "open"],
};

/**
 * Send a message to the background, ignoring "no receiver" errors and an
 * invalidated extension context (extension reloaded).
 * @param {object} msg
 */
function send(msg) {
  try {
    const p = chrome.runtime.sendMessage(msg);
    if (p && typeof p.catch === "function") p.catch(() => {});
  } catch {
    // extension context gone
  }
}

/** 32-bit FNV-1a of a string, so dedup needs no plaintext copy. */
function fingerprint(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${s.length}:${h}`;
}

/** The host of an origin or URL, or "" if it has none. */
function hostOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return "";
  }
}

/**
 * Whether this document's security origin is opaque (sandboxed frame, CSP
 * sandbox): self.origin is "null" there even when location.origin is not.
 * @param {{origin?: string}} [g] the global to ask (tests)
 * @returns {boolean}
 */
function opaqueOrigin(g = self) {
  return typeof g.origin !== "string" || g.origin === "null";
}

/**
 * Start the content script in this frame.
 * @param {Document} doc
 */
function start(doc) {
  /** Username typed or filled on an earlier step of this document. */
  let rememberedUsername = "";
  /** Fingerprint of the last submission sent, and its expiry timer. */
  let lastSubmit = null;
  let lastSubmitTimer = 0;
  /**
   * Password fields the user typed into (or we filled), with a fingerprint
   * of the value right after that input and a sequence number ordering it
   * against trusted gestures: field -> {fp, seq}.
   */
  const userInput = new WeakMap();
  /** Sequence number of the last trusted click or Enter keydown. */
  let gestureSeq = 0;
  let seq = 0;
  /** Last fields state seen, as "username,password,otp". */
  let lastFields = "false,false,false";
  let scanTimer = 0;
  const watched = new WeakSet();
  /** Document and shadow roots; recollected only after childList mutations. */
  let roots = null;
  const observer = new MutationObserver((records) => {
    if (roots && records.some((r) => r.type === "childList")) roots = null;
    scheduleScan();
  });

  /** Observe a root (document or shadow root) for mutations and submits. */
  function watch(root) {
    if (watched.has(root)) return;
    watched.add(root);
    observer.observe(root, MUTATION_OPTIONS);
    // submit is not composed: a form in a shadow root only tells its root.
    root.addEventListener("submit", onSubmit, true);
    // input is composed, but from outside a closed shadow root its target is
    // retargeted to the host: listen on every root we know.
    root.addEventListener("input", onInput, true);
  }

  /** Remember that field holds a value the user (or our fill) put there. */
  function markInput(field) {
    userInput.set(field, { fp: fingerprint(readValue(field)), seq: ++seq });
  }

  function onInput(e) {
    if (!e.isTrusted) return;
    const t = e.composedPath()[0];
    if (t instanceof Element && t.localName === "input" && t.type === "password") markInput(t);
  }

  function scheduleScan() {
    if (!scanTimer) scanTimer = setTimeout(scan, SCAN_MS);
  }

  function scan() {
    clearTimeout(scanTimer);
    scanTimer = 0;
    if (!roots) {
      roots = collectRoots(doc);
      for (const r of roots) watch(r);
    }
    const fields = findLoginFields(doc, roots);
    const s = fieldSummary(fields);
    const otp = !s.username && !s.password && Boolean(findOneTimeCodeField(doc, roots));
    const key = `${s.username},${s.password},${otp}`;
    if (key === lastFields) return;
    lastFields = key;
    if ((s.username || s.password || otp) && !opaqueOrigin())
      send({ type: "meshpass:fields", username: s.username, password: s.password, ...(otp ? { otp } : {}) });
  }

  /**
   * A submission (or step submission) happened around el: report the
   * credentials, or remember the username of a username-only step.
   * @param {Element} el
   * @param {number} actionSeq sequence number of the trusted gesture that
   *   caused it: the password must have been entered before it.
   */
  function submission(el, actionSeq) {
    if (opaqueOrigin()) return;
    const c = credentialsIn(el);
    if (!c.hasPasswordField) {
      if (c.username) rememberedUsername = c.username;
      return;
    }
    if (!c.password || !c.passwordField) return;
    // The password must be what the user typed (or we filled), unchanged,
    // and the submitting gesture must come after that input.
    const input = userInput.get(c.passwordField);
    if (!input || input.fp !== fingerprint(c.password) || input.seq > actionSeq) return;
    const username = c.username || rememberedUsername || c.keptUsername;
    const fp = fingerprint(`${username}\n${c.password}`);
    if (fp === lastSubmit) return;
    lastSubmit = fp;
    clearTimeout(lastSubmitTimer);
    lastSubmitTimer = setTimeout(() => {
      lastSubmit = null;
    }, SUBMIT_DEDUP_MS);
    send({ type: "meshpass:submitted", username, password: c.password });
  }

  function onSubmit(e) {
    // requestSubmit() fires a trusted-looking submit event: require that the
    // page holds a user activation and credit it to the last trusted click
    // or Enter (which must follow the password input, see submission).
    const ua = navigator.userActivation;
    if (!ua || !ua.isActive || !gestureSeq) return;
    const form = e.composedPath()[0];
    if (form instanceof Element) submission(form, gestureSeq);
  }

  function onClick(e) {
    if (!e.isTrusted || e.button !== 0) return;
    gestureSeq = ++seq;
    const btn = submitButtonIn(e.composedPath());
    if (btn) submission(btn, gestureSeq);
  }

  function onKeydown(e) {
    if (!e.isTrusted || e.key !== "Enter" || e.isComposing) return;
    gestureSeq = ++seq;
    const t = e.composedPath()[0];
    if (t instanceof Element && t.localName === "input" && ["password", "text", "email", "tel"].includes(t.type)) {
      submission(t, gestureSeq);
    }
  }

  /**
   * Ask the user with the "not secure (http)" banner.
   * @param {string} host
   * @returns {Promise<boolean>} true after a trusted click on Fill
   */
  async function askUser(host, { insecure = true, action = "" } = {}) {
    const to = hostOf(action);
    let text = t("This page is not secure (http). Fill your meshpass login for $1 anyway?", host);
    if (to && insecure)
      text = t("This page is not secure (http), and its form sends your login to $1, not to $2. Fill it anyway?", to, host);
    else if (to) text = t("This form sends your login to $1, not to $2. Fill your meshpass login anyway?", to, host);
    const answer = await showBanner({
      text,
      buttons: [
        { action: "fill", label: t("Fill"), primary: true },
        { action: "cancel", label: t("Cancel") },
      ],
      warn: true,
    });
    return answer === "fill";
  }

  async function ask(msg) {
    if (opaqueOrigin()) return { ok: false };
    const action = typeof msg.action === "string" ? msg.action : "";
    const insecure = msg.insecure === undefined ? !action : msg.insecure === true;
    return { ok: await askUser(String(msg.host || location.host), { insecure, action }) };
  }

  /** Fill the one-time-code field of a code step (no password field). */
  function fillCode(code) {
    const f = findLoginFields(doc);
    const field = f.passwords.length === 0 ? findOneTimeCodeField(doc) : null;
    if (!field) return { filled: null, reason: "no-fields" };
    fillInput(field, code);
    return { filled: { username: false, password: false, code: readValue(field) === code } };
  }

  async function fill(msg) {
    const username = typeof msg.username === "string" ? msg.username : "";
    const password = typeof msg.password === "string" ? msg.password : "";
    if (opaqueOrigin()) return { filled: null, reason: "opaque-origin" };
    if (msg.askFirst) return { filled: null, reason: "ask-first" };
    if (typeof msg.code === "string" && msg.code && !username && !password) return fillCode(msg.code);
    const f = findLoginFields(doc);
    // No password field we may fill and no username step: nothing to do.
    // (Two new-password fields only = sign-up/change form: no fill.)
    if (!f.password && !(f.username && f.passwords.length === 0)) return { filled: null, reason: "no-fields" };
    // The background checked (and asked about) where the form posts when it
    // probed; a page that rewrote the action since gets nothing.
    if (typeof msg.action === "string" && formActionOrigin(f.password || f.username) !== msg.action)
      return { filled: null, reason: "action-changed" };
    const filled = { username: false, password: false };
    if (f.username && username) {
      fillInput(f.username, username);
      filled.username = readValue(f.username) === username;
      rememberedUsername = username;
    }
    if (f.password && password) {
      fillInput(f.password, password);
      markInput(f.password);
      filled.password = readValue(f.password) === password;
    }
    return { filled };
  }

  chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
    if (!msg || typeof msg.type !== "string" || !msg.type.startsWith("meshpass:")) return false;
    if (sender && sender.id && chrome.runtime.id && sender.id !== chrome.runtime.id) return false;
    switch (msg.type) {
      case "meshpass:probe": {
        const f = findLoginFields(doc);
        const s = fieldSummary(f);
        const code = s.username || s.password ? null : findOneTimeCodeField(doc);
        const action = formActionOrigin(f.password || f.username || code);
        sendResponse({
          origin: self.origin,
          top: window === window.top,
          username: s.username,
          password: s.password,
          ...(code ? { otp: true } : {}),
          action,
        });
        return false;
      }
      case "meshpass:fill":
        // A credential meant for another origin (this frame navigated
        // since the probe) is refused.
        if (msg.origin !== undefined && msg.origin !== self.origin) {
          sendResponse({ filled: null, reason: "other-origin" });
          return false;
        }
        fill(msg).then(sendResponse, () => sendResponse({ filled: null, reason: "no-fields" }));
        return true;
      case "meshpass:ask":
        if (msg.origin !== undefined && msg.origin !== self.origin) {
          sendResponse({ ok: false });
          return false;
        }
        ask(msg).then(sendResponse, () => sendResponse({ ok: false }));
        return true;
      default:
        return false;
    }
  });

  /** Focus in a shadow root not yet watched (attached without a DOM mutation we saw). */
  function onFocusin(e) {
    const t = e.composedPath()[0];
    if (t instanceof Element && t.localName === "input" && !watched.has(t.getRootNode())) {
      roots = null;
      scheduleScan();
    }
  }

  doc.addEventListener("click", onClick, true);
  doc.addEventListener("keydown", onKeydown, true);
  doc.addEventListener("focusin", onFocusin, true);
  watch(doc);
  scan();
  // Shadow roots attached and filled without a mutation in an observed root
  // (custom element upgrades) are found by a few later full rescans.
  for (const ms of [1000, 3000, 8000])
    setTimeout(() => {
      roots = null;
      scan();
    }, ms);
}

if (globalThis.chrome?.runtime?.onMessage) {
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => start(document), { once: true });
  } else {
    start(document);
  }
}
