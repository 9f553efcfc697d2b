// The entry editor: add a login, or edit or delete one: its name, sites,
// username and password, one-time code URI, notes, folder, tags and custom
// fields (hidden ones masked until shown), and, for a saved login, its
// earlier passwords with their dates (each copyable). Sites are checked by
// the core (checkSite) before saving, and saved as it writes them; the
// password generator is the core's (generatePassword), within its limits
// (rules). The secrets (password, one-time code URI, hidden fields,
// earlier passwords) come from the core's secret, for this one entry.

import { lang, t } from "../../i18n.js";
import { h, header, show, statusLine, confirmClick } from "../dom.js";
import { bg, busy, kept, refusal } from "../popup.js";
import { mainView } from "./main.js";
import { copy, pendingBadge, savedOffline } from "./vault.js";
import { liveCode } from "./totp.js";
import { scanControls } from "./qrscan.js";

const CLASSES = ["lower", "upper", "digits", "symbols"];
const CLASS_NAMES = { lower: () => t("lower"), upper: () => t("upper"), digits: () => t("digits"), symbols: () => t("symbols") };

/** when is a time of the core (RFC 3339) as the person reads it. */
function when(time) {
  const d = new Date(time);
  if (!time || Number.isNaN(d.getTime()) || d.getFullYear() < 2) return "";
  return d.toLocaleString(lang(), { dateStyle: "medium", timeStyle: "short" });
}

/**
 * masked wraps a secret input with a Show/Hide toggle that says what it
 * shows (what: the field's name, for the toggle's label).
 */
function masked(input, what) {
  const toggle = h("button", { class: "small", type: "button", "aria-pressed": "false", "aria-label": t("Show $1", what) }, t("Show"));
  const set = (visible) => {
    input.type = visible ? "text" : "password";
    toggle.textContent = visible ? t("Hide") : t("Show");
    toggle.setAttribute("aria-pressed", String(visible));
    toggle.setAttribute("aria-label", visible ? t("Hide $1", what) : t("Show $1", what));
  };
  toggle.addEventListener("click", () => set(input.type === "password"));
  return { toggle, set };
}

let fieldIds = 0;

/**
 * fieldRow is the editor of one custom field: name, value (masked when
 * hidden, with a Show toggle), hidden or not, remove.
 */
function fieldRow(field, onRemove) {
  const n = ++fieldIds;
  const name = h("input", { type: "text", id: `field-name-${n}`, "data-role": "field-name", value: field.name, autocomplete: "off" });
  const value = h("input", {
    type: field.hidden ? "password" : "text",
    id: `field-value-${n}`,
    "data-role": "field-value",
    value: field.value || "",
    autocomplete: "off",
  });
  const hidden = h("input", { type: "checkbox", id: `field-hidden-${n}`, "data-role": "field-hidden", checked: field.hidden });
  const label = () => name.value.trim() || t("this field");
  const { toggle, set } = masked(value, label());
  toggle.hidden = !field.hidden;
  hidden.addEventListener("change", () => {
    set(!hidden.checked);
    toggle.hidden = !hidden.checked;
  });
  const remove = h("button", { class: "small danger", type: "button", "aria-label": t("Remove the field $1", label()) }, "×");
  name.addEventListener("input", () => {
    remove.setAttribute("aria-label", t("Remove the field $1", label()));
    toggle.setAttribute("aria-label", value.type === "password" ? t("Show $1", label()) : t("Hide $1", label()));
  });
  const row = h(
    "div",
    { class: "field-row", role: "group", "aria-label": t("Custom field"), "data-role": "field" },
    h(
      "div",
      { class: "row" },
      h("div", { class: "grow" }, h("label", { for: name.id, class: "small" }, t("Field name")), name),
      h("div", { class: "grow" }, h("label", { for: value.id, class: "small" }, t("Value")), value),
    ),
    h(
      "div",
      { class: "row" },
      h("label", { class: "inline", for: hidden.id }, hidden, t("hidden")),
      toggle,
      h("span", { class: "grow" }),
      remove,
    ),
  );
  remove.addEventListener("click", () => onRemove(row));
  row.read = () => ({ name: name.value.trim(), value: value.value, hidden: hidden.checked });
  return row;
}

/** historyList lists the earlier passwords, newest first, each with its date and a Copy button. */
function historyList(history, line) {
  return h(
    "ul",
    { class: "list", "data-role": "password-history", "aria-label": t("Earlier passwords") },
    history.map((old, i) => {
      const date = when(old.time) || t("(no date)");
      const b = h(
        "button",
        { class: "small", type: "button", "data-action": "copy-old-password", "aria-label": t("Copy the password set on $1", date) },
        t("Copy"),
      );
      b.addEventListener("click", () => busy(b, line, () => copy(old.password, line)));
      return h(
        "li",
        { "data-index": i },
        h("div", { class: "who" }, h("b", {}, h("time", { datetime: old.time }, date)), h("span", { "aria-hidden": "true" }, "••••••••")),
        b,
      );
    }),
  );
}

/** splitList is a comma- or newline-separated list as typed, trimmed, each once. */
function splitList(typed) {
  return [
    ...new Set(
      typed
        .split(/[,\n]/)
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  ];
}

/**
 * entryForm shows the editor for the entry id, or for a new entry (id
 * null) with tab's site filled in.
 */
export async function entryForm(status, id, tab) {
  let entry = { name: "", sites: [], username: "", password: "", notes: "", totp: "", folder: "", tags: [], fields: [] };
  const [rules, entries, secret] = await Promise.all([bg("rules"), id ? bg("list") : [], id ? bg("secret", { id }) : null]);
  if (id) entry = { ...entry, ...entries.find((e) => e.id === id), ...secret };
  else if (tab && /^https?:/.test(tab.url || "")) entry.sites = [new URL(tab.url).host];
  // secret (after the list) gives the fields with the hidden values, and
  // totp as the URI rather than the list's "has one".
  if (typeof entry.totp !== "string") entry.totp = "";

  const name = h("input", { type: "text", id: "entry-name", value: entry.name || "", autocomplete: "off", placeholder: t("Bank") });
  const sites = h("input", {
    type: "text",
    id: "entry-sites",
    value: entry.sites.join(", "),
    placeholder: t("example.com, *.example.org"),
  });
  const username = h("input", { type: "text", id: "entry-username", value: entry.username, autocomplete: "off" });
  const password = h("input", { type: "password", id: "entry-password", value: entry.password, autocomplete: "off" });
  const { toggle: reveal, set: shown } = masked(password, t("the password"));
  const totp = h("input", {
    type: "password",
    id: "entry-totp",
    value: entry.totp,
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "otpauth://totp/…",
    "aria-describedby": "entry-totp-help",
  });
  const { toggle: revealTotp } = masked(totp, t("the one-time code URI"));
  const notes = h("textarea", { id: "entry-notes" }, entry.notes || "");
  const folder = h("input", { type: "text", id: "entry-folder", value: entry.folder || "", autocomplete: "off" });
  const tags = h("input", {
    type: "text",
    id: "entry-tags",
    value: (entry.tags || []).join(", "),
    autocomplete: "off",
    placeholder: t("work, shared"),
  });
  const line = statusLine();

  const fieldList = h("div", { "data-role": "fields" });
  const removeField = (row) => {
    row.remove();
    addField.focus();
  };
  for (const f of entry.fields || []) fieldList.append(fieldRow(f, removeField));
  const addField = h("button", { class: "small", type: "button", id: "add-field" }, t("Add a field"));
  addField.addEventListener("click", () => {
    const row = fieldRow({ name: "", value: "", hidden: false }, removeField);
    fieldList.append(row);
    row.querySelector("input")?.focus();
  });

  const length = h("input", {
    type: "number",
    id: "gen-length",
    value: rules.generatorDefault,
    min: rules.generatorMin,
    max: rules.generatorMax,
    style: "width:64px",
    "aria-label": t("Length of the generated password"),
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
      const custom = [...fieldList.children].map((row) => row.read()).filter((f) => f.name || f.value);
      if (custom.some((f) => !f.name)) throw refusal(t("A custom field needs a name."));
      const fields = {
        name: name.value.trim(),
        sites: await checkSites(sites.value, entry.sites),
        username: username.value,
        password: password.value,
        totp: totp.value.trim(),
        notes: notes.value,
        folder: folder.value.trim(),
        tags: splitList(tags.value),
        fields: custom,
      };
      const pending = await kept(id ? bg("edit", { id, ...fields }) : bg("add", fields));
      mainView(status, "passwords", pending ? savedOffline() : null);
    }),
  );
  const cancel = h("button", {}, t("Cancel"));
  cancel.addEventListener("click", () => mainView(status, "passwords"));
  const del = id && h("button", { class: "danger", id: "entry-delete" }, t("Delete"));
  if (del) {
    del.addEventListener("click", () =>
      busy(del, line, async () => {
        if (!confirmClick(del, t("Delete"))) return;
        const pending = await kept(bg("remove", { id }));
        mainView(status, "passwords", pending ? savedOffline() : null);
      }),
    );
  }

  const history = (id && entry.passwordHistory) || [];
  const dates = id && [
    when(entry.created) && t("Created $1", when(entry.created)),
    when(entry.updated) && t("updated $1", when(entry.updated)),
  ];
  show(
    header(),
    h("div", { class: "row" }, h("h2", { class: "grow" }, id ? t("Edit login") : t("Add login")), entry.pending && pendingBadge()),
    entry.pending && h("p", { class: "muted", "data-role": "pending-note" }, t("Changed on this device: published at the next sync.")),
    h("label", { for: "entry-name" }, t("Name")),
    name,
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
    h("label", { for: "entry-totp" }, t("One-time codes (TOTP)")),
    id && entry.totp && liveCode(id, line),
    h("div", { class: "row" }, h("div", { class: "grow" }, totp), revealTotp),
    h("div", { class: "muted small", id: "entry-totp-help" }, t("The otpauth:// URI of the site's QR code; empty for none.")),
    scanControls(totp, line),
    h("label", { for: "entry-notes" }, t("Notes")),
    notes,
    h(
      "div",
      { class: "row" },
      h("div", { class: "grow" }, h("label", { for: "entry-folder" }, t("Folder")), folder),
      h("div", { class: "grow" }, h("label", { for: "entry-tags" }, t("Tags")), tags),
    ),
    h("fieldset", { class: "fields" }, h("legend", {}, t("Custom fields")), fieldList, addField),
    history.length > 0 && [h("h2", { id: "history-title" }, t("Earlier passwords")), historyList(history, line)],
    dates && h("p", { class: "muted", "data-role": "dates" }, dates.filter(Boolean).join(" · ")),
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
