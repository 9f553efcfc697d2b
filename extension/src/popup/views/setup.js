// The setup view, shown while this browser has no device: three tabs,
// Create (create.js), Connect (connect.js) and Recover (recover.js), over
// the fields they share — the portal, the account, this device's name and
// the passphrase that seals its keys.

import { t } from "../../i18n.js";
import { h, header, show, statusLine, tabs } from "../dom.js";
import { bg, refusal } from "../popup.js";
import { createForm } from "./create.js";
import { connectForm } from "./connect.js";
import { recoverForm } from "./recover.js";

const FORMS = { create: createForm, connect: connectForm, recover: recoverForm };

/** setupView shows the setup tab named tab ("create", "connect" or "recover"). */
export async function setupView(tab = "create") {
  const settings = await bg("settings");
  const nav = tabs(
    "data-tab",
    [
      ["create", t("Create")],
      ["connect", t("Connect")],
      ["recover", t("Recover")],
    ],
    tab,
    setupView,
  );
  const form = setupForm(settings);
  const intro = h(
    "p",
    { class: "muted", "data-role": "intro" },
    t(
      "meshpass keeps your passwords encrypted on your own devices. A portal (the server, which never sees a password) relays them between the devices of your account.",
    ),
  );
  const what = {
    create: t("Create: a new account on a portal, with this browser as its first device."),
    connect: t("Connect: add this browser to an account you have; you approve it on one of its devices."),
    recover: t("Recover: every device lost? Your escrow shares bring the account back here."),
  }[tab];
  show(header(), intro, nav, h("p", { class: "muted" }, what), FORMS[tab](form));
}

/**
 * setupForm makes the shared fields. Its checkPassphrase rejects a
 * passphrase the core refuses or one typed differently twice; value() is
 * the argument of create, startConnect and recover.
 */
function setupForm(settings) {
  const portal = h("input", { type: "url", id: "portal", value: settings.portal, required: true });
  const account = h("input", { type: "text", id: "account", autocomplete: "off", spellcheck: "false", required: true });
  const device = h("input", { type: "text", id: "device", value: defaultDeviceName() });
  const pass = h("input", { type: "password", id: "passphrase", autocomplete: "new-password" });
  const pass2 = h("input", { type: "password", id: "passphrase2", autocomplete: "new-password" });
  const accountNote = h("div", { class: "muted", "data-role": "account-note" });
  return {
    portal,
    account,
    accountNote,
    line: statusLine(),
    fields: [
      h("label", { for: "portal" }, t("Portal")),
      portal,
      h("label", { for: "account" }, t("Account")),
      account,
      accountNote,
      h("label", { for: "device" }, t("This device's name")),
      device,
    ],
    passFields: [
      h("label", { for: "passphrase" }, t("Passphrase for this device")),
      pass,
      h("label", { for: "passphrase2" }, t("Passphrase again")),
      pass2,
      h("p", { class: "muted" }, t("It seals this device's keys; it never leaves this browser.")),
    ],
    async checkPassphrase() {
      const r = await bg("checkPassphrase", { passphrase: pass.value });
      if (!r.ok) throw refusal(r.reason);
      if (pass.value !== pass2.value) throw refusal(t("The two passphrases differ."));
    },
    value: () => ({ portal: portal.value.trim(), account: account.value.trim(), passphrase: pass.value, deviceName: device.value.trim() }),
    /** savePortal keeps the portal as the default for the next setup. */
    savePortal: () => bg("setSettings", { portal: portal.value.trim() }),
  };
}

function defaultDeviceName() {
  const p = navigator.userAgentData?.platform || navigator.platform || "";
  const browser = /Firefox\//.test(navigator.userAgent) ? "Firefox" : "Chromium";
  return p ? t("$1 on $2", browser, p) : browser;
}
