// The Passwords page of the unlocked view: save offers waiting for an
// answer, the logins for the tab's site first (Fill), then every login
// with a search (a virtual list: only the rows on screen are built);
// copy the username or password (the clipboard is cleared 30 s later),
// edit, add.

import { t } from "../../i18n.js";
import { CODES } from "../../background/core-api.js";
import { h, markPainted, rich, statusLine } from "../dom.js";
import { bg, busy, describe, inPopup, siteMatches, start } from "../popup.js";
import { virtualList } from "../vlist.js";
import { entryForm } from "./entry.js";
import { mainView } from "./main.js";
import { copyCode } from "./totp.js";

/**
 * filledSays is what the popup says after a fill: "Filled." only when
 * every field the fill meant to fill holds its value.
 */
export function filledSays(r) {
  if (r.cancelled && !r.username && !r.password) return ["warn", t("Not filled: you chose Cancel on the page.")];
  if (r.code) return ["ok", t("Filled the one-time code."), true];
  if (r.otp && r.noCode && !r.username && !r.password) return ["warn", t("This page asks for a one-time code, and this login has none.")];
  if (!r.fields) return ["warn", t("No login form to fill on this page (yet).")];
  if (r.waiting) return ["ok", t("Filled the username. The password follows on the next step of this login.")];
  if (r.password && (r.username || !r.wantedUsername)) return ["ok", t("Filled."), true];
  if (r.password) return ["warn", t("Filled the password only: no username field took the username.")];
  return ["warn", t("The page did not take the login. Copy it instead.")];
}

/**
 * siteIcon is the site's icon from the browser's own favicon cache
 * (Chromium's _favicon/ with the "favicon" permission): it never makes a
 * request, and shows a neutral globe for a site the browser has not seen.
 * Firefox has no such cache for extensions: no icon there.
 */
export function siteIcon(site, pageURL) {
  if (!FAVICONS) return null;
  const host = String(site || "").replace(/^\*\./, "");
  if (!host && !pageURL) return null;
  const url = new URL(chrome.runtime.getURL("/_favicon/"));
  url.searchParams.set("pageUrl", pageURL || `https://${host}/`);
  url.searchParams.set("size", "16");
  return h("img", { class: "favicon", src: url.href, alt: "", width: 16, height: 16, loading: "lazy", "data-role": "favicon" });
}

const FAVICONS = (chrome.runtime.getManifest().permissions || []).includes("favicon");

/** pendingBadge marks an entry changed on this device and not yet published. */
export function pendingBadge() {
  return h(
    "span",
    { class: "chip warn", "data-role": "pending", title: t("Changed on this device: published at the next sync.") },
    t("pending"),
  );
}

/** SAVED_OFFLINE is what the page says after a change was kept on this device. */
export const savedOffline = () => ["warn", t("Saved on this device; published at the next sync (the portal cannot be reached now).")];

/** copy puts text on the clipboard, cleared 30 s later, and says so in line. */
export async function copy(text, line) {
  await navigator.clipboard.writeText(text);
  await bg("copied");
  line.set("ok", t("Copied. The clipboard is cleared in 30 seconds."));
}

/**
 * passwordsPage builds the page's nodes. It resolves as soon as the
 * logins for the tab's site (asked of the core first, ranked by the
 * site index) and the save offers are there: the list of all logins
 * loads after that first paint, into a virtual list (vlist.js) that
 * builds only the rows on screen. The nodes' refresh() reads the vault
 * again and updates the page in place (after a sync), keeping the
 * search, the scroll position and the focus.
 */
export async function passwordsPage(status) {
  const line = statusLine();
  const [{ tab, matches }, offers] = await Promise.all([siteMatches(), bg("offers")]);
  performance.mark("meshpass:matches"); // make bench: this site's logins answered
  const web = tab && /^https?:/.test(tab.url || "");
  const askMatches = () => (web ? bg("match", { url: tab.url, allowHTTP: true }) : Promise.resolve([]));

  const row = (e, canFill) => h("li", { "data-entry": e.id }, rowContent(e, canFill));
  const rowContent = (e, canFill) => {
    const who = e.name
      ? t("$1 ($2 on $3)", e.name, e.username || t("(no username)"), e.sites[0] || "?")
      : t("$1 on $2", e.username || t("(no username)"), e.sites[0] || "?");
    // A login of another host of the site fills only from a click that
    // names the host it was saved for; an insecure page says so first.
    const sibling = canFill && e.match?.kind === "registrable-domain";
    const insecure = canFill && e.match?.insecure;
    let label = t("Fill");
    if (sibling) label = t("Fill from $1", e.match.site);
    const fill =
      canFill &&
      h(
        "button",
        {
          class: insecure ? "small warn" : "small primary",
          "data-action": "fill",
          "aria-label": insecure ? t("Fill $1 (this page is not secure)", who) : t("Fill $1", who),
          title: insecure ? t("This page is not secure (http): the page will ask before filling") : null,
        },
        label,
      );
    if (fill) {
      fill.addEventListener("click", () =>
        busy(fill, line, async () => {
          const r = await bg("fillTab", { tabId: tab.id, id: e.id, url: tab.url });
          const [kind, text, all] = filledSays(r);
          if (all && inPopup) window.close();
          else line.set(kind, text);
        }),
      );
    }
    const copyUser = h(
      "button",
      { class: "small", title: t("Copy the username"), "aria-label": t("Copy the username of $1", who) },
      t("User"),
    );
    copyUser.addEventListener("click", () => busy(copyUser, line, () => copy(e.username, line)));
    const copyPass = h(
      "button",
      { class: "small", title: t("Copy the password"), "aria-label": t("Copy the password of $1", who), "data-action": "copy-password" },
      t("Pass"),
    );
    copyPass.addEventListener("click", () => busy(copyPass, line, async () => copy((await bg("secret", { id: e.id })).password, line)));
    // An entry with a one-time code: copy its current code.
    const copyTotp =
      e.totp &&
      h(
        "button",
        {
          class: "small",
          title: t("Copy the one-time code"),
          "aria-label": t("Copy the one-time code of $1", who),
          "data-action": "copy-code",
        },
        t("Code"),
      );
    if (copyTotp) copyTotp.addEventListener("click", () => busy(copyTotp, line, () => copyCode(e.id, line)));
    const edit = h("button", { class: "small", "data-action": "edit", "aria-label": t("Edit $1", who) }, t("Edit"));
    edit.addEventListener("click", () => busy(edit, line, () => entryForm(status, e.id)));
    return [
      siteIcon(e.sites[0], canFill && e.match?.kind !== "registrable-domain" ? tab.url : null),
      h(
        "div",
        { class: "who" },
        h("b", {}, e.name || e.username || t("(no username)"), e.pending && " ", e.pending && pendingBadge()),
        h("span", {}, e.name ? `${e.username || t("(no username)")} · ${e.sites.join(", ")}` : e.sites.join(", ")),
        sibling && h("span", { class: "muted" }, t("saved for another host of this site")),
      ),
      fill,
      copyUser,
      copyPass,
      copyTotp,
      edit,
    ];
  };

  const offered = h("div", { "data-role": "offers" });
  const showOffers = (list) => offered.replaceChildren(...list.map((o) => offer(status, o, line)));
  showOffers(offers);
  const out = [offered];

  // This site's logins: the few the core matched, built whole.
  const site = h("div", { "data-role": "site" });
  const showMatches = (list) => {
    const nodes = [];
    if (list.some((m) => m.match?.insecure)) {
      nodes.push(
        h(
          "p",
          { class: "notice warn", "data-role": "insecure" },
          t("This page is not secure (http): what is filled crosses the network unencrypted."),
        ),
      );
    }
    nodes.push(
      list.length
        ? h(
            "ul",
            { class: "list", "data-role": "matches" },
            list.map((m) => row(m, true)),
          )
        : h("p", { class: "muted", "data-role": "matches" }, t("No saved login for this site.")),
    );
    site.replaceChildren(...nodes);
  };
  if (web) {
    let host = "";
    try {
      host = new URL(tab.url).host;
    } catch {
      // an unparsable URL: no host to name
    }
    showMatches(matches);
    out.push(h("h2", {}, t("For $1", host)), site);
  }

  // Every login: a virtual list, filled once the list arrives.
  let entries = null;
  const search = h("input", { type: "search", id: "search", placeholder: t("Search logins") });
  const all = virtualList({
    attrs: { "data-role": "entries", "aria-label": t("All logins") },
    key: (e) => e.id,
    fill: (li, e) => {
      li.dataset.entry = e.id;
      li.replaceChildren(...rowContent(e, false).filter(Boolean));
    },
    empty: () => (entries === null ? t("Loading all logins…") : search.value.trim() ? t("Nothing matches.") : t("No logins saved yet.")),
  });
  const shown = () => {
    const q = search.value.trim().toLowerCase();
    return q ? entries.filter((e) => haystack(e).includes(q)) : entries;
  };
  search.addEventListener("input", () => {
    if (entries !== null) all.setItems(shown());
  });
  const showAll = (list) => {
    if (entries === null) markPainted("meshpass:list-painted");
    entries = list;
    search.placeholder = t("Search $1 logins", list.length);
    all.setItems(shown());
  };
  all.setItems([]);
  // A failure after first paint is said on the page's status line; a
  // lock meanwhile shows the locked view.
  const failed = (e) => (e.code === CODES.LOCKED ? start() : line.set("bad", describe(e)));
  // After first paint: the list, asked once the matches were answered so
  // that the core answers the site's logins first.
  const listed = bg("list").then(showAll, failed);

  const add = h("button", { class: "primary", id: "add" }, t("Add login"));
  add.addEventListener("click", () => busy(add, line, () => entryForm(status, null, tab)));
  out.push(h("div", { class: "row" }, h("h2", { class: "grow" }, t("All logins")), add), search, all.element, line);

  out.refresh = async () => {
    await listed;
    try {
      const [m, o, list] = await Promise.all([askMatches(), bg("offers"), bg("list")]);
      showOffers(o);
      if (web) showMatches(m);
      showAll(list);
    } catch (e) {
      await failed(e);
    }
    performance.mark("meshpass:refreshed"); // make bench: the page updated after its sync
  };
  return out;
}

// The text a search looks in, lower case, kept per entry object (a new
// list from the core is new objects).
const haystacks = new WeakMap();
function haystack(e) {
  let s = haystacks.get(e);
  if (s === undefined) {
    s = [e.name, e.username, ...e.sites, e.notes, e.folder, ...(e.tags || [])].filter(Boolean).join("\n").toLowerCase();
    haystacks.set(e, s);
  }
  return s;
}

// offer is a save offer a page made, with its two answers; or the warning
// that the password typed there is another site's.
function offer(status, o, line) {
  if (o.otherSite) {
    const ok = h("button", { class: "small" }, t("I understand"));
    ok.addEventListener("click", () =>
      busy(ok, line, async () => {
        await bg("answerOffer", { tabId: o.tabId, save: false });
        mainView(status, "passwords");
      }),
    );
    return h(
      "div",
      { class: "notice bad", role: "alert", "data-role": "warning" },
      rich(
        "You typed your password for $1 on $2. If that page asked for your $1 login, it may be a fake: change that password on $1 itself.",
        o.otherSite,
        o.host,
      ),
      h("div", { class: "row end" }, ok),
    );
  }
  const yes = h("button", { class: "small primary", "data-action": "save-offer" }, o.update ? t("Update") : t("Save"));
  const no = h("button", { class: "small" }, t("Not now"));
  const answer = (save) =>
    busy(save ? yes : no, line, async () => {
      const r = await bg("answerOffer", { tabId: o.tabId, save });
      mainView(status, "passwords", r?.pending ? savedOffline() : null);
    });
  yes.addEventListener("click", () => answer(true));
  no.addEventListener("click", () => answer(false));
  return h(
    "div",
    { class: "notice", "data-role": "offer" },
    o.update ? rich("Update the password of $1 on $2?", o.username, o.host) : rich("Save the login $1 on $2?", o.username, o.host),
    h("div", { class: "row end" }, no, yes),
  );
}
