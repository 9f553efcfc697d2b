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
  const code = h("input", { type: "text", id: "connect-code", autocomplete: "off", spellcheck: "false" });
  const go = h("button", { class: "primary", id: "connect" }, t("Ask to connect"));
  go.addEventListener("click", () =>
    busy(go, line, async () => {
      await form.checkPassphrase();
      await form.savePortal();
      await bg("startConnect", { ...form.value(), code: code.value.trim() });
      await start();
    }),
  );
  return [
    h("p", { class: "muted" }, t("Connect this browser to a profile you already have; approve it on an administration device.")),
    form.fields,
    h("label", { for: "connect-code" }, t("Connect code (optional: Devices, Issue a connect code, on your other device)")),
    code,
    form.passFields,
    h("div", { class: "row end" }, go),
    line,
  ];
}

/**
 * connectingView first asks the person to confirm the profile fingerprint
 * (first contact), then waits for the approval, polling the portal: the
 * witness code appears once an administration device has listed the
 * request and this browser has answered its witness exchange.
 */
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
  const profile = [h("label", {}, t("Profile fingerprint")), h("div", { class: "mono", "data-role": "profile" }, c.profile)];
  const device = [h("label", {}, t("This device")), h("div", { class: "mono", "data-role": "device" }, c.deviceId)];
  if (!c.confirmed) {
    const yes = h("button", { class: "primary", id: "confirm-profile" }, t("Yes, it is my profile"));
    yes.addEventListener("click", () =>
      busy(yes, line, async () => {
        await bg("confirmProfile", { fingerprint: c.profile });
        await start();
      }),
    );
    show(
      header(h("span", { class: "chip warn" }, t("check the profile"))),
      h("p", {}, rich("Is this the fingerprint of your profile $1?", status.account)),
      h(
        "p",
        { class: "muted" },
        t(
          "Compare it with the fingerprint on the Devices page of a device you already use. If it differs, start over: this is not your profile.",
        ),
      ),
      profile,
      h("div", { class: "row end" }, cancel, yes),
      line,
    );
    return;
  }
  const witness = h("div", { class: "witness", "data-role": "witness", hidden: !c.witness }, c.witness || "");
  const waiting = h(
    "p",
    { class: "muted", "data-role": "witness-waiting", hidden: Boolean(c.witness) },
    t("Open the Devices page on an administration device: the witness code appears here once it lists this request."),
  );
  const admin = h("div", { class: "mono muted", "data-role": "administrator" }, c.administrator || "");
  show(
    header(h("span", { class: "chip warn" }, t("waiting for approval"))),
    h("p", {}, rich("Approve this browser on an administration device of $1.", status.account)),
    h(
      "p",
      { class: "muted" },
      t("Both screens must show the same witness code and this device's identifier; if they differ, reject it there."),
    ),
    waiting,
    witness,
    device,
    h("label", {}, t("Administration device")),
    admin,
    profile,
    h("div", { class: "row end" }, cancel),
    line,
  );
  const poll = async () => {
    if (!line.isConnected) return undefined; // the person started over
    try {
      const r = await bg("pollConnect");
      if (r.witness) {
        witness.textContent = r.witness;
        witness.hidden = false;
        waiting.hidden = true;
        admin.textContent = r.administrator || "";
      }
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
