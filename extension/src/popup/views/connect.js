// Connecting this browser to a profile it does not have yet: the Connect
// tab of the setup view (connectForm), then the view that waits for an
// administration device to approve it (connectingView), showing the
// witness code both screens must agree on.

import { CODES } from "../../background/core-api.js";
import { t } from "../../i18n.js";
import { h, header, rich, show, statusLine } from "../dom.js";
import { bg, busy, describe, start } from "../popup.js";

/** connectForm is the Connect tab's content, over the shared setup fields. */
export function connectForm(form) {
  const { line } = form;
  const go = h("button", { class: "primary", id: "connect" }, t("Ask to connect"));
  go.addEventListener("click", () =>
    busy(go, line, async () => {
      await form.checkPassphrase();
      await form.savePortal();
      await bg("startConnect", form.value());
      await start();
    }),
  );
  return [
    h("p", { class: "muted" }, t("Connect this browser to a profile you already have; approve it on an administration device.")),
    form.fields,
    form.passFields,
    h("div", { class: "row end" }, go),
    line,
  ];
}

/** connectingView waits for the approval, polling the portal. */
export function connectingView(status) {
  const c = status.connecting;
  const line = statusLine();
  const cancel = h("button", { class: "danger", id: "forget" }, t("Start over"));
  cancel.addEventListener("click", () =>
    busy(cancel, line, async () => {
      await bg("forget");
      await start();
    }),
  );
  show(
    header(h("span", { class: "chip warn" }, t("waiting for approval"))),
    h("p", {}, rich("Approve this browser on an administration device of $1.", status.account)),
    h("p", { class: "muted" }, t("Both screens must show the same witness code; if they differ, reject it there.")),
    h("div", { class: "witness", "data-role": "witness" }, c.witness),
    h("label", {}, t("Profile fingerprint")),
    h("div", { class: "mono", "data-role": "profile" }, c.profile),
    h("label", {}, t("This device")),
    h("div", { class: "mono" }, c.deviceId),
    h("div", { class: "row end" }, cancel),
    line,
  );
  const poll = async () => {
    if (!line.isConnected) return undefined; // the person started over
    try {
      const r = await bg("pollConnect");
      if (r.done) {
        line.set("", t("Approved — syncing…"));
        await bg("sync").catch(() => {});
        return start();
      }
    } catch (e) {
      const rejected = e.code === CODES.REJECTED;
      line.set("bad", rejected ? t("The connection was rejected. Start over to try again.") : describe(e));
      if (rejected) return undefined;
    }
    setTimeout(poll, 1500);
    return undefined;
  };
  setTimeout(poll, 500);
}
