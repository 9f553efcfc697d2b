// The translations: _locales/en/messages.json holds every t("…") of the
// sources (node extension/i18n.mjs rewrites it), every other language has
// every message with the same substitutions, and t() falls back to the
// English where chrome.i18n has none.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { msgKey, t } from "../../src/i18n.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
test("every language has every message, and the English is up to date", async () => {
  await promisify(execFile)(process.execPath, [join(ROOT, "extension", "i18n.mjs"), "--check"]);
});

test("t falls back to the English with its substitutions", () => {
  assert.equal(t("Fill from $1", "bank.example"), "Fill from bank.example");
  assert.equal(t("$1 on $2", "alice", "shop"), "alice on shop");
});

test("t asks chrome.i18n by the message's key", () => {
  const asked = [];
  globalThis.chrome = { i18n: { getMessage: (k, s) => (asked.push([k, s]), `de:${s.join("|")}`) } };
  try {
    assert.equal(t("Fill from $1", "bank.example"), "de:bank.example");
    assert.deepEqual(asked, [[msgKey("Fill from $1"), ["bank.example"]]]);
  } finally {
    delete globalThis.chrome;
  }
});
