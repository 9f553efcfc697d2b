// The extension's Firefox build (extension/dist-firefox, make
// extension-firefox) in Debian's Firefox ESR, headless, driven over
// WebDriver BiDi by puppeteer-core (never a downloaded browser). What the
// Firefox end to end (firefox.test.mjs) and the benchmark share.
//
// Three things differ from Chromium, each through a supported switch of the
// test profile, none in the extension:
//   - An MV3 add-on's host permissions are granted at install only when the
//     person agrees (Firefox's install prompt) or by the pref
//     extensions.originControls.grantByDefault; a temporarily installed
//     add-on in a test profile gets them through that pref.
//   - The moz-extension:// UUID is random per profile unless
//     extensions.webextensions.uuids pins it, as here.
//   - WebDriver BiDi refuses to navigate a tab to a moz-extension:// URL
//     unless Firefox runs with --remote-allow-system-access; even then
//     puppeteer does not see the navigation finish (the page moves to the
//     extension process), so the first extension page is waited for by its
//     content, and later ones are opened by the extension (tabs.create) and
//     found by their location.

import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";
import { ROOT } from "./harness.mjs";

export const DIST_FIREFOX = join(ROOT, "extension", "dist-firefox");
export const FIREFOX = process.env.FIREFOX || "/usr/bin/firefox-esr";
export const ADDON_ID = "meshpass@meshpass.dev";
/** EXTENSION_UUID is the moz-extension:// host the test profile pins. */
export const EXTENSION_UUID = "3d0b6c52-6d8e-4d7b-9a5e-2f1c7d0e8a11";
export const EXTENSION_ORIGIN = `moz-extension://${EXTENSION_UUID}`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** until polls f until it returns a truthy value (or throws after ms). */
export async function until(f, what, ms = 20_000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      if (/failed/.test(e.message)) throw e;
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
    await sleep(150);
  }
}

/**
 * FirefoxBrowser is one person's Firefox: its own profile, the extension
 * installed, and an extension page ("control") to reach the background
 * page through runtime.sendMessage as the popup does.
 */
export class FirefoxBrowser {
  /** launch starts Firefox; prefs are more preferences of the test profile. */
  static async launch(name, { locale, prefs: more = {} } = {}) {
    await access(join(DIST_FIREFOX, "manifest.json")).catch(() => {
      throw new Error(`${DIST_FIREFOX} is missing: run make extension-firefox`);
    });
    await access(FIREFOX).catch(() => {
      throw new Error(`${FIREFOX} is missing: run make firefox (Debian's firefox-esr)`);
    });
    const dir = await mkdtemp(join(tmpdir(), `meshpass-ff-${name}-`));
    const prefs = {
      "extensions.originControls.grantByDefault": true,
      "extensions.webextensions.uuids": JSON.stringify({ [ADDON_ID]: EXTENSION_UUID }),
      // *.test hosts are the local test server too (the Chromium run maps
      // them with --host-resolver-rules; *.localhost is loopback already).
      "network.dns.localDomains": "insecure.test",
    };
    Object.assign(prefs, more);
    if (locale) {
      prefs["intl.locale.requested"] = locale;
      prefs["intl.accept_languages"] = locale;
    }
    const browser = await puppeteer.launch({
      browser: "firefox",
      executablePath: FIREFOX,
      headless: true,
      userDataDir: dir,
      args: ["--remote-allow-system-access"],
      extraPrefsFirefox: prefs,
    });
    const b = new FirefoxBrowser(name, dir, browser);
    const id = await browser.installExtension(DIST_FIREFOX);
    if (id !== ADDON_ID) throw new Error(`installed ${id}, not ${ADDON_ID}`);
    b.control = await browser.newPage();
    await b.control.goto(`${EXTENSION_ORIGIN}/popup.html?tab=-1`, { timeout: 1500 }).catch(() => {});
    await until(
      () => b.control.evaluate(() => location.protocol === "moz-extension:" && document.readyState === "complete"),
      "the control page",
    );
    return b;
  }

  constructor(name, dir, browser) {
    this.name = name;
    this.dir = dir;
    this.browser = browser;
  }

  /** bg calls the background page as the popup does; rejects on error. */
  async bg(cmd, arg) {
    const r = await this.control.evaluate((c, a) => chrome.runtime.sendMessage({ cmd: c, arg: a }), cmd, arg ?? null);
    if (r && r.error) throw Object.assign(new Error(`${cmd}: ${r.error.message}`), r.error);
    return r.ok;
  }

  /** tabId finds the browser's tab id of a page showing url. */
  async tabId(url) {
    const ids = await this.control.evaluate(async (u) => (await chrome.tabs.query({})).filter((t) => t.url === u).map((t) => t.id), url);
    if (ids.length !== 1) throw new Error(`${ids.length} tabs show ${url}`);
    return ids[0];
  }

  /** open loads url in a new tab. */
  async open(url) {
    const page = await this.browser.newPage();
    await page.goto(url, { waitUntil: "load" });
    return page;
  }

  /**
   * extensionPage opens path (an extension page) in a new tab through
   * tabs.create, or through open() (a click on an extension page that
   * opens it), and finds that tab's puppeteer page by its location.
   */
  async extensionPage(path, open) {
    const url = `${EXTENSION_ORIGIN}/${path}`;
    const before = new Set(await this.browser.pages());
    if (open) await open();
    else await this.control.evaluate((u) => chrome.tabs.create({ url: u }), url);
    const page = await until(async () => {
      for (const p of await this.browser.pages()) {
        if (before.has(p)) continue;
        const href = await p.evaluate(() => document.readyState === "complete" && location.href).catch(() => "");
        if (href === url) return p;
      }
      return null;
    }, `the extension page ${path}`);
    return page;
  }

  /** popup opens the popup as a page, aimed at the tab showing pageURL. */
  async popup(pageURL) {
    const tab = pageURL ? await this.tabId(pageURL) : -1;
    const p = await this.extensionPage(`popup.html?tab=${tab}`);
    await p.setViewport({ width: 380, height: 600 });
    return p;
  }

  /**
   * backgroundStarted is the time origin of the running background page: it
   * changes when Firefox stopped the page and a later event started it anew.
   */
  async backgroundStarted() {
    return this.control.evaluate(async () => (await browser.runtime.getBackgroundPage()).performance.timeOrigin);
  }

  /** badge is the toolbar button's badge text on the tab showing url. */
  async badge(url) {
    const tabId = await this.tabId(url);
    return this.control.evaluate((id) => chrome.action.getBadgeText({ tabId: id }), tabId);
  }

  async close() {
    await this.browser.close().catch(() => {});
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** text is the visible text of the first element matching selector. */
export async function text(page, selector) {
  return page.$eval(selector, (e) => e.innerText).catch(() => "");
}

/**
 * press clicks the element matching selector; one that the popup redrew
 * before the click (its lists change when a sync finishes) is looked up
 * again.
 */
export async function press(page, selector) {
  await until(async () => {
    const h = await page.$(selector);
    if (!h) return false;
    await h.click();
    return true;
  }, `a click on ${selector}`);
}

/** settled waits for the popup's sync to finish, as a person would see it. */
export async function settled(popup) {
  await until(async () => {
    const chip = await text(popup, "[data-role=sync]");
    return chip !== "" && !chip.includes("syncing");
  }, "the popup's sync");
}

/**
 * clickRow clicks the button [data-action=action] of the list item of list
 * holding label; the popup redraws its lists when a sync finishes, so a
 * button that went away before the click is looked up again.
 */
export async function clickRow(page, list, label, action) {
  await until(async () => {
    const h = await page.evaluateHandle(
      (l, t, a) => {
        for (const li of document.querySelectorAll(`${l} li`)) if (li.innerText.includes(t)) return li.querySelector(`[data-action=${a}]`);
        return null;
      },
      list,
      label,
      action,
    );
    const button = h.asElement();
    if (!button) return false;
    await button.click();
    return true;
  }, `${action} on ${label}`);
}

/**
 * clickBannerButton clicks, like a person (a trusted click through BiDi
 * input), the index-th button from the right of the meshpass banner on
 * page. Its closed shadow root is out of reach of every selector, and
 * Firefox's BiDi has no DevTools DOM to pierce it, so the place is worked
 * out from the banner's fixed layout (banner.js: padding 16 px, 1 px
 * border, buttons with 14 px padding and 8 px gaps, right-aligned, 13 px
 * semibold system-ui labels) and the host element's box.
 */
export async function clickBannerButton(page, labels, index) {
  const point = await until(
    () =>
      page.evaluate(
        (ls, i) => {
          const host = document.querySelector('[data-meshpass="banner"]');
          if (!host) return null;
          const r = host.getBoundingClientRect();
          if (r.width < 10 || r.height < 10) return null;
          const ctx = document.createElement("canvas").getContext("2d");
          ctx.font = '600 13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
          const widths = ls.map((l) => ctx.measureText(l).width + 28 + 2);
          let right = r.right - 17;
          for (let k = ls.length - 1; k > i; k--) right -= widths[k] + 8;
          return { x: right - widths[i] / 2, y: r.bottom - 15 - 15 };
        },
        labels,
        index,
      ),
    "the banner",
  );
  await sleep(800); // the banner ignores clicks in its first 500 ms
  await page.mouse.click(point.x, point.y);
}
