// The Recover tab of the setup view: lost every device? The escrow shares
// written down rebuild the profile, and this browser becomes its
// administration device. Removing the lost devices is the default.

import { h } from "../dom.js";
import { bg, busy } from "../popup.js";
import { recoveredView } from "./recovered.js";

/** recoverForm is the Recover tab's content, over the shared setup fields. */
export function recoverForm(form) {
  const { line } = form;
  const shares = h("textarea", { id: "shares", rows: 4, spellcheck: "false", placeholder: "One share per line" });
  const removeOthers = h("input", { type: "checkbox", id: "remove-others", checked: true });
  const go = h("button", { class: "primary", id: "recover" }, "Recover");
  go.addEventListener("click", () =>
    busy(go, line, async () => {
      await form.checkPassphrase();
      const list = shares.value
        .split("\n")
        .map((s) => s.trim())
        .filter(Boolean);
      line.set("", "Rebuilding the escrow key and restoring the profile…");
      await form.savePortal();
      const r = await bg("recover", { ...form.value(), shares: list, removeOthers: removeOthers.checked });
      recoveredView(r, list.length);
    }),
  );
  return [
    h("p", { class: "muted" }, "Lost every device? Enter the escrow shares you wrote down; this browser becomes an administration device."),
    form.fields,
    h("label", { for: "shares" }, "Shares"),
    shares,
    h("label", { class: "inline" }, removeOthers, "Remove the lost devices from the profile"),
    form.passFields,
    h("div", { class: "row end" }, go),
    line,
  ];
}
