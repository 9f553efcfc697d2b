// The locked view: the device is set up but its keys are sealed; the
// passphrase unlocks them (Enter or the Unlock button).

import { t } from "../../i18n.js";
import { h, header, rich, show, statusLine } from "../dom.js";
import { bg, busy, start } from "../popup.js";

/** lockedView asks for the passphrase of status.account's device. */
export function lockedView(status) {
  const pass = h("input", { type: "password", id: "unlock-passphrase", autocomplete: "current-password", autofocus: true });
  const line = statusLine();
  const go = h("button", { class: "primary", id: "unlock" }, t("Unlock"));
  const unlock = () =>
    busy(go, line, async () => {
      await bg("unlock", { passphrase: pass.value });
      performance.mark("meshpass:unlocked"); // make bench: unlocked to this site's logins painted
      await start();
    });
  go.addEventListener("click", unlock);
  pass.addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    unlock();
  });
  show(
    header(h("span", { class: "chip" }, t("locked"))),
    h("p", {}, rich("Unlock $1 on this device.", status.account)),
    h("label", { for: "unlock-passphrase" }, t("Passphrase")),
    pass,
    h("div", { class: "row end" }, go),
    line,
  );
  pass.focus();
}
