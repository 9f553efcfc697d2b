// A virtual list for the popup: a vault of 10,000 logins is one scrolling
// list, but only the rows on screen (and a few around them) exist in the
// DOM. Every row has the same height; the list element is as tall as all
// rows would be (the spacer), each row is placed at its index's offset,
// and the row elements are recycled as the list scrolls: a row that
// leaves the window is given the entry that comes into it.
//
// Keyboard: Tab goes through the buttons of the rows on screen (focusing
// one near the edge scrolls the list, which brings the next rows); Up and
// Down move from a row's control to the same control of the row before or
// after it, scrolling it into view; Home and End go to the first and last
// row. The row holding the focus is never recycled away while focused.
// Screen readers hear each row's place in the whole list (aria-posinset
// and aria-setsize).

import { h } from "./dom.js";

/** ROW_HEIGHT is the height in pixels of a row of the popup's lists. */
export const ROW_HEIGHT = 48;

/** ROWS_SHOWN is how many rows the list's window shows at most. */
export const ROWS_SHOWN = 7;

/** OVERSCAN is how many rows are built beyond each edge of the window. */
const OVERSCAN = 4;

/**
 * virtualList makes a list of items whose rows are built by fill(li, item)
 * (which replaces li's children and attributes of its own); empty(), when
 * there are no items, gives the content of the one row shown instead.
 * attrs are the list element's attributes; key(item) names an item (so
 * that the focus stays on its row when the items change). It returns
 * {element, list, setItems(items), items()}: element goes into the page,
 * list is the <ul> inside it.
 */
export function virtualList({ attrs = {}, fill, empty, key = (item) => item }) {
  const list = h("ul", { class: "list virtual", ...attrs });
  const element = h("div", { class: "vlist" }, list);
  let items = [];
  // index → li of the rows built now; spare holds recycled row elements.
  const rows = new Map();
  const spare = [];
  let placeholder = null;

  const place = (li, i) => {
    li.style.top = `${i * ROW_HEIGHT}px`;
    li.setAttribute("aria-posinset", String(i + 1));
    li.setAttribute("aria-setsize", String(items.length));
    li.dataset.index = String(i);
  };

  const build = (i) => {
    const li = spare.pop() || h("li", {});
    // A recycled row keeps no attribute of the entry it showed.
    for (const a of [...li.attributes]) if (a.name.startsWith("data-") || a.name === "class") li.removeAttribute(a.name);
    fill(li, items[i]);
    place(li, i);
    return li;
  };

  // The window's height; before the list is in the page (no layout yet),
  // the most it shows.
  const windowHeight = () => element.clientHeight || ROWS_SHOWN * ROW_HEIGHT;

  // render builds the rows of the window (scrollTop) and recycles the rest.
  const render = () => {
    const top = element.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(items.length - 1, Math.ceil((top + windowHeight()) / ROW_HEIGHT) + OVERSCAN);
    const focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement.closest("li") : null;
    for (const [i, li] of rows) {
      if ((i >= first && i <= last) || li === focused) continue;
      rows.delete(i);
      li.remove();
      spare.push(li);
    }
    const added = [];
    for (let i = first; i <= last; i++) {
      if (rows.has(i)) continue;
      const li = build(i);
      rows.set(i, li);
      added.push(li);
    }
    if (added.length) list.append(...added);
  };

  const size = () => {
    list.style.height = `${Math.max(1, items.length) * ROW_HEIGHT}px`;
    element.style.height = `${Math.min(Math.max(1, items.length), ROWS_SHOWN) * ROW_HEIGHT}px`;
  };

  element.addEventListener("scroll", render, { passive: true });

  // focusRow moves the focus to row i, to the control in the same place as
  // the one focused now (or the row's first control).
  const focusRow = (i, from) => {
    if (i < 0 || i >= items.length) return;
    const at = from ? [...from.closest("li").querySelectorAll("button, a, input")].indexOf(from) : 0;
    const rowTop = i * ROW_HEIGHT;
    if (rowTop < element.scrollTop) element.scrollTop = rowTop;
    else if (rowTop + ROW_HEIGHT > element.scrollTop + windowHeight()) element.scrollTop = rowTop + ROW_HEIGHT - windowHeight();
    render();
    const li = rows.get(i);
    const controls = li ? [...li.querySelectorAll("button, a, input")] : [];
    (controls[Math.max(0, Math.min(at, controls.length - 1))] || li)?.focus();
  };
  list.addEventListener("keydown", (e) => {
    const li = e.target.closest && e.target.closest("li[data-index]");
    if (!li || items.length === 0) return;
    const i = Number(li.dataset.index);
    const to = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: items.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    focusRow(to, e.target);
  });

  /**
   * setItems shows items: the rows in the window are rebuilt for what is
   * at their index now, the scroll position is kept (or clamped), and no
   * other row is built.
   */
  const setItems = (next) => {
    // Where the focus is, to put it back on the same item's row.
    const active = document.activeElement && list.contains(document.activeElement) ? document.activeElement : null;
    const activeRow = active?.closest("li[data-index]");
    const activeKey = activeRow ? key(items[Number(activeRow.dataset.index)]) : undefined;
    const activeAt = activeRow ? [...activeRow.querySelectorAll("button, a, input")].indexOf(active) : -1;
    items = next;
    for (const li of rows.values()) {
      li.remove();
      spare.push(li);
    }
    rows.clear();
    placeholder?.remove();
    placeholder = null;
    size();
    if (items.length === 0 && empty) {
      placeholder = h("li", { class: "muted" }, empty());
      list.append(placeholder);
      return;
    }
    const max = Math.max(0, items.length * ROW_HEIGHT - windowHeight());
    if (element.scrollTop > max) element.scrollTop = max;
    render();
    if (activeKey === undefined) return;
    for (const li of rows.values()) {
      if (key(items[Number(li.dataset.index)]) !== activeKey) continue;
      const controls = [...li.querySelectorAll("button, a, input")];
      (controls[activeAt] || li).focus();
    }
  };
  size();
  return { element, list, setItems, items: () => items };
}
