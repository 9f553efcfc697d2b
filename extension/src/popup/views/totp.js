// One-time codes in the popup: the current code of an entry with its
// countdown, and copying it. The code comes from the core's totp, one
// entry's, never its otpauth:// URI (the secret stays in the core).

import { t } from "../../i18n.js";
import { h } from "../dom.js";
import { bg, busy } from "../popup.js";
import { copy } from "./vault.js";

/** copyCode copies entry id's current one-time code, and says so in line. */
export async function copyCode(id, line) {
  const r = await bg("totp", { id });
  await copy(r.code, line);
  if (r.period) line.set("ok", t("Copied the code ($1 s left). The clipboard is cleared in 30 seconds.", r.remaining));
}

/**
 * liveCode is the current one-time code of entry id, counting down and
 * fetched again when it expires (while it is on the page), with a Copy
 * button; messages go to line.
 */
export function liveCode(id, line) {
  const code = h("output", { class: "code", "data-role": "totp-code", "aria-label": t("Current one-time code") }, "······");
  const left = h("span", { class: "muted", "data-role": "totp-remaining" }, "");
  const copyBtn = h(
    "button",
    { class: "small", type: "button", "data-action": "copy-code", "aria-label": t("Copy the one-time code") },
    t("Copy"),
  );
  const box = h("div", { class: "row", "data-role": "totp" }, code, left, h("span", { class: "grow" }), copyBtn);
  let until = 0;
  let period = 0;
  let fetching = null;
  let seen = false;
  const refresh = () =>
    (fetching ??= bg("totp", { id })
      .then((r) => {
        code.textContent = r.code;
        period = r.period;
        until = Date.now() + r.remaining * 1000;
        paint();
      })
      .catch((e) => {
        code.textContent = "—";
        left.textContent = e.message || String(e);
        until = Date.now() + 5000; // try again in a few seconds
      })
      .finally(() => {
        fetching = null;
      }));
  const paint = () => {
    if (!period) {
      left.textContent = t("counter-based code");
      return;
    }
    const s = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    left.textContent = t("$1 s left", s);
    box.style.setProperty("--totp-left", String(s / period));
  };
  const timer = setInterval(() => {
    if (box.isConnected) seen = true;
    else if (seen) {
      clearInterval(timer); // the view was left
      return;
    }
    if (period && Date.now() >= until) refresh();
    else paint();
  }, 1000);
  refresh();
  copyBtn.addEventListener("click", () =>
    busy(copyBtn, line, async () => {
      if (period && Date.now() >= until) await refresh();
      await copyCode(id, line);
    }),
  );
  return box;
}
