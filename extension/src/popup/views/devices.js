// The Devices page of the unlocked view: on an administration device the
// devices asking to connect (approve only if the witness codes agree, or
// reject) and the way to the escrow page (escrow.js); on every device the profile's devices
// (an administration device may remove the others) and the profile's
// fingerprint.

import { t } from "../../i18n.js";
import { confirmClick, h, notice, rich, statusLine } from "../dom.js";
import { bg, busy, inPopup, plain } from "../popup.js";
import { openEscrowPage } from "./escrow.js";
import { mainView } from "./main.js";

/** devicesPage builds the page's nodes. */
export async function devicesPage(status) {
  const line = statusLine();
  const out = [];
  if (status.administrator) out.push(...(await pendingSection(status, line)));
  const devices = await bg("devices");
  out.push(h("h2", {}, t("Devices of this profile")));
  out.push(
    h(
      "ul",
      { class: "list", "data-role": "devices" },
      devices.map((d) => deviceRow(status, d, line)),
    ),
  );
  if (status.administrator) out.push(...escrowSection());
  out.push(h("h2", {}, t("Profile fingerprint")), h("div", { class: "mono", "data-role": "fingerprint" }, status.fingerprint), line);
  return out;
}

async function pendingSection(status, line) {
  const pending = await bg("pending");
  const out = [h("h2", {}, t("Devices asking to connect"))];
  if (pending.length === 0) out.push(h("p", { class: "muted", "data-role": "pending" }, t("No device is asking to connect.")));
  for (const q of pending) {
    const approve = h("button", { class: "small primary", "data-action": "approve", disabled: Boolean(q.error) }, t("Approve"));
    const reject = h("button", { class: "small danger", "data-action": "reject" }, t("Reject"));
    const act = (cmd, button) =>
      busy(button, line, async () => {
        line.set("", cmd === "approve" ? t("Adding the device and re-encrypting the vault…") : t("Rejecting…"));
        await bg(cmd, { deviceId: q.deviceId });
        mainView(status, "devices");
      });
    approve.addEventListener("click", () => act("approve", approve));
    reject.addEventListener("click", () => act("reject", reject));
    out.push(
      h(
        "div",
        { class: "notice", "data-role": "pending", "data-device": q.deviceId },
        rich("$1 asks to connect.", q.description || t("A device")),
        h("p", { class: "muted" }, t("Approve only if it shows this witness code:")),
        h("div", { class: "witness", "data-role": "witness" }, q.witness || "—"),
        h("div", { class: "mono muted" }, q.deviceId),
        q.error && notice("bad", t("This request does not verify: $1", plain(q.error))),
        h("div", { class: "row end" }, reject, approve),
      ),
    );
  }
  return out;
}

function deviceRow(status, d, line) {
  const remove = status.administrator && !d.this && h("button", { class: "small danger", "data-action": "remove-device" }, t("Remove"));
  if (remove) {
    remove.addEventListener("click", () =>
      busy(remove, line, async () => {
        if (!confirmClick(remove, t("Remove"))) return;
        line.set("", t("Removing the device and re-encrypting the vault…"));
        await bg("removeDevice", { deviceId: d.deviceId });
        mainView(status, "devices");
      }),
    );
  }
  return h(
    "li",
    { "data-device": d.deviceId },
    h(
      "div",
      { class: "who" },
      h("b", {}, d.description || t("Device"), d.this ? ` ${t("(this browser)")}` : "", d.administrator ? ` · ${t("admin")}` : ""),
      h("span", { class: "mono" }, d.deviceId),
    ),
    remove,
  );
}

// escrowSection opens the escrow page (escrow.js) in a tab of its own, so
// that the shares do not vanish with the popup.
function escrowSection() {
  const open = h("button", { id: "escrow-open" }, t("Create escrow shares…"));
  open.addEventListener("click", () => openEscrowPage(inPopup));
  return [
    h("h2", {}, t("Recovery escrow")),
    h(
      "p",
      { class: "muted" },
      t(
        "Split a recovery key into shares so you can get everything back after losing every device. They open in a tab of their own, beside the account and portal to write down with them.",
      ),
    ),
    h("div", { class: "row" }, open),
  ];
}
