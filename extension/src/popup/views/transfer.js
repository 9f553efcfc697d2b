// The import and export page: an extension page in a tab of its own
// (popup.html?page=transfer), opened from Settings, since a file picker
// closes the popup. Import reads a file once: the core previews it
// (importPreview: counts, what is merged, left out and why, what the vault
// already holds) and keeps the entries under a token, and the Import button
// writes them in one bulk write (importCommit). Export (exportVault) asks for the vault
// passphrase again, warns before a plaintext file, and downloads the file
// the core writes through a blob URL.

import { CODES } from "../../background/core-api.js";
import { t } from "../../i18n.js";
import { h, header, notice, show, statusLine } from "../dom.js";
import { bg, busy, describe, refusal, start } from "../popup.js";

/** MAX_FILE is the largest file the core imports (api.MaxImportBytes, the importer's limit). */
const MAX_FILE = 64 << 20;

/**
 * CHUNK is the most bytes sent in one message (api.MaxChunkBytes): a larger
 * file goes to the core in pieces (importUpload), since a message between
 * the page and the worker holds at most 64 MiB of JSON.
 */
const CHUNK = 8 << 20;

/** MAX_KEY_FILE is the largest KeePass key file the core takes (api.MaxKeyFileBytes). */
const MAX_KEY_FILE = 4 << 20;

/** openTransferPage opens the page in a new tab (and closes the popup). */
export async function openTransferPage(inPopup) {
  await chrome.tabs.create({ url: chrome.runtime.getURL("popup.html?page=transfer") });
  if (inPopup) window.close();
}

/** importFormats are the importer's formats (importer.Formats), as the select lists them. */
function importFormats() {
  return [
    ["chrome", t("Chrome, Edge or Brave (CSV)")],
    ["firefox", t("Firefox (CSV)")],
    ["safari", t("Safari or Apple Passwords (CSV)")],
    ["bitwarden", t("Bitwarden (JSON, also password-protected)")],
    ["bitwarden-csv", t("Bitwarden (CSV)")],
    ["1password", t("1Password (1PUX)")],
    ["1password-csv", t("1Password (CSV)")],
    ["lastpass", t("LastPass (CSV)")],
    ["protonpass", t("Proton Pass (JSON, unencrypted)")],
    ["protonpass-csv", t("Proton Pass (CSV)")],
    ["dashlane", t("Dashlane (credentials CSV)")],
    ["keepassxc-csv", t("KeePassXC (CSV)")],
    ["kdbx", t("KeePass or KeePassXC database (KDBX)")],
    ["meshpass", t("meshpass export (JSON, also encrypted)")],
    ["csv", t("meshpass export (CSV)")],
    ["cxf", t("FIDO Credential Exchange Format (CXF, JSON)")],
  ];
}

// CSV_HEADERS recognize a CSV export by the start of its header line
// (lowercase, no quotes); the first that matches wins.
const CSV_HEADERS = [
  ["name,url,username,password,note,totp,folder", "csv"],
  ["name,url,username,password,note", "chrome"],
  ["url,username,password,httprealm", "firefox"],
  ["title,url,username,password,notes,otpauth", "safari"],
  ["folder,favorite,type,name", "bitwarden-csv"],
  ["title,url,username,password,otpauth", "1password-csv"],
  ["url,username,password,totp,extra", "lastpass"],
  ["username,username2", "dashlane"],
  ["type,name,url,email", "protonpass-csv"],
  ["group,title,username,password", "keepassxc-csv"],
];

/**
 * detect guesses a file's format from its name and first bytes where it is
 * obvious, or returns "" (the person chooses).
 */
export function detect(name, head) {
  const lower = name.toLowerCase();
  if (lower.endsWith(".kdbx")) return "kdbx";
  if (lower.endsWith(".1pux")) return "1password";
  const text = head.replace(/^\ufeff/, "");
  if (text.startsWith("-----BEGIN AGE ENCRYPTED FILE-----")) return lower.endsWith(".cxf.json.age") ? "cxf" : "meshpass";
  if (lower.endsWith(".json") || text.trimStart().startsWith("{")) {
    if (/"format"\s*:\s*"meshpass-export"/.test(text)) return "meshpass";
    if (/"vaults"\s*:/.test(text)) return "protonpass";
    if (/"(exporterRpId|credentials)"\s*:/.test(text)) return "cxf";
    if (/"(items|passwordProtected|encKeyValidation_DO_NOT_EDIT)"\s*:/.test(text)) return "bitwarden";
    return "";
  }
  const first = text
    .split(/\r?\n/, 1)[0]
    .replace(/"/g, "")
    .replace(/\s*,\s*/g, ",")
    .toLowerCase();
  for (const [start, format] of CSV_HEADERS) if (first.startsWith(start)) return format;
  return "";
}

/** base64 is the bytes of buf in standard base64. */
function base64(buf) {
  const bytes = new Uint8Array(buf);
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** fromBase64 is the bytes of standard base64 s. */
function fromBase64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * fileArg is importPreview's file: its base64 in one message, or for a
 * file over CHUNK, the name of an upload sent in pieces (progress on line).
 */
async function fileArg(file, line) {
  if (file.size <= CHUNK) return { data: base64(await file.arrayBuffer()) };
  let upload;
  for (let offset = 0; offset < file.size; offset += CHUNK) {
    line.set("", t("Reading the file: $1 of $2 MiB…", String(offset >> 20), String(Math.ceil(file.size / (1 << 20)))));
    const data = base64(await file.slice(offset, offset + CHUNK).arrayBuffer());
    ({ upload } = await bg("importUpload", { upload, size: file.size, offset, data }));
  }
  return { upload };
}

/** table is an accessible table with a caption, column headers and rows of cells. */
function table(role, caption, columns, rows) {
  return h(
    "table",
    { class: "list", "data-role": role },
    h("caption", {}, caption),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        columns.map((c) => h("th", { scope: "col" }, c)),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map((cells) =>
        h(
          "tr",
          {},
          cells.map((c) => h("td", {}, c)),
        ),
      ),
    ),
  );
}

/** rethrowUnlessLocked shows the locked view if the keys were locked meanwhile (idle timeout). */
function rethrowUnlessLocked(e) {
  if (e.code === CODES.LOCKED) {
    start();
    return;
  }
  throw e;
}

/** importSection is the import form, its preview and its result. */
function importSection() {
  const line = statusLine();
  const fileInput = h("input", { type: "file", id: "import-file" });
  const format = h(
    "select",
    { id: "import-format" },
    h("option", { value: "" }, t("Choose the format…")),
    importFormats().map(([id, label]) => h("option", { value: id }, label)),
  );
  const detected = h("p", { class: "muted", "data-role": "import-detected", "aria-live": "polite" });
  const password = h("input", { type: "password", id: "import-password", autocomplete: "off" });
  const keyFile = h("input", { type: "file", id: "import-key-file" });
  const keyRow = h(
    "div",
    { "data-role": "import-key-row", hidden: true },
    h("label", { for: "import-key-file" }, t("Key file of the database (if it has one)")),
    keyFile,
  );
  const passwordRow = h(
    "div",
    { "data-role": "import-password-row", hidden: true },
    h("label", { for: "import-password" }, t("The file's password")),
    password,
  );
  const go = h("button", { class: "primary", id: "import-preview" }, t("Preview"));
  const preview = h("div", { "data-role": "import-preview" });
  const result = h("div", { "data-role": "import-result" });
  let data = null; // importPreview's file argument of a small file, read once per file chosen

  const needsPassword = () => {
    passwordRow.hidden = false;
  };
  const isKDBX = () => {
    keyRow.hidden = format.value !== "kdbx";
    if (format.value === "kdbx") needsPassword();
  };
  format.addEventListener("change", isKDBX);
  fileInput.addEventListener("change", async () => {
    data = null;
    preview.replaceChildren();
    result.replaceChildren();
    line.set("", "");
    const file = fileInput.files[0];
    if (!file) return;
    if (file.size > MAX_FILE) {
      line.set("bad", t("The file is larger than $1 MiB.", String(MAX_FILE >> 20)));
      return;
    }
    const guess = detect(file.name, await file.slice(0, 4096).text());
    if (guess) {
      format.value = guess;
      detected.textContent = t("Format detected: $1", format.selectedOptions[0].textContent);
    } else detected.textContent = t("Choose the format the file was exported in.");
    isKDBX();
  });

  go.addEventListener("click", () =>
    busy(go, line, async () => {
      preview.replaceChildren();
      result.replaceChildren();
      const file = fileInput.files[0];
      if (!file) throw refusal(t("Choose a file first."));
      if (!format.value) throw refusal(t("Choose the format the file was exported in."));
      if (file.size > MAX_FILE) throw refusal(t("The file is larger than $1 MiB.", String(MAX_FILE >> 20)));
      let p;
      try {
        const arg = data ?? (await fileArg(file, line));
        if (arg.data) data = arg; // a small file is read once; an upload is read by one preview
        line.set("", t("Reading the file…"));
        const key = format.value === "kdbx" ? keyFile.files[0] : undefined;
        if (key && key.size > MAX_KEY_FILE) throw refusal(t("The key file is larger than $1 MiB.", String(MAX_KEY_FILE >> 20)));
        const keyData = key ? base64(await key.arrayBuffer()) : undefined;
        p = await bg("importPreview", { format: format.value, ...arg, password: password.value || undefined, keyFile: keyData });
      } catch (e) {
        if (e.code === CODES.PASSWORD_NEEDED) {
          needsPassword();
          password.focus();
          throw refusal(t("The file is encrypted: enter its password, then Preview."));
        }
        if (e.code === CODES.WRONG_PASSWORD) {
          needsPassword();
          password.focus();
          throw refusal(
            format.value === "kdbx"
              ? t("Wrong password or key file for the database (or a damaged file).")
              : t("Wrong password for the file (or a damaged file)."),
          );
        }
        return rethrowUnlessLocked(e);
      }
      line.set("", "");
      preview.replaceChildren(...previewNodes(p, result));
      return undefined;
    }),
  );

  return [
    h("h2", { id: "import-title" }, t("Import")),
    h("p", {}, t("Import the logins of another password manager's export. Nothing is written before you confirm.")),
    h("label", { for: "import-file" }, t("File")),
    fileInput,
    h("label", { for: "import-format" }, t("Format")),
    format,
    detected,
    passwordRow,
    keyRow,
    h("div", { class: "row end" }, go),
    line,
    preview,
    result,
  ];
}

/** previewNodes shows what an import will write, merge and leave out, and the Import button. */
function previewNodes(p, result) {
  const kinds = p.kinds.map((k) => `${k.count} ${k.kind}`).join(", ");
  const summary = [
    h("li", { "data-role": "preview-items" }, t("Items in the file: $1", String(p.items)), kinds ? ` (${kinds})` : ""),
    h("li", { "data-role": "preview-entries" }, t("Entries to import: $1", String(p.entries))),
  ];
  if (p.merged)
    summary.push(
      h("li", { "data-role": "preview-merged" }, t("Duplicates merged (same site, username and password): $1", String(p.merged))),
    );
  if (p.existing) summary.push(h("li", { "data-role": "preview-existing" }, t("Already in the vault, left out: $1", String(p.existing))));
  if (p.skipped) summary.push(h("li", { "data-role": "preview-skipped" }, t("Left out: $1", String(p.skipped))));
  const out = [h("h3", {}, t("Preview")), h("ul", { "data-role": "preview-summary" }, summary)];
  if (p.notes.length) {
    out.push(
      h("p", {}, t("Kept differently:")),
      h(
        "ul",
        { "data-role": "preview-notes" },
        p.notes.map((n) => h("li", {}, n)),
      ),
    );
  }
  if (p.skippedItems.length) {
    out.push(
      table(
        "preview-skipped-items",
        p.skipped > p.skippedItems.length
          ? t("Left out ($1 of $2 shown)", String(p.skippedItems.length), String(p.skipped))
          : t("Left out"),
        [t("Item"), t("Kind"), t("Why")],
        p.skippedItems.map((s) => [s.item, s.kind, s.reason]),
      ),
    );
  }
  if (p.rows.length) {
    out.push(
      table(
        "preview-rows",
        p.entries > p.rows.length ? t("To import ($1 of $2 shown)", String(p.rows.length), String(p.entries)) : t("To import"),
        [t("Name"), t("Sites"), t("Username"), t("Folder"), t("Also")],
        p.rows.map((r) => [
          r.name,
          r.sites.join(", "),
          r.username,
          r.folder || "",
          [r.password ? "" : t("no password"), r.totp ? t("one-time code") : "", r.fields ? t("$1 fields", String(r.fields)) : ""]
            .filter(Boolean)
            .join(", "),
        ]),
      ),
    );
  }
  if (!p.token) {
    out.push(notice("", t("Nothing to import.")));
    return out;
  }
  const line = statusLine();
  const commit = h("button", { class: "primary", id: "import-commit" }, t("Import $1 entries", String(p.entries)));
  commit.addEventListener("click", () =>
    busy(commit, line, async () => {
      line.set("", t("Importing…"));
      let r;
      let pending = false;
      try {
        r = await bg("importCommit", { token: p.token });
      } catch (e) {
        if (e.code !== CODES.PENDING) return rethrowUnlessLocked(e);
        pending = true;
        r = { count: p.entries };
      }
      line.set("", "");
      commit.remove();
      const said = [t("Imported $1 entries.", String(r.count))];
      if (r.existing) said.push(t("$1 were in the vault by then and were left out.", String(r.existing)));
      if (pending) said.push(describe({ code: CODES.PENDING }));
      result.replaceChildren(notice(pending ? "warn" : "ok", said.join(" ")));
      return undefined;
    }),
  );
  out.push(h("div", { class: "row end" }, commit), line);
  return out;
}

/** exportSection is the export form. */
function exportSection(rules) {
  const line = statusLine();
  const format = h(
    "select",
    { id: "export-format" },
    h("option", { value: "meshpass" }, t("meshpass JSON (complete: history included; meshpass imports it back)")),
    h("option", { value: "bitwarden" }, t("Bitwarden JSON (Bitwarden and most managers import it)")),
    h("option", { value: "csv" }, t("CSV (for other managers)")),
    h("option", { value: "cxf" }, t("FIDO Credential Exchange Format (CXF JSON; no history)")),
  );
  const encrypt = h("input", { type: "checkbox", id: "export-encrypt", checked: true });
  const filePass = h("input", { type: "password", id: "export-file-passphrase", autocomplete: "new-password" });
  const filePass2 = h("input", { type: "password", id: "export-file-passphrase2", autocomplete: "new-password" });
  const encrypted = h(
    "div",
    { "data-role": "export-encrypted" },
    h("label", { for: "export-file-passphrase" }, t("Passphrase for the file (at least $1 characters)", String(rules.passphraseMin))),
    filePass,
    h("label", { for: "export-file-passphrase2" }, t("Repeat it")),
    filePass2,
  );
  const plaintextOK = h("input", { type: "checkbox", id: "export-plaintext-ok" });
  const warning = h(
    "div",
    { "data-role": "export-warning", hidden: true },
    notice("warn", t("Without encryption the file holds every password in plaintext: anyone who reads it reads them all.")),
    h("label", { class: "inline" }, plaintextOK, t("I understand; write the passwords in plaintext")),
  );
  const sync = () => {
    encrypted.hidden = !encrypt.checked;
    warning.hidden = encrypt.checked;
  };
  encrypt.addEventListener("change", sync);
  const pass = h("input", { type: "password", id: "export-passphrase", autocomplete: "current-password" });
  const go = h("button", { class: "primary", id: "export" }, t("Export"));
  const result = h("div", { "data-role": "export-result" });
  go.addEventListener("click", () =>
    busy(go, line, async () => {
      result.replaceChildren();
      const arg = { format: format.value, passphrase: pass.value };
      if (encrypt.checked) {
        const ok = await bg("checkPassphrase", { passphrase: filePass.value });
        if (!ok.ok) throw refusal(ok.reason);
        if (filePass.value !== filePass2.value) throw refusal(t("The two passphrases differ."));
        Object.assign(arg, { encrypt: true, filePassphrase: filePass.value });
      } else if (!plaintextOK.checked) {
        throw refusal(t("Confirm the plaintext export, or encrypt it."));
      }
      if (!pass.value) throw refusal(t("Enter this device's passphrase."));
      line.set("", t("Writing the export…"));
      let r;
      try {
        r = await bg("exportVault", arg);
      } catch (e) {
        return rethrowUnlessLocked(e);
      } finally {
        pass.value = "";
      }
      line.set("", "");
      const url = URL.createObjectURL(new Blob([fromBase64(r.data)], { type: r.mediaType }));
      const link = h("a", { href: url, download: r.fileName, "data-role": "export-link" }, r.fileName);
      result.replaceChildren(
        notice(
          r.encrypted ? "ok" : "warn",
          r.encrypted
            ? t("Exported $1 entries, encrypted.", String(r.entries))
            : t("Exported $1 entries in plaintext: keep the file safe and delete it when done.", String(r.entries)),
        ),
        h("p", {}, t("Saved to your downloads as: "), link),
      );
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 120_000);
      return undefined;
    }),
  );
  sync();
  return [
    h("h2", { id: "export-title" }, t("Export")),
    h("label", { for: "export-format" }, t("Format")),
    format,
    h("label", { class: "inline" }, encrypt, t("Encrypt the file with a passphrase")),
    encrypted,
    warning,
    h("label", { for: "export-passphrase" }, t("This device's passphrase (asked again for an export)")),
    pass,
    h("div", { class: "row end" }, go),
    line,
    result,
  ];
}

/** transferPage is the import and export page. */
export async function transferPage(status) {
  document.body.classList.add("page");
  document.title = t("meshpass: import and export");
  const rules = await bg("rules").catch(() => ({ passphraseMin: 8 }));
  show(
    header(),
    h("div", { class: "muted" }, status.account, " · ", status.portal),
    h("section", { "data-role": "import", "aria-labelledby": "import-title" }, importSection()),
    h("section", { "data-role": "export", "aria-labelledby": "export-title" }, exportSection(rules)),
  );
}
