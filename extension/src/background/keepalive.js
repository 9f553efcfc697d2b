// Keeping the background alive while it works. Chromium's service worker
// and Firefox's event page (MV3 background scripts) are stopped after
// about 30 s without extension activity, even while an answer is still
// being worked out: a fill that waits for the person's click on the page's
// "not secure" banner, a save, a slow core call. Both browsers count a call
// of an extension API from the background as activity (Chromium 110+;
// Firefox: "parentApiCall" resets the event page's idle timer), so while
// any work is in flight a cheap one (runtime.getPlatformInfo) is made
// every PING_MS; when the last work settles the pings stop and the browser
// may stop the background again.

/** PING_MS is the interval of the pings, well under any idle timeout. */
export const PING_MS = 1000;

let inFlight = 0;
let timer = 0;

function ping() {
  try {
    const p = chrome.runtime.getPlatformInfo();
    if (p && typeof p.catch === "function") p.catch(() => {});
  } catch {
    // the extension context is going away
  }
}

/** busy reports whether work is in flight (for the tests). */
export function busy() {
  return inFlight > 0;
}

/**
 * whileBusy resolves (or rejects) as work (a promise) does, keeping the
 * background alive until then.
 */
export async function whileBusy(work) {
  if (inFlight++ === 0) timer = setInterval(ping, PING_MS);
  try {
    return await work;
  } finally {
    if (--inFlight === 0) {
      clearInterval(timer);
      timer = 0;
    }
  }
}
