// In-page banners of the meshpass content script ("fill on http?", "save
// login?"). A host element with data-meshpass="banner" carries a shadow root
// with self-contained styles; only trusted clicks (event.isTrusted) count.
// Nothing secret is ever put into the banner: it shows the host and, for the
// save offer, the username the user just typed on this page.

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

/** Clicks sooner than this after the banner appeared are ignored. */
const MIN_SHOWN_MS = 500;

/** The banner currently shown by this frame: {host, finish}. */
let current = null;

/**
 * @typedef {object} BannerButton
 * @property {string} action value of data-action, returned when clicked
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
  const host = doc.createElement('div');
  host.setAttribute('data-meshpass', 'banner');
  const root = host.attachShadow({ mode: 'open' });
  const style = doc.createElement('style');
  style.textContent = STYLE;
  const box = doc.createElement('div');
  box.className = warn ? 'box warn' : 'box';
  box.setAttribute('role', 'dialog');
  box.setAttribute('aria-label', 'meshpass');
  const title = doc.createElement('p');
  title.className = 'title';
  title.textContent = 'meshpass';
  const p = doc.createElement('p');
  p.className = 'text';
  p.textContent = text;
  const row = doc.createElement('div');
  row.className = 'row';
  for (const b of buttons) {
    const el = doc.createElement('button');
    el.type = 'button';
    el.textContent = b.label;
    el.setAttribute('data-action', b.action);
    if (b.primary) el.className = 'primary';
    row.append(el);
  }
  const note = doc.createElement('p');
  note.className = 'note';
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
    // Anti-clickjacking: a click counts only if it is trusted, the banner
    // has been on screen for MIN_SHOWN_MS, and (where the browser supports
    // IntersectionObserver v2) the banner is unoccluded and unfiltered.
    const shownAt = performance.now();
    let unobstructed = true;
    if (typeof IntersectionObserver === 'function') {
      try {
        const io = new IntersectionObserver((entries) => {
          const e = entries[entries.length - 1];
          if (e && typeof e.isVisible === 'boolean') unobstructed = e.isVisible;
        }, { trackVisibility: true, delay: 100 });
        io.observe(box);
        finishHooks.push(() => io.disconnect());
      } catch { /* no IntersectionObserver v2 */ }
    }
    root.addEventListener('click', (e) => {
      if (!e.isTrusted) return;
      const btn = e.target instanceof Element ? e.target.closest('button[data-action]') : null;
      if (!btn) return;
      e.stopPropagation();
      if (performance.now() - shownAt < MIN_SHOWN_MS) return;
      if (!unobstructed) {
        note.textContent = 'This notice is covered or distorted by the page, so the click was ignored.';
        return;
      }
      finish(btn.getAttribute('data-action'));
    });
    // Keep the page from seeing keystrokes and clicks meant for the banner.
    for (const type of ['keydown', 'keyup', 'keypress', 'mousedown', 'mouseup', 'pointerdown', 'pointerup']) {
      root.addEventListener(type, (e) => e.stopPropagation());
    }
    timer = setTimeout(() => finish(null), timeoutMs);
    (doc.body || doc.documentElement).append(host);
    // In the top layer (popover) the page's z-index stacking and ancestor
    // filters/transforms cannot cover or distort the banner.
    try {
      host.setAttribute('popover', 'manual');
      host.showPopover();
    } catch {
      host.removeAttribute('popover');
    }
    watcher = new MutationObserver(() => { if (!host.isConnected) finish(null); });
    watcher.observe(doc.documentElement, { childList: true, subtree: true });
    current = { host, finish };
  });
}

/** Remove the current banner, if any; its promise resolves null. */
export function removeBanner() {
  current?.finish(null);
  current = null;
}
