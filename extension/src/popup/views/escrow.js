// The escrow page: an extension page in a tab of its own (popup.html?page=
// escrow), opened from the Devices tab, so that the shares stay on screen
// until the person closes the tab (a popup closes on any click outside
// it). It shows the account, the portal and the profile fingerprint to
// write down beside the shares, and can print them. The shares are still
// shown once and never stored.

import { t } from "../../i18n.js";
import { h, header, rich, show, statusLine } from "../dom.js";
import { bg, busy, plain, refusal } from "../popup.js";
import { sharesBlock } from "./recovered.js";

/** openEscrowPage opens the escrow page in a new tab (and closes the popup). */
export async function openEscrowPage(inPopup) {
  await chrome.tabs.create({ url: chrome.runtime.getURL("popup.html?page=escrow") });
  if (inPopup) window.close();
}

/** whatToKeep is what the person writes down beside the shares. */
export function whatToKeep(status) {
  return h(
    "dl",
    { class: "keep", "data-role": "escrow-account" },
    h("dt", {}, t("Account")),
    h("dd", { "data-role": "account" }, status.account),
    h("dt", {}, t("Portal")),
    h("dd", { "data-role": "portal" }, status.portal),
    h("dt", {}, t("Profile fingerprint")),
    h("dd", { class: "mono" }, status.fingerprint || ""),
  );
}

/** escrowPage is the escrow form and, once made, the shares. */
export async function escrowPage(status) {
  document.body.classList.add("page");
  const rules = await bg("rules");
  const line = statusLine();
  const limits = { min: rules.thresholdMin, max: rules.sharesMax, style: "width:56px" };
  const threshold = h("input", {
    type: "number",
    id: "escrow-threshold",
    value: rules.thresholdMin,
    "aria-label": t("Shares needed"),
    ...limits,
  });
  const count = h("input", {
    type: "number",
    id: "escrow-shares",
    value: Math.max(rules.sharesMin, rules.thresholdMin + 1),
    "aria-label": t("Shares in all"),
    ...limits,
    min: rules.sharesMin,
  });
  const pass = h("input", { type: "password", id: "escrow-passphrase", autocomplete: "current-password" });
  const out = h("div", { "data-role": "escrow-result" });
  const go = h("button", { id: "escrow", class: "primary" }, t("Create escrow shares"));
  const form = h(
    "div",
    { "data-role": "escrow-form" },
    h("p", {}, t("Split a recovery key into shares so you can get everything back after losing every device.")),
    h("div", { class: "row" }, ...rich("Need $1 of $2 shares to recover", threshold, count)),
    h("label", { for: "escrow-passphrase" }, t("This device's passphrase")),
    h("div", { class: "row" }, h("div", { class: "grow" }, pass), go),
  );
  go.addEventListener("click", () =>
    busy(go, line, async () => {
      const split = { threshold: Number(threshold.value), shares: Number(count.value) };
      const ok = await bg("checkShares", split);
      if (!ok.ok) throw refusal(ok.reason);
      line.set("", t("Replacing the recovery keys and publishing the escrow…"));
      const r = await bg("escrow", { passphrase: pass.value, ...split });
      pass.value = "";
      line.set("", "");
      form.remove();
      const print = h("button", { id: "escrow-print" }, t("Print"));
      print.addEventListener("click", () => window.print());
      const done = h("button", { class: "primary", id: "escrow-done" }, t("I have written them down"));
      done.addEventListener("click", () => window.close());
      out.replaceChildren(...sharesBlock(r.shares, r.threshold || split.threshold), h("div", { class: "row end noprint" }, print, done));
      if (r.error) line.set("bad", t("$1 The shares above are valid nonetheless.", plain(r.error)));
    }),
  );
  show(header(), h("h2", {}, t("Recovery escrow")), whatToKeep(status), form, out, line);
}
