// The Devices page of the unlocked view: on an administration device the
// devices asking to connect (listing them answers their witness exchange;
// approve only if the witness codes agree, or reject) and the way to the escrow page (escrow.js); on every device the profile's devices
// (an administration device may remove the others) and the profile's
// fingerprint.

import { CODES } from "../../background/core-api.js";
import { t } from "../../i18n.js";
import { confirmClick, h, notice, rich, statusLine } from "../dom.js";
import { bg, busy, describe, inPopup, plain } from "../popup.js";
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
  const box = h("div", { "data-role": "pending-section" });
  await fillPending(box, status, line);
  return [box, connectCodeSection(line)];
}

// connectCodeSection issues a connect code for the device about to
// connect: a request made with it is kept however many other requests a
// flood sends to the portal.
function connectCodeSection(line) {
  const shown = h("div", { class: "mono", "data-role": "connect-code" });
  const issue = h("button", { class: "small", id: "issue-connect-code" }, t("Issue a connect code"));
  issue.addEventListener("click", () =>
    busy(issue, line, async () => {
      const { code } = await bg("issueConnectCode");
      shown.replaceChildren(code);
      line.set("ok", t("Type this code in the new device's Connect tab. It works once, for a day."));
    }),
  );
  return h(
    "div",
    {},
    h(
      "p",
      { class: "muted" },
      t("Connecting a new device? A connect code lets its request through even if others flood the portal with requests."),
    ),
    h("div", { class: "row" }, issue),
    shown,
  );
}

// fillPending lists the requests into box; while a device is still
// answering its witness exchange, it lists them again every 2 s (until
// the page goes).
async function fillPending(box, status, line) {
  const pending = await bg("pending");
  const out = [h("h2", {}, t("Devices asking to connect"))];
  if (pending.length === 0) out.push(h("p", { class: "muted", "data-role": "pending" }, t("No device is asking to connect.")));
  for (const q of pending) {
    const ready = !q.error && !q.waiting && Boolean(q.witness);
    const approve = h("button", { class: "small primary", "data-action": "approve", disabled: !ready }, t("Approve"));
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
        { class: "notice", "data-role": "pending", "data-device": q.deviceId, "data-waiting": q.waiting ? "yes" : undefined },
        rich("$1 asks to connect.", q.description || t("A device")),
        q.waiting
          ? h("p", { class: "muted" }, t("Waiting for the device to answer; its witness code appears here in a moment."))
          : h("p", { class: "muted" }, t("Approve only if the device shows this witness code and this identifier:")),
        h("div", { class: "witness", "data-role": "witness" }, q.witness || "—"),
        h("div", { class: "mono muted", "data-role": "request-device" }, q.deviceId),
        q.error && notice("bad", t("This request cannot be approved: $1", plain(q.error))),
        h("div", { class: "row end" }, reject, approve),
      ),
    );
  }
  box.replaceChildren(...out);
  if (pending.some((q) => q.waiting && !q.error)) {
    setTimeout(() => {
      if (box.isConnected) fillPending(box, status, line).catch((e) => line.set("bad", describe(e)));
    }, 2000);
  }
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

/**
 * unapprovedNotice is what the sync banner shows when the profile lists
 * devices this device never approved that the vault would be re-encrypted
 * to (code unapproved_device): the devices, and a button to let them read
 * the passwords (repair, confirming them). done runs after the repair.
 */
export async function unapprovedNotice(done) {
  const list = await bg("unapprovedDevices");
  const line = statusLine();
  const confirm = h("button", { class: "small danger", "data-action": "confirm-devices" }, t("Let them read the passwords"));
  confirm.addEventListener("click", () =>
    busy(confirm, line, async () => {
      if (!confirmClick(confirm, t("Let them read the passwords"))) return;
      await bg("repair", { confirm: list.map((d) => d.deviceId) });
      done();
    }),
  );
  return h(
    "div",
    { class: "notice bad", role: "alert", "data-role": "unapproved" },
    h(
      "p",
      {},
      t("Your profile now lists devices this browser never approved. The passwords are re-encrypted to them only if you confirm:"),
    ),
    h(
      "ul",
      { class: "list" },
      list.map((d) =>
        h("li", { "data-device": d.deviceId }, h("b", {}, d.description || t("Device")), " ", h("span", { class: "mono" }, d.deviceId)),
      ),
    ),
    h("p", { class: "muted" }, t("If you do not know them, remove them on an administration device.")),
    h("div", { class: "row end" }, confirm),
    line,
  );
}

/** isUnapproved reports the error of a sync refused for unapproved devices. */
export function isUnapproved(e) {
  return e && e.code === CODES.UNAPPROVED_DEVICE;
}
