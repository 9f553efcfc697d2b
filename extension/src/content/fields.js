// Login field detection and filling for the meshpass content script.
//
// Pure DOM: nothing here talks to the extension, keeps state or stores
// anything in the page. Every function takes the elements or the document it
// works on, so it can be used from the content script and from tests.

/** Input types that can hold a username. */
const TEXT_TYPES = new Set(["text", "email", "tel"]);

/** Name/id/placeholder/label words that suggest a username field. */
const USER_HINT =
  /user|login|log-in|log_in|e-?mail|account|acct|identifier|member|benutzer|nutzer|kennung|usuario|utilisateur|identifiant|sign-?in/i;

/** Words that rule a text field out as a username. */
const NOT_USER_HINT = /search|query|^q$|captcha|coupon|promo|otp|one-?time|verification|2fa|mfa|zip|postal/i;

/** Name/id words that suggest a one-time-code (second factor) field. */
const OTP_HINT =
  /otp|totp|2fa|mfa|one-?time|two-?factor|verification-?code|verification_code|verificationcode|auth(entication|enticator)?-?code|auth(entication|enticator)?_code|security-?code|security_code|tfa/i;

/** Input types a one-time code is typed into. */
const OTP_TYPES = new Set(["text", "tel", "number", "password"]);

/** Words on a button that suggest it submits a login or a login step. */
const SUBMIT_HINT =
  /log ?in|log ?on|sign ?in|sign ?on|submit|continue|next|weiter|anmelden|einloggen|connexion|se connecter|suivant|entrar|iniciar|acceder|siguiente|accedi|avanti|inloggen|volgende/i;

/**
 * The autocomplete tokens of an element, lowercased.
 * @param {Element} el
 * @returns {string[]}
 */
function autocompleteTokens(el) {
  return (el.getAttribute("autocomplete") || "").toLowerCase().split(/\s+/).filter(Boolean);
}

/**
 * Whether the input's own attributes or autocomplete say "username".
 * @param {HTMLInputElement} el
 * @returns {number} 3 autocomplete=username, 2 autocomplete=email or
 *   type=email, 1 a name/id/placeholder/aria-label hint, 0 none, -1 ruled out.
 */
export function usernameScore(el) {
  const ac = autocompleteTokens(el);
  const words = [el.name, el.id, el.getAttribute("placeholder"), el.getAttribute("aria-label")].filter(Boolean).join(" ");
  if (el.type === "search" || ac.includes("one-time-code") || NOT_USER_HINT.test(words)) return -1;
  if (ac.includes("username")) return 3;
  if (ac.includes("email") || el.type === "email") return 2;
  if (USER_HINT.test(words)) return 1;
  return 0;
}

/**
 * Every root to search: the document and all shadow roots below it,
 * recursively. Open shadow roots are always included; closed ones only when
 * the extension API chrome.dom.openOrClosedShadowRoot is available.
 * @param {Document|ShadowRoot} root
 * @returns {(Document|ShadowRoot)[]}
 */
export function collectRoots(root) {
  const out = [root];
  const opener = globalThis.chrome?.dom?.openOrClosedShadowRoot;
  for (let i = 0; i < out.length; i++) {
    for (const el of out[i].querySelectorAll("*")) {
      let sr = el.shadowRoot;
      if (!sr && opener && el.localName.includes("-")) {
        try {
          sr = opener(el);
        } catch {
          sr = null;
        }
      }
      if (sr) out.push(sr);
    }
  }
  return out;
}

/**
 * All <input> elements in the document and its shadow roots, in root order.
 * @param {Document|ShadowRoot} root
 * @param {(Document|ShadowRoot)[]} [roots] collectRoots(root), if known
 * @returns {HTMLInputElement[]}
 */
export function allInputs(root, roots = collectRoots(root)) {
  const out = [];
  for (const r of roots) if (r === root || r.host?.isConnected) out.push(...r.querySelectorAll("input"));
  return out;
}

/** The parent of a node in the composed tree (crossing shadow boundaries). */
function composedParent(node) {
  if (node.parentElement) return node.parentElement;
  const root = node.getRootNode?.();
  return root && root !== node && root.host ? root.host : null;
}

/**
 * Whether a user can see the element: not display:none, not
 * visibility:hidden, not transparent, not zero-sized, not positioned
 * off-screen or clipped away by an overflow:hidden ancestor, not inside
 * aria-hidden="true" or inert. Cost: a computed style per ancestor.
 * @param {Element} el
 * @returns {boolean}
 */
export function isVisible(el) {
  if (!el.isConnected) return false;
  const win = el.ownerDocument.defaultView;
  if (!win) return false;
  if (
    typeof el.checkVisibility === "function" &&
    !el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true, opacityProperty: true, visibilityProperty: true })
  ) {
    return false;
  }
  const cs = win.getComputedStyle(el);
  if (cs.display === "none" || cs.visibility !== "visible" || parseFloat(cs.opacity) < 0.1) return false;
  if (cs.clipPath && /inset\(\s*50%/.test(cs.clipPath)) return false;
  if (cs.position === "absolute" || cs.position === "fixed") {
    if (/rect\(\s*0(px)?,?\s+0(px)?,?\s+0(px)?,?\s+0(px)?\s*\)/.test(cs.clip)) return false;
  }
  const r = el.getBoundingClientRect();
  if (r.width < 2 || r.height < 2) return false;
  // Off-screen: entirely left of or above the page.
  if (r.right + win.scrollX <= 0 || r.bottom + win.scrollY <= 0) return false;
  // Far right of or below everything the page can scroll to.
  const docEl = el.ownerDocument.documentElement;
  if (
    r.left + win.scrollX >= Math.max(docEl.scrollWidth, win.innerWidth) ||
    r.top + win.scrollY >= Math.max(docEl.scrollHeight, win.innerHeight)
  )
    return false;
  for (let n = el; n; n = composedParent(n)) {
    if (n.getAttribute?.("aria-hidden") === "true" || n.inert) return false;
    if (n !== el && n !== docEl && n !== el.ownerDocument.body) {
      const ps = win.getComputedStyle(n);
      // Clipped away by overflow:hidden/clip (not auto/scroll: the user can
      // scroll a field into view there).
      if (/hidden|clip/.test(ps.overflowX) || /hidden|clip/.test(ps.overflowY)) {
        const pr = n.getBoundingClientRect();
        if (r.right <= pr.left || r.left >= pr.right || r.bottom <= pr.top || r.top >= pr.bottom) return false;
      }
      if (parseFloat(ps.opacity) < 0.1) return false;
    }
  }
  return true;
}

/**
 * Whether an input can be filled by the user: not type=hidden, not disabled,
 * not readonly, and visible.
 * @param {HTMLInputElement} el
 * @returns {boolean}
 */
export function isUsable(el) {
  // :disabled also covers inputs in a <fieldset disabled>.
  return el.type !== "hidden" && !el.disabled && !el.matches(":disabled") && !el.readOnly && isVisible(el);
}

/** Whether an input can hold a username by its type. */
function isTextLike(el) {
  return TEXT_TYPES.has(el.type);
}

/** Whether a is before b in the document (same root). */
function precedes(a, b) {
  return !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
}

/**
 * The inputs that share a login scope with el: its form's elements when it
 * has a form, else all inputs of its root (document or shadow root) that are
 * not in a form of their own.
 * @param {HTMLInputElement} el
 * @returns {HTMLInputElement[]}
 */
export function scopeInputs(el) {
  if (el.form) return [...el.form.elements].filter((e) => e.localName === "input");
  const root = el.getRootNode();
  return [...root.querySelectorAll("input")].filter((e) => !e.form);
}

/**
 * The password field to fill from a list of usable password inputs:
 * autocomplete="current-password" first, then any not marked
 * "new-password", then a lone new-password field (sites mislabel). Two or more
 * new-password fields and nothing else is a sign-up or change form: null.
 * @param {HTMLInputElement[]} pw usable password inputs in document order
 * @returns {HTMLInputElement|null}
 */
export function choosePassword(pw) {
  const usable = pw.filter((e) => !autocompleteTokens(e).includes("one-time-code"));
  const current = usable.find((e) => autocompleteTokens(e).includes("current-password"));
  if (current) return current;
  const notNew = usable.find((e) => !autocompleteTokens(e).includes("new-password"));
  if (notNew) return notNew;
  return usable.length === 1 ? usable[0] : null;
}

/**
 * The chain of a node and the shadow hosts above it, innermost first: the
 * node, the host of its shadow root, the host of that one's root, ... up
 * to a node of the document.
 * @param {Node} node
 * @returns {Node[]}
 */
function hostChain(node) {
  const out = [node];
  for (let root = node.getRootNode(); root && root.host; root = root.host.getRootNode()) out.push(root.host);
  return out;
}

/**
 * Whether a comes before b in the composed tree: compared at the deepest
 * root (document or shadow root) both have an element in, a shadow root's
 * content standing where its host is.
 * @param {Node} a
 * @param {Node} b
 * @returns {boolean}
 */
export function composedPrecedes(a, b) {
  const chainB = hostChain(b);
  for (const x of hostChain(a)) {
    const root = x.getRootNode();
    const y = chainB.find((n) => n.getRootNode() === root);
    if (y) return x !== y && !!(x.compareDocumentPosition(y) & Node.DOCUMENT_POSITION_FOLLOWING);
  }
  return false;
}

/**
 * The username field that belongs to a password field: among the usable
 * text/email/tel inputs of its scope (form, else root) that precede it, the
 * last one marked autocomplete=username/email, else the closest preceding one
 * that is not ruled out (search, captcha, ...). If none precedes, a following
 * one marked autocomplete=username.
 *
 * A password field with no such input in its scope may have its username in
 * another shadow root (a username component beside a password component, no
 * form): then the formless inputs of the other roots are searched the same
 * way in composed order, but only those that say they hold a user name
 * (autocomplete username or email, type email, or a user/login hint).
 * @param {HTMLInputElement} password
 * @param {(Document|ShadowRoot)[]} [roots] collectRoots of its document, if known
 * @returns {HTMLInputElement|null}
 */
export function usernameFor(password, roots) {
  const scope = scopeInputs(password);
  const cands = scope.filter((e) => isTextLike(e) && usernameScore(e) >= 0 && isUsable(e));
  const before = cands.filter((e) => precedes(e, password));
  const marked = before.filter((e) => usernameScore(e) >= 2);
  if (marked.length) return marked[marked.length - 1];
  if (before.length) return before[before.length - 1];
  const after = cands.find((e) => usernameScore(e) === 3);
  if (after || scope.some((e) => e !== password && isTextLike(e) && isUsable(e))) return after || null;
  return usernameAcrossRoots(password, roots);
}

/**
 * The username field of a password field that has none in its scope, from
 * the formless inputs of the document's other roots (see usernameFor).
 * @param {HTMLInputElement} password
 * @param {(Document|ShadowRoot)[]} [roots]
 * @returns {HTMLInputElement|null}
 */
function usernameAcrossRoots(password, roots) {
  const doc = password.ownerDocument;
  const own = password.getRootNode();
  const cands = allInputs(doc, roots || collectRoots(doc)).filter(
    (e) => !e.form && e.getRootNode() !== own && isTextLike(e) && usernameScore(e) >= 1 && isUsable(e),
  );
  const before = cands.filter((e) => composedPrecedes(e, password));
  const marked = before.filter((e) => usernameScore(e) >= 2);
  if (marked.length) return marked[marked.length - 1];
  if (before.length) return before[before.length - 1];
  return cands.find((e) => usernameScore(e) === 3) || null;
}

/**
 * The username field of a username-only step (no visible password field):
 * the best usable text/email/tel input by usernameScore. autocomplete=username
 * or a user/login hint always counts; a field that is only an e-mail field
 * counts only if it is the single usable text input of its scope (not a
 * newsletter box next to other fields).
 * @param {HTMLInputElement[]} inputs all inputs of the page
 * @returns {HTMLInputElement|null}
 */
export function usernameOnly(inputs) {
  let best = null;
  let bestScore = 0;
  for (const e of inputs) {
    if (!isTextLike(e)) continue;
    const s = usernameScore(e);
    if (s <= 0 || s <= bestScore || !isUsable(e)) continue;
    best = e;
    bestScore = s;
  }
  if (!best) return null;
  if (bestScore === 3 || (bestScore === 1 && USER_HINT.test([best.name, best.id].join(" ")))) return best;
  const others = scopeInputs(best).filter((e) => e !== best && isTextLike(e) && isUsable(e));
  return others.length === 0 ? best : null;
}

/**
 * @typedef {object} LoginFields
 * @property {HTMLInputElement|null} username field to fill with the username
 * @property {HTMLInputElement|null} password field to fill with the password
 * @property {HTMLInputElement[]} passwords all usable password inputs
 */

/**
 * Whether an input takes a one-time code of an authenticator app (the
 * second step of a login): autocomplete="one-time-code", or a name, id
 * or aria-label with otp, totp, 2fa, mfa, one-time, verification code,
 * security code, auth code or two-factor, that is numeric (inputmode
 * numeric, type tel or number, pattern of digits) or takes 6 to 8
 * characters (maxlength). A password-typed field counts only through
 * autocomplete. Single-digit boxes (maxlength 1) do not count.
 * @param {HTMLInputElement} el
 * @returns {boolean}
 */
export function isOneTimeCodeField(el) {
  const type = el.type || "text";
  if (!OTP_TYPES.has(type)) return false;
  const ac = autocompleteTokens(el);
  if (ac.includes("one-time-code")) return true;
  if (type === "password") return false;
  const words = [el.name, el.id, el.getAttribute("aria-label")].filter(Boolean).join(" ");
  if (!OTP_HINT.test(words)) return false;
  const max = Number(el.getAttribute("maxlength"));
  if (max === 1) return false;
  const numeric =
    (el.getAttribute("inputmode") || "").toLowerCase() === "numeric" ||
    type === "tel" ||
    type === "number" ||
    /^\\d|^\[0-9\]/.test(el.getAttribute("pattern") || "");
  return numeric || (max >= 6 && max <= 8);
}

/**
 * The one-time-code field of a document (and its shadow roots) to fill:
 * the first usable one marked autocomplete="one-time-code", else the
 * first usable one that isOneTimeCodeField recognizes; null if none.
 * @param {Document} doc
 * @param {(Document|ShadowRoot)[]} [roots] collectRoots(doc), if known
 * @returns {HTMLInputElement|null}
 */
export function findOneTimeCodeField(doc, roots) {
  const found = allInputs(doc, roots).filter((e) => isOneTimeCodeField(e) && isUsable(e));
  return found.find((e) => autocompleteTokens(e).includes("one-time-code")) || found[0] || null;
}

/**
 * Find the visible, fillable login fields of a document (and its shadow
 * roots).
 * @param {Document} doc
 * @param {(Document|ShadowRoot)[]} [roots] collectRoots(doc), if known
 * @returns {LoginFields}
 */
export function findLoginFields(doc, roots) {
  const inputs = allInputs(doc, roots);
  // A password-typed field for a one-time code is not a password.
  const passwords = inputs.filter((e) => e.type === "password" && isUsable(e) && !autocompleteTokens(e).includes("one-time-code"));
  if (passwords.length) {
    const password = choosePassword(passwords);
    const anchor = password || passwords[0];
    return { username: usernameFor(anchor, roots), password, passwords };
  }
  return { username: usernameOnly(inputs), password: null, passwords };
}

/**
 * Whether a field is present for the probe/fields messages.
 * @param {LoginFields} f
 * @returns {{username: boolean, password: boolean}}
 */
export function fieldSummary(f) {
  return { username: !!f.username, password: f.passwords.length > 0 };
}

const nativeValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value");

/**
 * Fill an input like a user would: focus, set the value through the native
 * HTMLInputElement setter (so React/Vue value trackers on the instance do not
 * swallow it), dispatch input and change, blur.
 * @param {HTMLInputElement} el
 * @param {string} value
 */
export function fillInput(el, value) {
  const win = el.ownerDocument.defaultView;
  // The setter of the element's own realm (iframes have their own prototype).
  const setter = (win && Object.getOwnPropertyDescriptor(win.HTMLInputElement.prototype, "value")?.set) || nativeValue.set;
  try {
    el.focus({ preventScroll: true });
  } catch {
    /* not focusable */
  }
  setter.call(el, value);
  el.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
  el.dispatchEvent(new Event("change", { bubbles: true, composed: false }));
  try {
    el.blur();
  } catch {
    /* ignore */
  }
}

/**
 * The current value of an input through the native getter (immune to page
 * overrides on the instance).
 * @param {HTMLInputElement} el
 * @returns {string}
 */
export function readValue(el) {
  const win = el.ownerDocument.defaultView;
  const getter = (win && Object.getOwnPropertyDescriptor(win.HTMLInputElement.prototype, "value")?.get) || nativeValue.get;
  return getter.call(el);
}

/**
 * The password field whose value a submission sets, from the usable password
 * inputs of its scope: the first non-empty new-password field if any (sign-up
 * or change), else for unlabelled forms: with two equal values (sign-up) the
 * second, with three fields (current, new, confirm) the new one, with two
 * different values (current, new) the second; else the current/first
 * non-empty password.
 * @param {HTMLInputElement[]} pw password inputs of the scope
 * @returns {{field: HTMLInputElement|null, value: string}}
 */
export function submittedPasswordField(pw) {
  const filled = pw.map((e) => ({ e, v: readValue(e) })).filter((x) => x.v !== "");
  if (!filled.length) return { field: null, value: "" };
  const ac = (x) => autocompleteTokens(x.e);
  const pick =
    filled.find((x) => ac(x).includes("new-password")) ||
    filled.find((x) => ac(x).includes("current-password")) ||
    (filled.length >= 2 ? filled[1] : filled[0]);
  return { field: pick.e, value: pick.v };
}

/**
 * The password a submission sets (see submittedPasswordField).
 * @param {HTMLInputElement[]} pw password inputs of the scope
 * @returns {string}
 */
export function submittedPassword(pw) {
  return submittedPasswordField(pw).value;
}

/**
 * A username field that the user cannot see but that the page keeps for a
 * later step (hidden input or readonly field with autocomplete=username or a
 * name/id hint), with a value: e.g. the password page of a two-page login.
 * @param {HTMLInputElement[]} inputs
 * @returns {string}
 */
export function hiddenUsername(inputs) {
  for (const e of inputs) {
    if (e.type !== "hidden" && !isTextLike(e)) continue;
    const s = usernameScore(e);
    if (s === 3 || (s >= 1 && USER_HINT.test([e.name, e.id].join(" ")))) {
      const v = readValue(e);
      if (v) return v;
    }
  }
  return "";
}

/**
 * The credentials a submission within a scope carries: a visible username
 * field's value (username), else one kept in a hidden field (keptUsername);
 * the password (and the field it comes from) from submittedPasswordField.
 * Scope: the form of el, else its root.
 * @param {Element} el a form, button or input inside the login form
 * @returns {{username: string, keptUsername: string, password: string, passwordField: HTMLInputElement|null, hasPasswordField: boolean, usernameField: HTMLInputElement|null}}
 */
export function credentialsIn(el) {
  let inputs;
  const form = el.localName === "form" ? el : el.form || el.closest?.("form");
  if (form) inputs = [...form.elements].filter((e) => e.localName === "input");
  else inputs = [...el.getRootNode().querySelectorAll("input")].filter((e) => !e.form);
  // A formless button alone in its shadow root (a sign-in component beside
  // the username and password components): the page's formless inputs.
  if (!form && inputs.length === 0 && el.ownerDocument) inputs = allInputs(el.ownerDocument).filter((e) => !e.form);
  const pw = inputs.filter((e) => e.type === "password" && !e.disabled && isVisible(e) && !autocompleteTokens(e).includes("one-time-code"));
  let usernameField;
  let username = "";
  if (pw.length) {
    usernameField = usernameFor(choosePassword(pw) || pw[0]);
  } else {
    const c = inputs.filter((e) => isTextLike(e) && usernameScore(e) >= 1 && isUsable(e));
    usernameField = c.sort((a, b) => usernameScore(b) - usernameScore(a))[0] || null;
  }
  if (usernameField) username = readValue(usernameField);
  const sub = submittedPasswordField(pw);
  return {
    username,
    keptUsername: username ? "" : hiddenUsername(inputs),
    password: sub.value,
    passwordField: sub.field,
    hasPasswordField: pw.length > 0,
    usernameField,
  };
}

/**
 * The submit-like button an event target is in, if any: a submit button or
 * input, or a button/role=button/link whose text says log in, next, ...
 * @param {EventTarget[]} path the event's composedPath()
 * @returns {Element|null}
 */
export function submitButtonIn(path) {
  for (const n of path) {
    if (!(n instanceof Element)) continue;
    const tag = n.localName;
    if (tag === "input") {
      const t = n.type;
      if (t === "submit" || t === "image") return n;
      if (t === "button" && SUBMIT_HINT.test(n.value || "")) return n;
      return null;
    }
    if (tag === "button") {
      const t = (n.getAttribute("type") || "submit").toLowerCase();
      if (t === "submit" && n.form) return n;
      const text = (n.textContent || "") + " " + (n.getAttribute("aria-label") || "") + " " + (n.value || "");
      return SUBMIT_HINT.test(text) ? n : null;
    }
    if (n.getAttribute("role") === "button" || tag === "a") {
      const text = (n.textContent || "") + " " + (n.getAttribute("aria-label") || "");
      return text.length < 80 && SUBMIT_HINT.test(text) ? n : null;
    }
    if (tag === "form" || tag === "body") return null;
  }
  return null;
}

/**
 * The origin a login form may send its fields to, if it is not the page's
 * own: the form's action (implicit submission, form.submit()) and the
 * formaction of every submit button of the form (buttons outside it tied
 * to it by form= included), each resolved against the document. Any one
 * that posts to another origin makes the form cross-origin: the first of
 * those is returned, whichever button the person ends up pressing. ""
 * when there is no form, every way posts to the document's own origin, or
 * an action is not an http(s) URL (javascript:, a page script handles it).
 * @param {HTMLInputElement|null} field the password (or username) field
 * @returns {string}
 */
export function formActionOrigin(field) {
  const form = field?.form;
  if (!form) return "";
  const actions = [form.getAttribute("action")];
  for (const e of form.elements) {
    const submitter =
      (e.localName === "button" && e.type === "submit") || (e.localName === "input" && (e.type === "submit" || e.type === "image"));
    if (submitter && e.hasAttribute("formaction")) actions.push(e.getAttribute("formaction"));
  }
  const own = form.ownerDocument.defaultView?.location.origin;
  for (const action of actions) {
    if (!action || !action.trim()) continue; // the document's own URL
    let url;
    try {
      url = new URL(action.trim(), form.ownerDocument.baseURI);
    } catch {
      continue;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") continue;
    if (url.origin !== own) return url.origin;
  }
  return "";
}
