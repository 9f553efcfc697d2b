// Test helpers for the meshpass in-page banner.
//
// The banner lives in a CLOSED shadow root, so neither the page nor
// Playwright's CSS/text selectors can reach into it. These helpers find it
// the way the browser's DevTools do: through CDP. DOM.getDocument with
// {depth: -1, pierce: true} includes closed shadow roots and the content
// documents of same-process iframes; a cross-process iframe (OOPIF) gets its
// own CDP session. The button to click is identified by its visible label
// (what a user goes by); the click is page.mouse.click at its centre, a
// trusted click like a user's.
//
//   import { clickBanner, bannerText, hasBanner, bannerButtonBox } from './banner.mjs';
//   await clickBanner(page, 'fill');                  // main frame
//   await clickBanner(page, 'save', { frame });       // banner in an iframe
//
// Only a host element with data-meshpass="banner" AND a closed shadow root
// counts as the banner: a page-made look-alike (or an open shadow root
// regression) is not found.

/** Visible labels of the banner's buttons per action. */
const LABELS = {
  fill: ["Fill"],
  cancel: ["Cancel"],
  save: ["Save", "Update"],
  dismiss: ["Not now"],
  ok: ["I understand"],
};

/** The banner accepts clicks once visible for 500 ms; wait a bit longer. */
const CLICKABLE_AFTER_MS = 700;

/** page -> Map(banner key -> time the helpers first saw it (Date.now())). */
const firstSeen = new WeakMap();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** All nodes of a CDP DOM tree, with the URL of the document each is in. */
function* walk(node, docURL) {
  const url = node.nodeName === "#document" && node.documentURL ? node.documentURL : docURL;
  yield { node, docURL: url };
  for (const c of node.children || []) yield* walk(c, url);
  for (const c of node.shadowRoots || []) yield* walk(c, url);
  if (node.contentDocument) yield* walk(node.contentDocument, url);
}

function attr(node, name) {
  const a = node.attributes || [];
  for (let i = 0; i + 1 < a.length; i += 2) if (a[i] === name) return a[i + 1];
  return null;
}

/** Text of a CDP node's subtree, without <style>/<script> contents. */
function textOf(node) {
  if (node.nodeType === 3) return node.nodeValue || "";
  if (node.localName === "style" || node.localName === "script") return "";
  const parts = [];
  for (const c of node.children || []) parts.push(textOf(c));
  for (const c of node.shadowRoots || []) parts.push(textOf(c));
  // Block-ish separation so "meshpass" and the message do not run together.
  return parts.join(node.localName === "button" || node.nodeType === 3 ? "" : " ");
}

const norm = (s) => s.replace(/\s+/g, " ").trim();

/**
 * A CDP session for the frame, and the offset of that session's viewport in
 * the page's: a cross-process frame has its own session (coordinates in its
 * own viewport); others use the page's (coordinates already page-relative).
 */
async function sessionFor(page, frame) {
  const context = page.context();
  if (frame && frame !== page.mainFrame()) {
    let session;
    try {
      session = await context.newCDPSession(frame);
    } catch {
      session = null;
    }
    if (session) {
      const el = await frame.frameElement();
      const bb = await el.boundingBox();
      const inner = await el.evaluate((e) => {
        const cs = getComputedStyle(e);
        return { x: e.clientLeft + parseFloat(cs.paddingLeft), y: e.clientTop + parseFloat(cs.paddingTop) };
      });
      return { session, offset: { x: bb.x + inner.x, y: bb.y + inner.y }, oopif: true };
    }
  }
  return { session: await context.newCDPSession(page), offset: { x: 0, y: 0 }, oopif: false };
}

/**
 * Find the banner now. Returns null if there is none.
 * @returns {Promise<null|{session, offset, host, root, key}>} caller detaches session
 */
async function findNow(page, opts = {}) {
  const frame = opts.frame || page.mainFrame();
  const { session, offset, oopif } = await sessionFor(page, frame);
  try {
    const { root: doc } = await session.send("DOM.getDocument", { depth: -1, pierce: true });
    const wantURL = frame.url();
    for (const { node, docURL } of walk(doc, doc.documentURL)) {
      if (node.nodeType !== 1 || attr(node, "data-meshpass") !== "banner") continue;
      // In the page's session, only the banner of the wanted frame's document.
      if (!oopif && docURL !== wantURL) continue;
      const sr = (node.shadowRoots || []).find((r) => r.shadowRootType === "closed");
      if (!sr) continue;
      return { session, offset, host: node, root: sr, key: `${wantURL}#${node.backendNodeId}` };
    }
  } catch (e) {
    await session.detach().catch(() => {});
    throw e;
  }
  await session.detach().catch(() => {});
  return null;
}

function remember(page, key) {
  let m = firstSeen.get(page);
  if (!m) firstSeen.set(page, (m = new Map()));
  if (!m.has(key)) m.set(key, Date.now());
  return m.get(key);
}

/** Wait for the banner (up to opts.timeout, default 5000 ms). */
async function waitBanner(page, opts = {}) {
  const end = Date.now() + (opts.timeout ?? 5000);
  for (;;) {
    const b = await findNow(page, opts);
    if (b) {
      remember(page, b.key);
      return b;
    }
    if (Date.now() > end) throw new Error(`no meshpass banner (closed shadow root) within ${opts.timeout ?? 5000} ms`);
    await sleep(50);
  }
}

/** The button node of an action inside the banner's shadow root. */
function buttonOf(b, action) {
  const labels = LABELS[action];
  if (!labels) throw new Error(`unknown banner action ${JSON.stringify(action)}`);
  for (const { node } of walk(b.root, "")) {
    if (node.localName === "button" && labels.includes(norm(textOf(node)))) return node;
  }
  throw new Error(`the banner has no ${action} button (labels ${labels.join("/")}); text: ${norm(textOf(b.root))}`);
}

/**
 * The page-viewport box of a banner button (for tests that click around it).
 * Waits for the banner like bannerText.
 * @param {import('playwright-core').Page} page
 * @param {'fill'|'cancel'|'save'|'dismiss'} action
 * @param {{frame?: import('playwright-core').Frame, timeout?: number}} [opts]
 * @returns {Promise<{x: number, y: number, width: number, height: number}>}
 */
export async function bannerButtonBox(page, action, opts = {}) {
  const b = await waitBanner(page, opts);
  try {
    return await boxOf(b, buttonOf(b, action));
  } finally {
    await b.session.detach().catch(() => {});
  }
}

async function boxOf(b, node) {
  const { model } = await b.session.send("DOM.getBoxModel", { backendNodeId: node.backendNodeId });
  const q = model.border;
  const xs = [q[0], q[2], q[4], q[6]];
  const ys = [q[1], q[3], q[5], q[7]];
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x: x + b.offset.x, y: y + b.offset.y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}

/**
 * Click a banner button like a user: wait for the banner (opts.timeout,
 * default 5000 ms), wait until it has been on screen long enough to accept
 * clicks (opts.minShownMs, default 700 ms since these helpers first saw it;
 * 0 clicks at once, e.g. to test that an early click is ignored), then a
 * trusted page.mouse.click at the centre of the button labelled for action.
 * @param {import('playwright-core').Page} page
 * @param {'fill'|'cancel'|'save'|'dismiss'} action
 * @param {{frame?: import('playwright-core').Frame, timeout?: number, minShownMs?: number}} [opts]
 * @returns {Promise<{x: number, y: number}>} the point clicked (page viewport)
 */
export async function clickBanner(page, action, opts = {}) {
  let b = await waitBanner(page, opts);
  const wait = remember(page, b.key) + (opts.minShownMs ?? CLICKABLE_AFTER_MS) - Date.now();
  if (wait > 0) {
    await b.session.detach().catch(() => {});
    await sleep(wait);
    b = await findNow(page, opts);
    if (!b) throw new Error("the meshpass banner went away before the click");
  }
  let box;
  try {
    box = await boxOf(b, buttonOf(b, action));
  } finally {
    await b.session.detach().catch(() => {});
  }
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.mouse.click(x, y);
  return { x, y };
}

/**
 * The banner's text (title, message, button labels, note), whitespace
 * normalised. Waits for the banner (opts.timeout, default 5000 ms).
 * @param {import('playwright-core').Page} page
 * @param {{frame?: import('playwright-core').Frame, timeout?: number}} [opts]
 * @returns {Promise<string>}
 */
export async function bannerText(page, opts = {}) {
  const b = await waitBanner(page, opts);
  await b.session.detach().catch(() => {});
  return norm(textOf(b.root));
}

/**
 * Whether the banner is there right now (no waiting).
 * @param {import('playwright-core').Page} page
 * @param {{frame?: import('playwright-core').Frame}} [opts]
 * @returns {Promise<boolean>}
 */
export async function hasBanner(page, opts = {}) {
  const b = await findNow(page, opts);
  if (!b) return false;
  remember(page, b.key);
  await b.session.detach().catch(() => {});
  return true;
}
