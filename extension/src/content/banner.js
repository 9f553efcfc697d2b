// In-page banners of the meshpass content script ("fill on http?", "save
// login?"). A host element with data-meshpass="banner" carries a CLOSED
// shadow root with self-contained styles: the page's world cannot reach it
// (host.shadowRoot is null there, and in the extension's isolated world
// attachShadow is our own, so the page cannot hook it either).
//
// What a click means is decided only from this script's memory: a Map from
// the button elements we created to their actions. Nothing the page could
// change (attributes, text, classes) is ever read back. Only trusted clicks
// count, and only once the banner has been visible and unobstructed
// (IntersectionObserver v2) continuously for MIN_VISIBLE_MS before the click,
// confirmed by a fresh visibility check taken after the click.
// Nothing secret is ever put into the banner: it shows the host and, for the
// save offer, the username the user just typed on this page.

import { t } from "../i18n.js";

const STYLE = `
/* Important declarations of the shadow tree's :host beat the page's, even
   the page's !important ones on the host. */
:host {
  all: initial !important;
  display: block !important; position: fixed !important;
  top: 12px !important; right: 12px !important; left: auto !important; bottom: auto !important;
  z-index: 2147483647 !important; margin: 0 !important; padding: 0 !important; border: 0 !important;
  width: auto !important; height: auto !important; overflow: visible !important;
  background: transparent !important; visibility: visible !important; opacity: 1 !important;
  transform: none !important; filter: none !important; clip-path: none !important;
  pointer-events: auto !important;
}
.box {
  box-sizing: border-box; max-width: 380px; min-width: 260px;
  background: #fff; color: #1b1f24; border: 1px solid #c9d1d9; border-radius: 10px;
  box-shadow: 0 6px 24px rgba(0,0,0,.22); padding: 14px 16px;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  text-align: left; direction: ltr;
}
.title { font-weight: 600; font-size: 12px; letter-spacing: .03em; color: #0a5bd3; margin: 0 0 6px; }
.warn .title { color: #b3261e; }
.text { margin: 0 0 12px; overflow-wrap: anywhere; }
.note { margin: 8px 0 0; font-size: 12px; color: #b3261e; }
.note:empty { display: none; }
.row { display: flex; gap: 8px; justify-content: flex-end; }
button {
  all: initial; box-sizing: border-box; cursor: pointer; border-radius: 6px; padding: 6px 14px;
  font: 600 13px/1.3 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  border: 1px solid #c9d1d9; background: #f6f8fa; color: #1b1f24;
}
button.primary { background: #0a5bd3; border-color: #0a5bd3; color: #fff; }
.warn button.primary { background: #b3261e; border-color: #b3261e; }
button:focus-visible { outline: 2px solid #0a5bd3; outline-offset: 2px; }
`;

/**
 * A click counts only if the banner has been visible and unobstructed
 * without interruption for this long before it.
 */
const MIN_VISIBLE_MS = 500;
/** How long the post-click visibility confirmation may take. */
const CONFIRM_MS = 1000;

const NOTE_COVERED = () => t("This notice is covered or distorted by the page, so the click was ignored.");

/** The banner currently shown by this frame: {host, finish}. */
let current = null;

/**
 * @typedef {object} BannerButton
 * @property {string} action returned when the button is clicked
 * @property {string} label button text
 * @property {boolean} [primary]
 */

/**
 * Show a banner at the top right of the page and wait for a trusted click on
 * one of its buttons. A banner shown while another is open replaces it (the
 * old one resolves null). It also resolves null if the page removes it or
 * after timeoutMs.
 * @param {object} opts
 * @param {string} opts.text message (set as text, never parsed as HTML)
 * @param {BannerButton[]} opts.buttons
 * @param {boolean} [opts.warn] red styling for security warnings
 * @param {number} [opts.timeoutMs] give up after this long (default 120 s)
 * @returns {Promise<string|null>} the clicked button's action, or null
 */
export function showBanner({ text, buttons, warn = false, timeoutMs = 120_000 }) {
  removeBanner();
  const doc = document;
  // A plain div: a custom element name could be defined (and hijacked) by the page.
  const host = doc.createElement("div");
  host.setAttribute("data-meshpass", "banner");
  const root = host.attachShadow({ mode: "closed" });
  const style = doc.createElement("style");
  style.textContent = STYLE;
  const box = doc.createElement("div");
  box.className = warn ? "box warn" : "box";
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-label", "meshpass");
  const title = doc.createElement("p");
  title.className = "title";
  title.textContent = "meshpass";
  const p = doc.createElement("p");
  p.className = "text";
  p.textContent = text;
  const row = doc.createElement("div");
  row.className = "row";
  /** Button element -> action. The only source of what a click means. */
  const actions = new Map();
  for (const b of buttons) {
    const el = doc.createElement("button");
    el.type = "button";
    el.textContent = b.label;
    if (b.primary) el.className = "primary";
    actions.set(el, String(b.action));
    row.append(el);
  }
  const note = doc.createElement("p");
  note.className = "note";
  box.append(title, p, row, note);
  root.append(style, box);

  return new Promise((resolve) => {
    let done = false;
    let timer = 0;
    let watcher = null;
    const finishHooks = [];
    const finish = (action) => {
      if (done) return;
      done = true;
      for (const h of finishHooks) h();
      clearTimeout(timer);
      watcher?.disconnect();
      host.remove();
      if (current?.host === host) current = null;
      resolve(action);
    };

    // Anti-clickjacking. visibleSince: since when (event/observer clock,
    // DOMHighResTimeStamp) the banner has been continuously visible,
    // unoccluded and undistorted in a visible tab; null while it is not.
    let visibleSince = null;
    let ioVisible = false;
    let docVisible = doc.visibilityState === "visible";
    let io = null;
    /** Whether IntersectionObserver v2 (isVisible) reports for this banner. */
    let tracking = false;
    const setVisible = (vis, t) => {
      if (!vis) visibleSince = null;
      else if (visibleSince === null) visibleSince = t;
    };
    const onEntries = (entries) => {
      for (const e of entries) {
        if (typeof e.isVisible === "boolean") tracking = true;
        ioVisible = e.isIntersecting && e.isVisible !== false;
        setVisible(ioVisible && docVisible, e.time);
      }
    };
    const visOptions = { trackVisibility: true, delay: 100 };
    if (typeof IntersectionObserver === "function") {
      try {
        io = new IntersectionObserver(onEntries, visOptions);
        io.observe(box);
        finishHooks.push(() => io.disconnect());
      } catch {
        io = null;
      }
    }
    const onVisibility = (e) => {
      docVisible = doc.visibilityState === "visible";
      setVisible(docVisible && (io ? ioVisible : true), e.timeStamp);
    };
    doc.addEventListener("visibilitychange", onVisibility);
    finishHooks.push(() => doc.removeEventListener("visibilitychange", onVisibility));

    /** Whether the banner was visible without interruption for MIN_VISIBLE_MS before t. */
    const steadyAt = (t) => visibleSince !== null && t - visibleSince >= MIN_VISIBLE_MS && docVisible;

    /**
     * A fresh visibility sample taken after the click (the long-running
     * observer's last report may be up to ~100 ms old): a new observer
     * always reports its first computation. Also folds in any records the
     * long-running observer has computed but not yet delivered.
     */
    const confirmVisible = () =>
      new Promise((res) => {
        if (!io) {
          res(true);
          return;
        }
        let settled = false;
        let fresh = null;
        const settle = (ok) => {
          if (settled) return;
          settled = true;
          clearTimeout(t);
          fresh?.disconnect();
          try {
            onEntries(io.takeRecords());
          } catch {
            /* observer gone */
          }
          res(ok);
        };
        const t = setTimeout(() => settle(false), CONFIRM_MS);
        try {
          fresh = new IntersectionObserver((entries) => {
            const e = entries[entries.length - 1];
            settle(!!e && e.isIntersecting && (tracking ? e.isVisible === true : e.isVisible !== false));
          }, visOptions);
          fresh.observe(box);
        } catch {
          settle(false);
        }
      });

    let confirming = false;
    root.addEventListener("click", (e) => {
      // Clicks inside the banner are none of the page's business.
      e.stopPropagation();
      if (!e.isTrusted || done || confirming) return;
      let action;
      for (const n of e.composedPath()) {
        if (n === root) break;
        if (actions.has(n)) {
          action = actions.get(n);
          break;
        }
      }
      if (action === undefined) return;
      const at = e.timeStamp;
      if (!steadyAt(at)) {
        if (visibleSince === null) note.textContent = NOTE_COVERED();
        return;
      }
      confirming = true;
      confirmVisible().then((ok) => {
        confirming = false;
        if (done) return;
        if (ok && steadyAt(at)) finish(action);
        else note.textContent = NOTE_COVERED();
      });
    });
    // Keep the page from seeing keystrokes and clicks meant for the banner.
    for (const type of ["keydown", "keyup", "keypress", "mousedown", "mouseup", "pointerdown", "pointerup"]) {
      root.addEventListener(type, (e) => e.stopPropagation());
    }
    timer = setTimeout(() => finish(null), timeoutMs);
    (doc.body || doc.documentElement).append(host);
    // In the top layer (popover) the page's z-index stacking and ancestor
    // filters/transforms cannot cover or distort the banner.
    try {
      host.setAttribute("popover", "manual");
      host.showPopover();
    } catch {
      host.removeAttribute("popover");
    }
    // Without an intersection observer only time on screen can be checked.
    if (!io) setVisible(docVisible, performance.now());
    watcher = new MutationObserver(() => {
      if (!host.isConnected) finish(null);
    });
    watcher.observe(doc.documentElement, { childList: true, subtree: true });
    current = { host, finish };
  });
}

/** Remove the current banner, if any; its promise resolves null. */
export function removeBanner() {
  current?.finish(null);
  current = null;
}
