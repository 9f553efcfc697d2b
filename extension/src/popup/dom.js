// The popup's DOM helpers: a small element builder, h("button", {class:
// "primary", onclick}, "Save") (text is always set as text, never parsed
// as HTML), and the pieces every view uses: the header, notices and the
// status line a view reports progress and errors in.

import { t } from "../i18n.js";

/** h makes an element with attributes (on* are listeners) and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "value") el.value = v;
    else if (k === "checked") el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** show replaces the contents of the app element. */
export function show(...children) {
  const app = document.getElementById("app");
  app.replaceChildren(...children.flat(Infinity).filter(Boolean));
}

/** header is the top bar: the name, then whatever goes on the right. */
export function header(...right) {
  return h("div", { class: "topbar" }, h("h1", { class: "grow" }, h("span", { class: "logo" }), "meshpass"), ...right);
}

/** notice is a message box of kind "ok", "warn", "bad" or "" (neutral). */
export function notice(kind, text) {
  return h("div", { class: `notice ${kind}`, role: kind === "bad" ? "alert" : "status" }, text);
}

/**
 * statusLine is a node a view writes progress and errors into:
 * line.set(kind, text) shows a notice, line.set("", "") clears it.
 */
export function statusLine() {
  const el = h("div", { class: "status", "data-role": "status" });
  el.set = (kind, text) => el.replaceChildren(text ? notice(kind, text) : "");
  return el;
}

/** tabs is a row of tab buttons; key is the data attribute naming each. */
export function tabs(key, list, selected, choose) {
  const ids = list.map(([id]) => id);
  // Arrow keys, Home and End move between the tabs (the WAI-ARIA tabs
  // pattern); only the selected tab is in the Tab order.
  const onkeydown = (e) => {
    const i = ids.indexOf(selected);
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: ids.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const next = ids[(to + ids.length) % ids.length];
    const focus = () => document.querySelector(`[role=tab][${key}="${next}"]`)?.focus();
    Promise.resolve(choose(next)).then(focus); // views draw their tabs before their first await
    focus();
  };
  return h(
    "div",
    { class: "tabs", role: "tablist", onkeydown },
    list.map(([id, label]) =>
      h(
        "button",
        {
          role: "tab",
          "aria-selected": String(id === selected),
          tabindex: id === selected ? "0" : "-1",
          [key]: id,
          onclick: () => choose(id),
        },
        label,
      ),
    ),
  );
}

/**
 * rich is t(english, ...subs) as nodes, each text substitution in bold and
 * each node (an input, a <kbd>) as it is, so a translation of the whole
 * sentence may put them where its language wants them.
 */
export function rich(english, ...subs) {
  const marked = t(english, ...subs.map((_, i) => `\ue000${i}\ue000`));
  return marked.split(/\ue000(\d)\ue000/).map((part, i) => {
    if (i % 2 === 0) return part;
    const sub = subs[Number(part)];
    return sub instanceof Node ? sub : h("b", {}, sub);
  });
}

/** confirmClick makes button ask "sure?" on the first click; it says whether to go on. */
export function confirmClick(button, label) {
  if (button.dataset.sure === "yes") return true;
  button.dataset.sure = "yes";
  button.textContent = t("$1 — sure?", label);
  return false;
}

/**
 * markPainted sets the performance mark name once what the page holds now
 * has been painted: after the next frame's rendering (a task queued from
 * requestAnimationFrame runs after that frame's paint). make bench reads
 * the popup's marks.
 */
export function markPainted(name) {
  requestAnimationFrame(() => setTimeout(() => performance.mark(name), 0));
}
