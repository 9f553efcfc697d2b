// The popup: set up (create, connect, recover), unlock, the vault (this
// site's logins first, then search), devices, escrow and settings. It only
// talks to the service worker, which runs the core; it holds a password
// only while showing or copying it.

import qrcode from "qrcode-generator";
import { h, show } from "./dom.js";
import { CLASSES, generate } from "./generator.js";

const params = new URLSearchParams(location.search);
// ?tab=N targets a tab other than the active one (the end-to-end tests open
// the popup as a page of its own).
const pinnedTab = params.has("tab") ? Number(params.get("tab")) : null;
const inPopup = pinnedTab === null;

/** bg calls the service worker; it rejects with the core's coded error. */
async function bg(cmd, arg) {
  const r = await chrome.runtime.sendMessage({ cmd, arg });
  if (!r) throw Object.assign(new Error("the extension's worker did not answer"), { code: "internal" });
  if (r.error) throw Object.assign(new Error(r.error.message), r.error);
  return r.ok;
}

const VERIFY_CODES = new Set(["verification_failed", "wrong_profile", "rollback", "log", "tampered"]);

/** describe turns an error into what the person reads. */
function describe(e) {
  if (e.code === "transport") return `The portal cannot be reached (${e.message}).`;
  if (VERIFY_CODES.has(e.code) || e.check) return `Verification failed — the portal's data was refused: ${e.message}`;
  if (e.code === "wrong_passphrase") return "Wrong passphrase.";
  return e.message;
}

function notice(kind, text) {
  return h("div", { class: `notice ${kind}`, role: kind === "bad" ? "alert" : "status" }, text);
}

// statusLine is a node views write progress and errors into.
function statusLine() {
  const el = h("div", { class: "status", "data-role": "status" });
  el.set = (kind, text) => el.replaceChildren(text ? notice(kind, text) : "");
  return el;
}

// busy runs work with button disabled and reports failure in line.
async function busy(button, line, work) {
  button.disabled = true;
  line.set("", "");
  try {
    return await work();
  } catch (e) {
    line.set("bad", describe(e));
    return undefined;
  } finally {
    button.disabled = false;
  }
}

function header(...right) {
  return h("div", { class: "topbar" }, h("h1", { class: "grow" }, h("span", { class: "logo" }), "meshpass"), ...right);
}

async function targetTab() {
  if (pinnedTab !== null) return pinnedTab >= 0 ? chrome.tabs.get(pinnedTab).catch(() => null) : null;
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  return tab || null;
}

// ---- start ----

async function start() {
  let status;
  try {
    status = await bg("status");
  } catch (e) {
    show(header(), notice("bad", describe(e)));
    return;
  }
  if (!status.device) return setupView();
  if (status.connecting) return connectingView(status);
  if (!status.unlocked) return lockedView(status);
  return mainView(status);
}

// ---- not set up ----

async function setupView(tab = "create") {
  const settings = await bg("settings");
  const tabs = [["create", "Create"], ["connect", "Connect"], ["recover", "Recover"]];
  const nav = h("div", { class: "tabs", role: "tablist" },
    tabs.map(([id, label]) => h("button", { role: "tab", "aria-selected": String(id === tab), "data-tab": id, onclick: () => setupView(id) }, label)));
  const portal = h("input", { type: "url", id: "portal", value: settings.portal, required: true });
  const account = h("input", { type: "text", id: "account", autocomplete: "off", spellcheck: "false", required: true });
  const device = h("input", { type: "text", id: "device", value: defaultDeviceName() });
  const pass = h("input", { type: "password", id: "passphrase", autocomplete: "new-password" });
  const pass2 = h("input", { type: "password", id: "passphrase2", autocomplete: "new-password" });
  const accountNote = h("div", { class: "muted", "data-role": "account-note" });
  const line = statusLine();
  const fields = [
    h("label", { for: "portal" }, "Portal"), portal,
    h("label", { for: "account" }, "Account"), account, accountNote,
    h("label", { for: "device" }, "This device's name"), device,
  ];
  const passFields = [
    h("label", { for: "passphrase" }, "Passphrase for this device"), pass,
    h("label", { for: "passphrase2" }, "Passphrase again"), pass2,
    h("p", { class: "muted" }, "It seals this device's keys; it never leaves this browser."),
  ];
  const checkPass = () => {
    if (pass.value.length < 8) throw Object.assign(new Error("Choose a passphrase of at least 8 characters."), { code: "bad_request" });
    if (pass.value !== pass2.value) throw Object.assign(new Error("The two passphrases differ."), { code: "bad_request" });
  };
  const setup = () => ({ portal: portal.value.trim(), account: account.value.trim(), passphrase: pass.value, deviceName: device.value.trim() });

  if (tab === "create") {
    // The account name is checked with the portal as it is typed.
    let timer;
    const check = () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        if (!account.value.trim()) return accountNote.replaceChildren("");
        try {
          const v = await bg("validate", { portal: portal.value.trim(), account: account.value.trim() });
          accountNote.replaceChildren(v.valid ? h("span", { class: "chip ok" }, "available") : h("span", { class: "chip bad" }, v.reason));
        } catch (e) {
          accountNote.replaceChildren(h("span", { class: "chip warn" }, describe(e)));
        }
      }, 300);
    };
    account.addEventListener("input", check);
    portal.addEventListener("change", check);
    const go = h("button", { class: "primary", id: "create" }, "Create profile");
    go.addEventListener("click", () => busy(go, line, async () => {
      checkPass();
      line.set("", "Creating keys and the profile…");
      await bg("setSettings", { portal: portal.value.trim() });
      await bg("create", setup());
      await start();
    }));
    show(header(), nav, h("p", { class: "muted" }, "A new profile on a portal: this browser becomes its first administration device."), fields, passFields, h("div", { class: "row end" }, go), line);
  } else if (tab === "connect") {
    const go = h("button", { class: "primary", id: "connect" }, "Ask to connect");
    go.addEventListener("click", () => busy(go, line, async () => {
      checkPass();
      await bg("setSettings", { portal: portal.value.trim() });
      await bg("startConnect", setup());
      await start();
    }));
    show(header(), nav, h("p", { class: "muted" }, "Connect this browser to a profile you already have; approve it on an administration device."), fields, passFields, h("div", { class: "row end" }, go), line);
  } else {
    const shares = h("textarea", { id: "shares", rows: 4, spellcheck: "false", placeholder: "One share per line" });
    const removeOthers = h("input", { type: "checkbox", id: "remove-others", checked: true });
    const go = h("button", { class: "primary", id: "recover" }, "Recover");
    go.addEventListener("click", () => busy(go, line, async () => {
      checkPass();
      const list = shares.value.split("\n").map((s) => s.trim()).filter(Boolean);
      line.set("", "Rebuilding the escrow key and restoring the profile…");
      await bg("setSettings", { portal: portal.value.trim() });
      const r = await bg("recover", { ...setup(), shares: list, removeOthers: removeOthers.checked });
      recoveredView(r, list.length);
    }));
    show(header(), nav,
      h("p", { class: "muted" }, "Lost every device? Enter the escrow shares you wrote down; this browser becomes an administration device."),
      fields, h("label", { for: "shares" }, "Shares"), shares,
      h("label", { class: "inline" }, removeOthers, "Remove the lost devices from the profile"),
      passFields, h("div", { class: "row end" }, go), line);
  }
}

// recoveredView shows the new escrow shares a recovery made (the ones
// used are void: recovery replaced the keys they open) before the vault.
function recoveredView(r, threshold) {
  const go = h("button", { class: "primary", id: "recovered-continue" }, "I have written them down");
  go.addEventListener("click", () => start());
  show(header(h("span", { class: "chip ok" }, "recovered")),
    h("p", {}, "Your profile is back, and this browser is its administration device. Recovery replaced the keys your old shares opened, so they are void: here are new ones."),
    r.error && notice("bad", `${r.error} The shares below are valid nonetheless.`),
    ...sharesBlock(r.shares || [], r.threshold || threshold),
    h("div", { class: "row end" }, go));
}

function defaultDeviceName() {
  const p = navigator.userAgentData?.platform || navigator.platform || "";
  return `Chromium${p ? ` on ${p}` : ""}`;
}

// ---- connecting ----

function connectingView(status) {
  const c = status.connecting;
  const line = statusLine();
  const cancel = h("button", { class: "danger", id: "forget" }, "Start over");
  cancel.addEventListener("click", () => busy(cancel, line, async () => {
    await bg("forget");
    await start();
  }));
  show(header(h("span", { class: "chip warn" }, "waiting for approval")),
    h("p", {}, "Approve this browser on an administration device of ", h("b", {}, status.account), "."),
    h("p", { class: "muted" }, "Both screens must show the same witness code; if they differ, reject it there."),
    h("div", { class: "witness", "data-role": "witness" }, c.witness),
    h("label", {}, "Profile fingerprint"), h("div", { class: "mono", "data-role": "profile" }, c.profile),
    h("label", {}, "This device"), h("div", { class: "mono" }, c.deviceId),
    h("div", { class: "row end" }, cancel), line);
  const poll = async () => {
    try {
      const r = await bg("pollConnect");
      if (r.done) {
        line.set("", "Approved — syncing…");
        await bg("sync").catch(() => {});
        return start();
      }
    } catch (e) {
      line.set("bad", e.code === "rejected" ? "The connection was rejected. Start over to try again." : describe(e));
      if (e.code === "rejected") return undefined;
    }
    setTimeout(poll, 1500);
    return undefined;
  };
  setTimeout(poll, 500);
}

// ---- locked ----

function lockedView(status) {
  const pass = h("input", { type: "password", id: "unlock-passphrase", autocomplete: "current-password", autofocus: true });
  const line = statusLine();
  const go = h("button", { class: "primary", id: "unlock" }, "Unlock");
  const unlock = () => busy(go, line, async () => {
    await bg("unlock", { passphrase: pass.value });
    await start();
  });
  go.addEventListener("click", unlock);
  pass.addEventListener("keydown", (e) => e.key === "Enter" && unlock());
  show(header(h("span", { class: "chip" }, "locked")),
    h("p", {}, "Unlock ", h("b", {}, status.account), " on this device."),
    h("label", { for: "unlock-passphrase" }, "Passphrase"), pass,
    h("div", { class: "row end" }, go), line);
  pass.focus();
}

// ---- unlocked ----

let current = { status: null, page: "passwords", sync: null };

async function mainView(status, page = current.page) {
  current = { ...current, status, page };
  const chip = h("span", { class: "chip", "data-role": "sync" }, "syncing…");
  const syncButton = h("button", { class: "small", title: "Sync with the portal", id: "sync" }, "Sync");
  const lockButton = h("button", { class: "small", id: "lock" }, "Lock");
  lockButton.addEventListener("click", async () => {
    await bg("lock");
    if (inPopup) window.close();
    else start();
  });
  const pages = [["passwords", "Passwords"], ["devices", "Devices"], ["settings", "Settings"]];
  const nav = h("div", { class: "tabs", role: "tablist" },
    pages.map(([id, label]) => h("button", { role: "tab", "aria-selected": String(id === page), "data-page": id, onclick: () => mainView(status, id) }, label)));
  const body = h("div", { "data-role": "page" });
  const banner = h("div", { "data-role": "sync-error" });
  show(header(chip, syncButton, lockButton), h("div", { class: "muted" }, status.account, " · ", status.portal), banner, nav, body);

  const sync = async () => {
    chip.className = "chip";
    chip.textContent = "syncing…";
    try {
      await bg("sync");
      chip.className = "chip ok";
      chip.textContent = "synced";
      banner.replaceChildren();
      current.sync = "ok";
    } catch (e) {
      const unreachable = e.code === "transport";
      chip.className = unreachable ? "chip warn" : "chip bad";
      chip.textContent = unreachable ? "portal unreachable" : "verification failed";
      const said = describe(e);
      banner.replaceChildren(notice(unreachable ? "warn" : "bad", `${said}${/[.!?]$/.test(said) ? "" : "."} Showing the last verified copy.`));
      current.sync = e.code;
    }
  };
  syncButton.addEventListener("click", async () => {
    await sync();
    renderPage(status, page, body);
  });
  // Show the last verified copy at once, and again after the sync — unless
  // the person has started typing or clicking in it meanwhile.
  let used = false;
  for (const event of ["input", "click"]) body.addEventListener(event, () => { used = true; });
  await renderPage(status, page, body);
  await sync();
  if (!used && body.isConnected) renderPage(status, page, body, () => used || !body.isConnected);
}

// renderPage builds a page of the vault view into body. stale, if given,
// is asked once the page is built: if it says the person has used the page
// meanwhile, the new page is dropped rather than pulled from under them.
async function renderPage(status, page, body, stale = () => false) {
  let nodes;
  try {
    if (page === "passwords") nodes = await passwordsPage(status);
    else if (page === "devices") nodes = await devicesPage(status);
    else nodes = await settingsPage(status);
  } catch (e) {
    if (e.code === "locked") return start();
    nodes = [notice("bad", describe(e))];
  }
  if (!stale()) body.replaceChildren(...nodes);
  return undefined;
}

async function copy(text, line) {
  await navigator.clipboard.writeText(text);
  await bg("copied");
  line.set("ok", "Copied. The clipboard is cleared in 30 seconds.");
}

async function passwordsPage(status) {
  const line = statusLine();
  const [entries, tab, offers] = await Promise.all([bg("list"), targetTab(), bg("offers")]);
  let matches = [];
  if (tab && /^https?:/.test(tab.url || "")) matches = await bg("match", { url: tab.url, allowHTTP: true });
  const out = [];

  for (const o of offers) {
    const yes = h("button", { class: "small primary", "data-action": "save-offer" }, o.update ? "Update" : "Save");
    const no = h("button", { class: "small" }, "Not now");
    const answer = (save) => busy(save ? yes : no, line, async () => {
      await bg("answerOffer", { tabId: o.tabId, save });
      mainView(status, "passwords");
    });
    yes.addEventListener("click", () => answer(true));
    no.addEventListener("click", () => answer(false));
    out.push(h("div", { class: "notice", "data-role": "offer" },
      o.update ? "Update the password of " : "Save the login ", h("b", {}, o.username), " on ", h("b", {}, o.host), "?",
      h("div", { class: "row end" }, no, yes)));
  }

  const row = (e, canFill) => {
    const fill = canFill && h("button", { class: "small primary", "data-action": "fill" }, "Fill");
    if (fill) {
      fill.addEventListener("click", () => busy(fill, line, async () => {
        const r = await bg("fillTab", { tabId: tab.id, id: e.id });
        if (!r.username && !r.password) line.set("warn", "No login form to fill on this page (yet).");
        else if (inPopup) window.close();
        else line.set("ok", "Filled.");
      }));
    }
    const copyUser = h("button", { class: "small", title: "Copy the username" }, "User");
    copyUser.addEventListener("click", () => busy(copyUser, line, () => copy(e.username, line)));
    const copyPass = h("button", { class: "small", title: "Copy the password", "data-action": "copy-password" }, "Pass");
    copyPass.addEventListener("click", () => busy(copyPass, line, async () => copy((await bg("secret", { id: e.id })).password, line)));
    const edit = h("button", { class: "small", "data-action": "edit" }, "Edit");
    edit.addEventListener("click", () => entryForm(status, e.id));
    return h("li", { "data-entry": e.id },
      h("div", { class: "who" }, h("b", {}, e.username || "(no username)"), h("span", {}, e.sites.join(", "))),
      fill, copyUser, copyPass, edit);
  };

  if (tab && /^https?:/.test(tab.url || "")) {
    let host = "";
    try {
      host = new URL(tab.url).host;
    } catch {}
    out.push(h("h2", {}, `For ${host}`));
    out.push(matches.length
      ? h("ul", { class: "list", "data-role": "matches" }, matches.map((m) => row(m, true)))
      : h("p", { class: "muted", "data-role": "matches" }, "No saved login for this site."));
  }
  const search = h("input", { type: "search", id: "search", placeholder: `Search ${entries.length} logins` });
  const list = h("ul", { class: "list", "data-role": "entries" });
  const render = () => {
    const q = search.value.trim().toLowerCase();
    const shown = entries.filter((e) => !q || e.username.toLowerCase().includes(q) || e.sites.some((s) => s.toLowerCase().includes(q)) || (e.notes || "").toLowerCase().includes(q));
    list.replaceChildren(...shown.map((e) => row(e, false)));
    if (shown.length === 0) list.append(h("li", { class: "muted" }, q ? "Nothing matches." : "No logins saved yet."));
  };
  search.addEventListener("input", render);
  render();
  const add = h("button", { class: "primary", id: "add" }, "Add login");
  add.addEventListener("click", () => entryForm(status, null, tab));
  out.push(h("div", { class: "row" }, h("h2", { class: "grow" }, "All logins"), add), search, list, line);
  return out;
}

async function entryForm(status, id, tab) {
  let entry = { sites: [], username: "", password: "", notes: "" };
  if (id) entry = await bg("secret", { id });
  else if (tab && /^https?:/.test(tab.url || "")) entry.sites = [new URL(tab.url).host];
  const sites = h("input", { type: "text", id: "entry-sites", value: entry.sites.join(", "), placeholder: "example.com, *.example.org" });
  const username = h("input", { type: "text", id: "entry-username", value: entry.username, autocomplete: "off" });
  const password = h("input", { type: "password", id: "entry-password", value: entry.password, autocomplete: "off" });
  const notes = h("textarea", { id: "entry-notes" }, entry.notes || "");
  const reveal = h("button", { class: "small", type: "button" }, "Show");
  reveal.addEventListener("click", () => {
    password.type = password.type === "password" ? "text" : "password";
    reveal.textContent = password.type === "password" ? "Show" : "Hide";
  });
  const line = statusLine();
  const len = h("input", { type: "number", id: "gen-length", value: 20, min: 4, max: 128, style: "width:64px" });
  const boxes = Object.keys(CLASSES).map((c) => h("input", { type: "checkbox", "data-class": c, checked: true }));
  const gen = h("button", { class: "small", type: "button", id: "generate" }, "Generate");
  gen.addEventListener("click", () => {
    try {
      password.value = generate(Number(len.value), boxes.filter((b) => b.checked).map((b) => b.dataset.class));
      password.type = "text";
      reveal.textContent = "Hide";
    } catch (e) {
      line.set("bad", e.message);
    }
  });
  const save = h("button", { class: "primary", id: "entry-save" }, "Save");
  save.addEventListener("click", () => busy(save, line, async () => {
    const list = sites.value.split(/[\s,]+/).filter(Boolean);
    if (list.length === 0) throw Object.assign(new Error("Give at least one site."), { code: "bad_request" });
    const fields = { sites: list, username: username.value, password: password.value, notes: notes.value };
    if (id) await bg("edit", { id, ...fields });
    else await bg("add", fields);
    mainView(status, "passwords");
  }));
  const cancel = h("button", {}, "Cancel");
  cancel.addEventListener("click", () => mainView(status, "passwords"));
  const del = id && h("button", { class: "danger", id: "entry-delete" }, "Delete");
  if (del) {
    del.addEventListener("click", () => busy(del, line, async () => {
      if (del.dataset.sure !== "yes") {
        del.dataset.sure = "yes";
        del.textContent = "Delete — sure?";
        return;
      }
      await bg("remove", { id });
      mainView(status, "passwords");
    }));
  }
  show(header(), h("h2", {}, id ? "Edit login" : "Add login"),
    h("label", { for: "entry-sites" }, "Sites"), sites,
    h("label", { for: "entry-username" }, "Username"), username,
    h("label", { for: "entry-password" }, "Password"), h("div", { class: "row" }, h("div", { class: "grow" }, password), reveal),
    h("div", { class: "row", style: "margin-top:6px;flex-wrap:wrap" }, gen, len,
      boxes.map((b) => h("label", { class: "inline" }, b, b.dataset.class))),
    h("label", { for: "entry-notes" }, "Notes"), notes,
    h("div", { class: "row end", style: "margin-top:10px" }, del, h("span", { class: "grow" }), cancel, save), line);
}

async function devicesPage(status) {
  const line = statusLine();
  const out = [];
  if (status.administrator) {
    const pending = await bg("pending");
    out.push(h("h2", {}, "Devices asking to connect"));
    if (pending.length === 0) out.push(h("p", { class: "muted", "data-role": "pending" }, "No device is asking to connect."));
    for (const q of pending) {
      const approve = h("button", { class: "small primary", "data-action": "approve", disabled: Boolean(q.error) }, "Approve");
      const reject = h("button", { class: "small danger", "data-action": "reject" }, "Reject");
      const act = (cmd, button) => busy(button, line, async () => {
        line.set("", cmd === "approve" ? "Adding the device and re-encrypting the vault…" : "Rejecting…");
        await bg(cmd, { deviceId: q.deviceId });
        mainView(status, "devices");
      });
      approve.addEventListener("click", () => act("approve", approve));
      reject.addEventListener("click", () => act("reject", reject));
      out.push(h("div", { class: "notice", "data-role": "pending", "data-device": q.deviceId },
        h("b", {}, q.description || "A device"), " asks to connect.",
        h("p", { class: "muted" }, "Approve only if it shows this witness code:"),
        h("div", { class: "witness", "data-role": "witness" }, q.witness || "—"),
        h("div", { class: "mono muted" }, q.deviceId),
        q.error && notice("bad", `This request does not verify: ${q.error}`),
        h("div", { class: "row end" }, reject, approve)));
    }
  }
  const devices = await bg("devices");
  out.push(h("h2", {}, "Devices of this profile"));
  out.push(h("ul", { class: "list", "data-role": "devices" }, devices.map((d) => {
    const remove = status.administrator && !d.this && h("button", { class: "small danger", "data-action": "remove-device" }, "Remove");
    if (remove) {
      remove.addEventListener("click", () => busy(remove, line, async () => {
        if (remove.dataset.sure !== "yes") {
          remove.dataset.sure = "yes";
          remove.textContent = "Remove — sure?";
          return;
        }
        line.set("", "Removing the device and re-encrypting the vault…");
        await bg("removeDevice", { deviceId: d.deviceId });
        mainView(status, "devices");
      }));
    }
    return h("li", { "data-device": d.deviceId },
      h("div", { class: "who" }, h("b", {}, d.description || "Device", d.this ? " (this browser)" : "", d.administrator ? " · admin" : ""), h("span", { class: "mono" }, d.deviceId)),
      remove);
  })));
  if (status.administrator) out.push(...escrowSection());
  out.push(h("h2", {}, "Profile fingerprint"), h("div", { class: "mono", "data-role": "fingerprint" }, status.fingerprint), line);
  return out;
}

// sharesBlock shows escrow shares once: text and a QR code each, with the
// warning that goes with them.
function sharesBlock(shares, threshold) {
  return [
    notice("warn", `Write these ${shares.length} shares down or print them, and keep them in different places. Any ${threshold} of them rebuild your profile; they are shown only now and never stored. Shares made before are void.`),
    ...shares.map((text, i) => {
      const qr = qrcode(0, "M");
      qr.addData(text);
      qr.make();
      const img = h("img", { alt: `QR code of share ${i + 1}`, width: 96, height: 96, src: qr.createDataURL(3, 2) });
      return h("div", { class: "share", "data-role": "share" }, img, h("div", {}, h("b", {}, `Share ${i + 1}`), h("div", { class: "mono" }, text)));
    }),
  ];
}

function escrowSection() {
  const line = statusLine();
  const threshold = h("input", { type: "number", id: "escrow-threshold", value: 2, min: 2, max: 10, style: "width:56px" });
  const count = h("input", { type: "number", id: "escrow-shares", value: 3, min: 2, max: 10, style: "width:56px" });
  const pass = h("input", { type: "password", id: "escrow-passphrase", autocomplete: "current-password" });
  const out = h("div", { "data-role": "escrow-result" });
  const go = h("button", { id: "escrow" }, "Create escrow shares");
  go.addEventListener("click", () => busy(go, line, async () => {
    line.set("", "Replacing the recovery keys and publishing the escrow…");
    const r = await bg("escrow", { passphrase: pass.value, threshold: Number(threshold.value), shares: Number(count.value) });
    pass.value = "";
    line.set("", "");
    out.replaceChildren(...sharesBlock(r.shares, Number(threshold.value)));
    if (r.error) line.set("bad", `${r.error} The shares above are valid nonetheless.`);
  }));
  return [h("h2", {}, "Recovery escrow"),
    h("p", { class: "muted" }, "Split a recovery key into shares so you can get everything back after losing every device."),
    h("div", { class: "row" }, "Need", threshold, "of", count, "shares"),
    h("label", { for: "escrow-passphrase" }, "This device's passphrase"), h("div", { class: "row" }, h("div", { class: "grow" }, pass), go),
    out, line];
}

async function settingsPage() {
  const s = await bg("settings");
  const line = statusLine();
  const portal = h("input", { type: "url", id: "settings-portal", value: s.portal });
  const fillOnLoad = h("input", { type: "checkbox", id: "settings-fill-on-load", checked: s.fillOnLoad });
  const lock = h("input", { type: "number", id: "settings-lock", value: s.lockMinutes, min: 1, max: 1440, style: "width:72px" });
  const save = h("button", { class: "primary", id: "settings-save" }, "Save settings");
  save.addEventListener("click", () => busy(save, line, async () => {
    await bg("setSettings", { portal: portal.value.trim(), fillOnLoad: fillOnLoad.checked, lockMinutes: Number(lock.value) });
    line.set("ok", "Saved.");
  }));
  return [
    h("label", { for: "settings-portal" }, "Portal for new profiles"), portal,
    h("label", { class: "inline" }, fillOnLoad, "Fill on page load when exactly one login matches (https only)"),
    h("label", { for: "settings-lock" }, "Lock after this many idle minutes"), lock,
    h("div", { class: "row end", style: "margin-top:10px" }, save), line,
  ];
}

start();
