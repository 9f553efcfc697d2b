// The service worker's decisions in the loop of the content script's tests:
// the real fill.js and save.js run here in Node.js, with the browser
// stubbed so that their messages to a document reach the content script in
// a Playwright page (through window.__meshpassDeliver), and the content
// script's messages reach them as the worker's listener would pass them.
// The core is the unit tests' fake (test/unit/fakes.mjs: exact host,
// "*.D", and a subdomain as the registrable domain match; the real rules
// are the Go core's, tested in Go). One tab, id 1: the page.

import { onFields } from "../src/background/fill.js";
import * as save from "../src/background/save.js";
import { fakeCore, storageArea } from "./unit/fakes.mjs";

/**
 * workerLoop plays the worker for page over entries ({id, sites, username,
 * password}); settings are stored as the worker's (fillOnLoad). Returns
 * {core, sent, badges, onMessage(frame, msg), idle(), errors}: pass every
 * content script message to onMessage; idle resolves when the worker has
 * answered every message so far.
 */
export function workerLoop(page, entries, settings = {}) {
  const sent = [];
  const badges = [];
  const errors = [];
  let busy = Promise.resolve();
  const frameId = (frame) => page.frames().indexOf(frame);
  const frameOf = (target) => page.frames()[target.documentId ? Number(target.documentId.slice(4)) : target.frameId];
  globalThis.chrome = {
    storage: { local: storageArea(), session: storageArea() },
    alarms: { async create() {}, async clear() {} },
    action: {
      async setBadgeText({ text }) {
        badges.push({ text });
      },
      async setTitle({ title }) {
        if (badges.length) badges[badges.length - 1].title = title;
      },
      async openPopup() {},
    },
    tabs: {
      async get() {
        return { id: 1, url: page.url() };
      },
      async sendMessage(tabId, msg, target) {
        const frame = frameOf(target);
        if (!frame) throw new Error("Could not establish connection. Receiving end does not exist.");
        sent.push(msg);
        return frame.evaluate(
          (m) => (window.__meshpassDeliver ? window.__meshpassDeliver(m) : Promise.reject(new Error("no script"))),
          msg,
        );
      },
    },
    webNavigation: {
      async getAllFrames() {
        return page.frames().map((f, i) => ({ frameId: i, documentId: `doc-${i}`, url: f.url() }));
      },
    },
  };
  globalThis.chrome.storage.local.set({ "ext.settings": settings });
  const core = fakeCore(entries);
  // webNavigation.onCompleted of the top frame.
  page.on("load", () => {
    busy = busy.then(() => save.onNavigated({ tabId: 1, frameId: 0, documentId: "doc-0", url: page.url() }).catch((e) => errors.push(e)));
  });
  const sender = (frame) => {
    const id = frameId(frame);
    return { tab: { id: 1, url: page.url() }, frameId: id, documentId: `doc-${id}`, url: frame.url(), origin: new URL(frame.url()).origin };
  };
  return {
    core,
    sent,
    badges,
    errors,
    onMessage(frame, msg) {
      const s = sender(frame);
      busy = busy.then(async () => {
        try {
          if (msg.type === "meshpass:fields") await onFields(s);
          else if (msg.type === "meshpass:submitted") await save.onSubmitted(s, msg);
        } catch (e) {
          errors.push(e);
        }
      });
    },
    idle: () => busy,
  };
}
