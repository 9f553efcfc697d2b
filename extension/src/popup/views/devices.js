// The Devices page of the unlocked view: on an administration device the
// devices asking to connect (approve only if the witness codes agree, or
// reject) and the escrow form; on every device the profile's devices
// (an administration device may remove the others) and the profile's
// fingerprint.

import { confirmClick, h, notice, statusLine } from "../dom.js";
import { bg, busy, plain, refusal } from "../popup.js";
import { mainView } from "./main.js";
import { sharesBlock } from "./recovered.js";

/** devicesPage builds the page's nodes. */
export async function devicesPage(status) {
  const line = statusLine();
  const out = [];
  if (status.administrator) out.push(...(await pendingSection(status, line)));
  const devices = await bg("devices");
  out.push(h("h2", {}, "Devices of this profile"));
  out.push(
    h(
      "ul",
      { class: "list", "data-role": "devices" },
      devices.map((d) => deviceRow(status, d, line)),
    ),
  );
  if (status.administrator) out.push(...escrowSection(await bg("rules")));
  out.push(h("h2", {}, "Profile fingerprint"), h("div", { class: "mono", "data-role": "fingerprint" }, status.fingerprint), line);
  return out;
}

async function pendingSection(status, line) {
  const pending = await bg("pending");
  const out = [h("h2", {}, "Devices asking to connect")];
  if (pending.length === 0) out.push(h("p", { class: "muted", "data-role": "pending" }, "No device is asking to connect."));
  for (const q of pending) {
    const approve = h("button", { class: "small primary", "data-action": "approve", disabled: Boolean(q.error) }, "Approve");
    const reject = h("button", { class: "small danger", "data-action": "reject" }, "Reject");
    const act = (cmd, button) =>
      busy(button, line, async () => {
        line.set("", cmd === "approve" ? "Adding the device and re-encrypting the vault…" : "Rejecting…");
        await bg(cmd, { deviceId: q.deviceId });
        mainView(status, "devices");
      });
    approve.addEventListener("click", () => act("approve", approve));
    reject.addEventListener("click", () => act("reject", reject));
    out.push(
      h(
        "div",
        { class: "notice", "data-role": "pending", "data-device": q.deviceId },
        h("b", {}, q.description || "A device"),
        " asks to connect.",
        h("p", { class: "muted" }, "Approve only if it shows this witness code:"),
        h("div", { class: "witness", "data-role": "witness" }, q.witness || "—"),
        h("div", { class: "mono muted" }, q.deviceId),
        q.error && notice("bad", `This request does not verify: ${plain(q.error)}`),
        h("div", { class: "row end" }, reject, approve),
      ),
    );
  }
  return out;
}

function deviceRow(status, d, line) {
  const remove = status.administrator && !d.this && h("button", { class: "small danger", "data-action": "remove-device" }, "Remove");
  if (remove) {
    remove.addEventListener("click", () =>
      busy(remove, line, async () => {
        if (!confirmClick(remove, "Remove")) return;
        line.set("", "Removing the device and re-encrypting the vault…");
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
      h("b", {}, d.description || "Device", d.this ? " (this browser)" : "", d.administrator ? " · admin" : ""),
      h("span", { class: "mono" }, d.deviceId),
    ),
    remove,
  );
}

// escrowSection is the form that splits a new escrow key into shares,
// within the core's limits (rules, checkShares).
function escrowSection(rules) {
  const line = statusLine();
  const limits = { min: rules.thresholdMin, max: rules.sharesMax, style: "width:56px" };
  const threshold = h("input", { type: "number", id: "escrow-threshold", value: rules.thresholdMin, ...limits });
  const count = h("input", {
    type: "number",
    id: "escrow-shares",
    value: Math.max(rules.sharesMin, rules.thresholdMin + 1),
    ...limits,
    min: rules.sharesMin,
  });
  const pass = h("input", { type: "password", id: "escrow-passphrase", autocomplete: "current-password" });
  const out = h("div", { "data-role": "escrow-result" });
  const go = h("button", { id: "escrow" }, "Create escrow shares");
  go.addEventListener("click", () =>
    busy(go, line, async () => {
      const split = { threshold: Number(threshold.value), shares: Number(count.value) };
      const ok = await bg("checkShares", split);
      if (!ok.ok) throw refusal(ok.reason);
      line.set("", "Replacing the recovery keys and publishing the escrow…");
      const r = await bg("escrow", { passphrase: pass.value, ...split });
      pass.value = "";
      line.set("", "");
      out.replaceChildren(...sharesBlock(r.shares, r.threshold || split.threshold));
      if (r.error) line.set("bad", `${plain(r.error)} The shares above are valid nonetheless.`);
    }),
  );
  return [
    h("h2", {}, "Recovery escrow"),
    h("p", { class: "muted" }, "Split a recovery key into shares so you can get everything back after losing every device."),
    h("div", { class: "row" }, "Need", threshold, "of", count, "shares"),
    h("label", { for: "escrow-passphrase" }, "This device's passphrase"),
    h("div", { class: "row" }, h("div", { class: "grow" }, pass), go),
    out,
    line,
  ];
}
