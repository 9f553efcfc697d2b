// The Create tab of the setup view: a new profile on a portal, with this
// browser as its first administration device. The account name is checked
// as it is typed, first by the core's rules (checkAccount), then with the
// portal (validate).

import { t } from "../../i18n.js";
import { h } from "../dom.js";
import { bg, busy, describe, start } from "../popup.js";

/** createForm is the Create tab's content, over the shared setup fields. */
export function createForm(form) {
  const { portal, account, accountNote, line } = form;
  const chip = (kind, text) => accountNote.replaceChildren(h("span", { class: `chip ${kind}` }, text));
  let timer;
  let asked = 0;
  const check = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++asked; // only the latest answer counts
      const name = account.value.trim();
      if (!name) return accountNote.replaceChildren("");
      try {
        const local = await bg("checkAccount", { account: name });
        if (mine !== asked) return undefined;
        if (!local.ok) return chip("bad", local.reason);
        const v = await bg("validate", { portal: portal.value.trim(), account: local.account || name });
        if (mine !== asked) return undefined;
        return v.valid ? chip("ok", t("available")) : chip("bad", v.reason);
      } catch (e) {
        if (mine === asked) chip("warn", describe(e));
        return undefined;
      }
    }, 300);
  };
  account.addEventListener("input", check);
  portal.addEventListener("change", check);

  const invitation = h("input", { type: "text", id: "invitation", autocomplete: "off", spellcheck: "false" });
  const go = h("button", { class: "primary", id: "create" }, t("Create profile"));
  go.addEventListener("click", () =>
    busy(go, line, async () => {
      await form.checkPassphrase();
      line.set("", t("Creating keys and the profile…"));
      await form.savePortal();
      await bg("create", { ...form.value(), invitation: invitation.value.trim() });
      await start();
    }),
  );
  return [
    h("p", { class: "muted" }, t("A new profile on a portal: this browser becomes its first administration device.")),
    form.fields,
    h("label", { for: "invitation" }, t("Invitation code (only if the portal's operator gave you one)")),
    invitation,
    form.passFields,
    h("div", { class: "row end" }, go),
    line,
  ];
}
