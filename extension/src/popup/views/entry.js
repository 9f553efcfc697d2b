// The entry editor: add a login, or edit or delete one. Sites are checked
// by the core (checkSite) before saving, and saved as it writes them; the
// password generator is the core's (generatePassword), within its limits
// (rules).

import { t } from "../../i18n.js";
import { h, header, show, statusLine, confirmClick } from "../dom.js";
import { bg, busy, refusal } from "../popup.js";
import { mainView } from "./main.js";

const CLASSES = ["lower", "upper", "digits", "symbols"];
const CLASS_NAMES = { lower: () => t("lower"), upper: () => t("upper"), digits: () => t("digits"), symbols: () => t("symbols") };

/**
 * entryForm shows the editor for the entry id, or for a new entry (id
 * null) with tab's site filled in.
 */
export async function entryForm(status, id, tab) {
  let entry = { sites: [], username: "", password: "", notes: "" };
  const [rules, entries, secret] = await Promise.all([bg("rules"), id ? bg("list") : [], id ? bg("secret", { id }) : null]);
  if (id) entry = { ...entry, ...entries.find((e) => e.id === id), ...secret };
  else if (tab && /^https?:/.test(tab.url || "")) entry.sites = [new URL(tab.url).host];

  const sites = h("input", {
    type: "text",
    id: "entry-sites",
    value: entry.sites.join(", "),
    placeholder: t("example.com, *.example.org"),
  });
  const username = h("input", { type: "text", id: "entry-username", value: entry.username, autocomplete: "off" });
  const password = h("input", { type: "password", id: "entry-password", value: entry.password, autocomplete: "off" });
  const notes = h("textarea", { id: "entry-notes" }, entry.notes || "");
  const reveal = h("button", { class: "small", type: "button" }, t("Show"));
  const shown = (visible) => {
    password.type = visible ? "text" : "password";
    reveal.textContent = visible ? t("Hide") : t("Show");
  };
  reveal.addEventListener("click", () => shown(password.type === "password"));
  const line = statusLine();

  const length = h("input", {
    type: "number",
    id: "gen-length",
    value: rules.generatorDefault,
    min: rules.generatorMin,
    max: rules.generatorMax,
    style: "width:64px",
  });
  const boxes = CLASSES.map((c) => h("input", { type: "checkbox", "data-class": c, checked: true }));
  const avoidAmbiguous = h("input", { type: "checkbox", id: "gen-avoid-ambiguous" });
  const gen = h("button", { class: "small", type: "button", id: "generate" }, t("Generate"));
  gen.addEventListener("click", () =>
    busy(gen, line, async () => {
      const ask = { length: Number(length.value), avoidAmbiguous: avoidAmbiguous.checked };
      for (const b of boxes) ask[b.dataset.class] = b.checked;
      password.value = (await bg("generatePassword", ask)).password;
      shown(true);
    }),
  );

  const save = h("button", { class: "primary", id: "entry-save" }, t("Save"));
  save.addEventListener("click", () =>
    busy(save, line, async () => {
      const fields = {
        sites: await checkSites(sites.value, entry.sites),
        username: username.value,
        password: password.value,
        notes: notes.value,
      };
      if (id) await bg("edit", { id, ...fields });
      else await bg("add", fields);
      mainView(status, "passwords");
    }),
  );
  const cancel = h("button", {}, t("Cancel"));
  cancel.addEventListener("click", () => mainView(status, "passwords"));
  const del = id && h("button", { class: "danger", id: "entry-delete" }, t("Delete"));
  if (del) {
    del.addEventListener("click", () =>
      busy(del, line, async () => {
        if (!confirmClick(del, t("Delete"))) return;
        await bg("remove", { id });
        mainView(status, "passwords");
      }),
    );
  }
  show(
    header(),
    h("h2", {}, id ? t("Edit login") : t("Add login")),
    h("label", { for: "entry-sites" }, t("Sites")),
    sites,
    h("label", { for: "entry-username" }, t("Username")),
    username,
    h("label", { for: "entry-password" }, t("Password")),
    h("div", { class: "row" }, h("div", { class: "grow" }, password), reveal),
    h(
      "div",
      { class: "row", style: "margin-top:6px;flex-wrap:wrap" },
      gen,
      length,
      boxes.map((b) => h("label", { class: "inline" }, b, CLASS_NAMES[b.dataset.class]())),
      h("label", { class: "inline" }, avoidAmbiguous, t("no look-alikes")),
    ),
    h("label", { for: "entry-notes" }, t("Notes")),
    notes,
    h("div", { class: "row end", style: "margin-top:10px" }, del, h("span", { class: "grow" }), cancel, save),
    line,
  );
}

// checkSites splits what was typed into sites and has the core check each
// one the entry did not have (kept, those stay as they are, as the core's
// edit keeps them: a site saved before today's rules does not block an
// edit); it resolves with the sites as the core writes them, or rejects
// with the reason the first bad one is refused (which names the site).
async function checkSites(typed, had = []) {
  const list = typed.split(/[\s,]+/).filter(Boolean);
  if (list.length === 0) throw refusal(t("Give at least one site."));
  const checked = await Promise.all(list.map((site) => (had.includes(site) ? { ok: true, site } : bg("checkSite", { site }))));
  const bad = checked.findIndex((r) => !r.ok);
  if (bad >= 0) throw refusal(checked[bad].reason);
  return checked.map((r, i) => r.site || list[i]);
}
