// Translations through chrome.i18n (extension/_locales/<lang>/messages.json).
// The English text stays in the code: t("Fill from $1", site) looks up the
// message named after it (msgKey: its first words and a hash of all of it)
// in the browser's language and falls back to the English. $1…$9 are the
// substitutions, as in chrome.i18n. `node extension/i18n.mjs` rewrites
// _locales/en/messages.json from every t("…") in src/; the unit tests fail
// when it is stale or when a language lacks a message.

/** msgKey is the chrome.i18n message name of an English text. */
export function msgKey(english) {
  let hash = 0x811c9dc5; // FNV-1a, 32 bits
  for (let i = 0; i < english.length; i++) {
    hash ^= english.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  const words = english
    .replace(/\$\d/g, "")
    .toLowerCase()
    .match(/[a-z0-9]+/g) || ["m"];
  return `${words.slice(0, 5).join("_")}_${hash.toString(36)}`;
}

/** t is english in the browser's language, with $1…$9 replaced by subs. */
export function t(english, ...subs) {
  const s = subs.map(String);
  let m;
  try {
    m = globalThis.chrome?.i18n?.getMessage(msgKey(english), s);
  } catch {
    // no chrome.i18n here (the content script's test stub)
  }
  return m || english.replace(/\$(\d)/g, (_, n) => s[Number(n) - 1] ?? "");
}

/** lang is the language the extension's texts are shown in. */
export function lang() {
  return globalThis.chrome?.i18n?.getMessage("@@ui_locale")?.replace("_", "-") || "en";
}
