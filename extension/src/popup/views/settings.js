// The Settings page of the unlocked view: the portal for new profiles,
// fill on page load, and the idle lock timeout (kept by the service
// worker in storage.local); the way to the import and export page
// (transfer.js).

import { t } from "../../i18n.js";
import { h, rich, statusLine } from "../dom.js";
import { bg, busy, inPopup } from "../popup.js";
import { openTransferPage } from "./transfer.js";

/** shortcutsURL is the browser's page where extension shortcuts are set. */
function shortcutsURL() {
  return /Firefox\//.test(navigator.userAgent)
    ? t("about:addons (gear menu: Manage Extension Shortcuts)")
    : "chrome://extensions/shortcuts";
}

/** shortcuts says which keys fill and open meshpass, or how to set them. */
export async function shortcuts() {
  const all = (await chrome.commands?.getAll?.().catch(() => [])) || [];
  const key = (name) => all.find((c) => c.name === name)?.shortcut || "";
  const fill = key("fill-login");
  const open = key("_execute_action");
  const kbd = (k) => h("kbd", {}, k);
  return h(
    "p",
    { class: "muted", "data-role": "shortcuts" },
    ...(fill ? rich("Fill the login: $1", kbd(fill)) : [t("Fill the login: no key set")]),
    " · ",
    ...(open ? rich("Open meshpass: $1", kbd(open)) : [t("Open meshpass: no key set")]),
    fill && open ? "" : [" ", t("Set keys at $1.", shortcutsURL())],
  );
}

/** settingsPage builds the page's nodes. */
export async function settingsPage() {
  const s = await bg("settings");
  const line = statusLine();
  const portal = h("input", { type: "url", id: "settings-portal", value: s.portal });
  const fillOnLoad = h("input", { type: "checkbox", id: "settings-fill-on-load", checked: s.fillOnLoad });
  const lock = h("input", { type: "number", id: "settings-lock", value: s.lockMinutes, min: 1, max: 1440, style: "width:72px" });
  const save = h("button", { class: "primary", id: "settings-save" }, t("Save settings"));
  save.addEventListener("click", () =>
    busy(save, line, async () => {
      await bg("setSettings", { portal: portal.value.trim(), fillOnLoad: fillOnLoad.checked, lockMinutes: Number(lock.value) });
      line.set("ok", t("Saved."));
    }),
  );
  return [
    h("label", { for: "settings-portal" }, t("Portal for new profiles")),
    portal,
    h(
      "label",
      { class: "inline" },
      fillOnLoad,
      t("Fill on page load when exactly one login is saved for the page's exact host (or a *. site you wrote); https only"),
    ),
    h("label", { for: "settings-lock" }, t("Lock after this many idle minutes")),
    lock,
    h("div", { class: "row end", style: "margin-top:10px" }, save),
    line,
    h("h2", {}, t("Keyboard shortcuts")),
    await shortcuts(),
    ...(await movePortalSection()),
    h("h2", {}, t("Import and export")),
    h("p", { class: "muted" }, t("Import another password manager's export, or export this vault, on a page of its own.")),
    h("div", { class: "row" }, h("button", { id: "transfer-open", onclick: () => openTransferPage(inPopup) }, t("Import or export…"))),
  ];
}

// movePortalSection shows the portal this device uses and moves it to the
// same portal at a new address; the core checks the move first (the same
// log key, a log extending the one verified here, this account's profile).
async function movePortalSection() {
  const status = await bg("status");
  if (!status.device || status.connecting) return [];
  const line = statusLine();
  const current = h("div", { class: "mono", "data-role": "device-portal" }, status.portal);
  const to = h("input", { type: "url", id: "move-portal", placeholder: "https://" });
  const move = h("button", { id: "move-portal-go" }, t("Move"));
  move.addEventListener("click", () =>
    busy(move, line, async () => {
      const moved = await bg("movePortal", { portal: to.value.trim() });
      current.replaceChildren(moved.portal);
      to.value = "";
      line.set("ok", t("This device now uses $1: the same log and the same profile.", moved.portal));
    }),
  );
  return [
    h("h2", {}, t("This device's portal")),
    current,
    h("label", { for: "move-portal" }, t("The portal moved? Its new address (checked: it must serve the same log and profile)")),
    h("div", { class: "row" }, to, move),
    line,
  ];
}
