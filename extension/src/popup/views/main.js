// The unlocked view's frame: the header with the sync chip, Sync and Lock,
// the account, and the tabs Passwords (vault.js), Devices (devices.js) and
// Settings (settings.js). It shows the last verified copy at once, syncs,
// and shows the page again after the sync unless the person has started
// using it meanwhile.

import { CODES } from "../../background/core-api.js";
import { t } from "../../i18n.js";
import { h, header, markPainted, notice, show, tabs } from "../dom.js";
import { bg, describe, inPopup, start } from "../popup.js";
import { devicesPage, isUnapproved, unapprovedNotice } from "./devices.js";
import { needsReanchor, reanchorNotice } from "./reanchor.js";
import { settingsPage } from "./settings.js";
import { passwordsPage } from "./vault.js";

const PAGES = { passwords: passwordsPage, devices: devicesPage, settings: settingsPage };

// The page last shown, so that coming back to the vault view keeps it.
let current = "passwords";

/**
 * mainView shows page ("passwords", "devices" or "settings") of the
 * unlocked view; note, if given, is [kind, text] to show above it (what
 * the view before it did: "Saved on this device…").
 */
export async function mainView(status, page = current, note = null) {
  current = page;
  const chip = h("span", { class: "chip", "data-role": "sync" }, t("syncing…"));
  const syncButton = h("button", { class: "small", title: t("Sync with the portal"), id: "sync" }, t("Sync"));
  const lockButton = h("button", { class: "small", id: "lock" }, t("Lock"));
  lockButton.addEventListener("click", async () => {
    await bg("lock");
    if (inPopup) window.close();
    else start();
  });
  const nav = tabs(
    "data-page",
    [
      ["passwords", t("Passwords")],
      ["devices", t("Devices")],
      ["settings", t("Settings")],
    ],
    page,
    (id) => mainView(status, id),
  );
  const body = h("div", { "data-role": "page" });
  const banner = h("div", { "data-role": "sync-error" });
  const said = h("div", { "data-role": "saved-note" }, note && notice(note[0], note[1]));
  const logCode = h("span", { "data-role": "log-code" });
  show(
    header(chip, syncButton, lockButton),
    h("div", { class: "muted" }, status.account, " · ", status.portal, logCode),
    banner,
    said,
    nav,
    body,
  );

  const sync = async () => {
    chip.className = "chip";
    chip.textContent = t("syncing…");
    try {
      await bg("sync");
      chip.className = "chip ok";
      chip.textContent = t("synced");
      banner.replaceChildren();
      showLog(await bg("status").catch(() => ({})), chip, logCode, banner);
    } catch (e) {
      if (isUnapproved(e)) {
        chip.className = "chip bad";
        chip.textContent = syncChip(e);
        banner.replaceChildren(await unapprovedNotice(() => mainView(status, page)).catch(() => notice("bad", describe(e))));
        return;
      }
      if (needsReanchor(e)) {
        chip.className = "chip bad";
        chip.textContent = syncChip(e);
        banner.replaceChildren(await reanchorNotice(e, () => mainView(status, page)).catch(() => notice("bad", describe(e))));
        return;
      }
      const unreachable = e.code === CODES.TRANSPORT;
      chip.className = unreachable ? "chip warn" : "chip bad";
      chip.textContent = syncChip(e);
      const text = describe(e);
      banner.replaceChildren(
        notice(unreachable ? "warn" : "bad", t("$1 Showing the last verified copy.", `${text}${/[.!?]$/.test(text) ? "" : "."}`)),
      );
    }
  };
  // After a sync the page shows what the sync brought: a page that can
  // (the Passwords page) updates in place, another is built again.
  const again = (stale) => (body.refresh ? body.refresh() : renderPage(status, page, body, stale));
  syncButton.addEventListener("click", async () => {
    await sync();
    again();
  });
  let used = false;
  for (const event of ["input", "click"])
    body.addEventListener(event, () => {
      used = true;
    });
  await renderPage(status, page, body);
  markPainted("meshpass:first-paint"); // the page with this site's logins
  await sync();
  if (!used && body.isConnected) again(() => used || !body.isConnected);
}

// showLog shows the log code of the last verified checkpoint (two devices
// on the same log show the same code for the same size) and warns when
// no other device of the profile was heard from within the quiet window,
// or when the witnesses vouched for what the portal shows longer ago than
// the freshness window (the log looks frozen).
function showLog(s, chip, logCode, banner) {
  if (s.logCode) {
    logCode.textContent = ` · ${t("log $1", s.logCode)}`;
    logCode.title = t(
      "Log code of the tree of $1 entries this device verified: another device on the same log shows the same code.",
      String(s.logSize),
    );
  }
  const warn = (word, text) => {
    chip.className = "chip warn";
    chip.textContent = word;
    banner.replaceChildren(notice("warn", text));
  };
  if (s.peersQuiet)
    warn(
      t("no news from other devices"),
      t(
        "None of your other devices has been heard from for $1 days. If you used one since, the portal may be hiding its changes from this device.",
        String(Math.floor((s.peersAge || 0) / 86400)),
      ),
    );
  if (s.logStale)
    warn(
      t("log looks frozen"),
      t(
        "The log looks frozen: its witnesses last vouched for what the portal shows this device $1 hours ago. The portal may be hiding newer changes from it.",
        String(Math.floor((s.logAge || 0) / 3600)),
      ),
    );
}

// syncChip is the sync chip's word for a failed sync: only a check that
// failed is "verification failed"; a vault a newer meshpass upgraded is
// not one.
function syncChip(e) {
  switch (e.code) {
    case CODES.TRANSPORT:
      return t("portal unreachable");
    case CODES.VERIFICATION_FAILED:
      return t("verification failed");
    case CODES.UPGRADE_REQUIRED:
      return t("update meshpass");
    case CODES.NOT_AUTHORIZED:
      return t("not authorized");
    default:
      return t("sync failed");
  }
}

// renderPage builds a page of the vault view into body. stale, if given,
// is asked once the page is built: if it says the person has used the page
// meanwhile, the new page is dropped rather than pulled from under them.
async function renderPage(status, page, body, stale = () => false) {
  let nodes;
  try {
    nodes = await PAGES[page](status);
  } catch (e) {
    if (e.code === CODES.LOCKED) return start();
    nodes = [notice("bad", describe(e))];
  }
  if (stale()) return undefined;
  body.replaceChildren(...nodes);
  body.refresh = nodes.refresh;
  return undefined;
}
