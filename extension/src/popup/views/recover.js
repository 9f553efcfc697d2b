// The Recover tab of the setup view: lost every device? The escrow shares
// written down rebuild the profile, and this browser becomes its
// administration device. Removing the lost devices is the default.

import { t } from "../../i18n.js";
import { h } from "../dom.js";
import { bg, busy, inPopup } from "../popup.js";
import { recoveredView } from "./recovered.js";

/** recoverForm is the Recover tab's content, over the shared setup fields. */
export function recoverForm(form) {
  const { line } = form;
  if (inPopup) {
    // The new shares a recovery shows must not vanish with the popup.
    const open = h("button", { class: "primary", id: "recover-open" }, t("Recover in a tab"));
    open.addEventListener("click", async () => {
      await chrome.tabs.create({ url: chrome.runtime.getURL("popup.html?page=recover") });
      window.close();
    });
    return [
      h(
        "p",
        { class: "muted" },
        t("Recovery shows new shares to write down, so it runs in a tab of its own, which a stray click does not close."),
      ),
      h("div", { class: "row end" }, open),
    ];
  }
  const shares = h("textarea", { id: "shares", rows: 4, spellcheck: "false", placeholder: t("One share per line") });
  const removeOthers = h("input", { type: "checkbox", id: "remove-others", checked: true });
  const go = h("button", { class: "primary", id: "recover" }, t("Recover"));
  go.addEventListener("click", () =>
    busy(go, line, async () => {
      await form.checkPassphrase();
      const list = shares.value
        .split("\n")
        .map((s) => s.trim())
        .filter(Boolean);
      line.set("", t("Rebuilding the escrow key and restoring the profile…"));
      await form.savePortal();
      const r = await bg("recover", { ...form.value(), shares: list, removeOthers: removeOthers.checked });
      recoveredView(r, list.length);
    }),
  );
  return [
    h(
      "p",
      { class: "muted" },
      t("Lost every device? Enter the escrow shares you wrote down; this browser becomes an administration device."),
    ),
    form.fields,
    h("label", { for: "shares" }, t("Shares")),
    shares,
    h("label", { class: "inline" }, removeOthers, t("Remove the lost devices from the profile")),
    form.passFields,
    h("div", { class: "row end" }, go),
    line,
  ];
}
