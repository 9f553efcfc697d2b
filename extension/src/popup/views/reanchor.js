// After a portal restore (or a portal showing another history), a sync
// fails with a log that shrank, forked or rolled back; this notice says
// what likely happened, shows a fork proof if there is one, and offers
// the guided re-anchor: the old and new log codes, then the person's
// explicit confirmation (the core's planReanchor and reanchor).

import { CHECKS, CODES } from "../../background/core-api.js";
import { t } from "../../i18n.js";
import { h, statusLine } from "../dom.js";
import { bg, busy, describe } from "../popup.js";

/** needsReanchor reports a sync refused for a log a restore explains. */
export function needsReanchor(e) {
  return e && e.code === CODES.VERIFICATION_FAILED && [CHECKS.LOG_SHRANK, CHECKS.FORK, CHECKS.ROLLBACK].includes(e.check);
}

/**
 * reanchorNotice explains e (needsReanchor) and offers to re-anchor;
 * done runs once the device re-anchored.
 */
export async function reanchorNotice(e, done) {
  const status = await bg("status").catch(() => ({}));
  const line = statusLine();
  const plan = h("div", { "data-role": "reanchor-plan" });
  const start = h("button", { class: "small", "data-action": "plan-reanchor" }, t("The portal was restored: re-anchor…"));
  start.addEventListener("click", () =>
    busy(start, line, async () => {
      const p = await bg("planReanchor");
      if (p.extends) {
        plan.replaceChildren(h("p", {}, t("The portal's log extends the one this device verified: nothing to re-anchor. Sync again.")));
        return;
      }
      const confirm = h("button", { class: "small danger", "data-action": "reanchor" }, t("Re-anchor on log $1", p.newCode));
      confirm.addEventListener("click", () =>
        busy(confirm, line, async () => {
          const r = await bg("reanchor", { code: p.newCode });
          line.set("ok", t("Re-anchored on log $1; $2 records published again.", r.logCode, String(r.records)));
          done();
        }),
      );
      plan.replaceChildren(
        h("p", {}, t("This device verified: $1 entries, log $2.", String(p.oldSize), p.oldCode)),
        h("p", {}, t("The portal's log now: $1 entries, log $2.", String(p.newSize), p.newCode)),
        h(
          "p",
          { class: "muted" },
          t(
            "Re-anchor only if the portal's operator confirms a restore and a device that re-anchored already shows log $1. This device then publishes again what the portal lacks.",
            p.newCode,
          ),
        ),
        h("div", { class: "row end" }, confirm),
      );
    }),
  );
  return h(
    "div",
    { class: "notice bad", role: "alert", "data-role": "reanchor" },
    h("p", {}, describe(e)),
    h(
      "p",
      {},
      t(
        "This device keeps what it verified. The portal was likely restored from a backup — or it shows this device another history than before.",
      ),
    ),
    status.forkProof &&
      h(
        "details",
        {},
        h("summary", {}, t("Fork proof (both checkpoints are signed by the portal's log key)")),
        h("pre", { class: "mono", "data-role": "fork-proof" }, status.forkProof),
      ),
    h("div", { class: "row end" }, start),
    plan,
    line,
  );
}
