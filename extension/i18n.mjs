// Writes extension/_locales/en/messages.json from every t("…") in
// extension/src (see src/i18n.js), keeping the two messages that are not in
// the code (the manifest's name, description and command descriptions). With --check it writes
// nothing and fails when the English is stale or another language lacks a
// message or has one the English no longer has. Run: node extension/i18n.mjs
import console from "node:console";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { msgKey } from "./src/i18n.js";

const here = dirname(fileURLToPath(import.meta.url));
const LOCALES = join(here, "_locales");
/** FIXED are the messages not taken from the code. */
const FIXED = ["extName", "extDescription", "cmdFill", "cmdOpen"];

async function sources(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith(".js")) out.push(p);
  }
  return out;
}

/** texts finds the English of every t("…") call in the sources. */
export async function texts() {
  const found = new Map();
  // t("…") and rich("…") (popup/dom.js) with a string literal.
  const call = /\b(?:t|rich)\(\s*("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')/g;
  for (const file of await sources(join(here, "src"))) {
    if (file === join(here, "src", "i18n.js")) continue; // t() itself
    const code = await readFile(file, "utf8");
    for (const m of code.matchAll(call)) {
      const lit = m[1];
      const english = lit.startsWith('"') ? JSON.parse(lit) : JSON.parse(`"${lit.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')}"`);
      found.set(msgKey(english), english);
    }
  }
  return found;
}

function entry(english) {
  const e = { message: english.replace(/\$(?!\d)/g, "$$$$") };
  const n = new Set(english.match(/\$\d/g) || []).size;
  if (n) e.description = `${n} substitution${n > 1 ? "s" : ""}: $1${n > 1 ? `…$${n}` : ""}`;
  return e;
}

export async function english() {
  const old = JSON.parse(await readFile(join(LOCALES, "en", "messages.json"), "utf8").catch(() => "{}"));
  const out = {};
  for (const k of FIXED) out[k] = old[k];
  const found = await texts();
  for (const k of [...found.keys()].sort()) out[k] = entry(found.get(k));
  return out;
}

const subs = (m) => [...new Set(m.match(/\$\d/g) || [])].sort().join(",");

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const en = await english();
  const text = JSON.stringify(en, null, 2) + "\n";
  const path = join(LOCALES, "en", "messages.json");
  const problems = [];
  if (process.argv.includes("--check")) {
    if ((await readFile(path, "utf8").catch(() => "")) !== text) problems.push(`${path} is stale: run node extension/i18n.mjs`);
  } else {
    await writeFile(path, text);
  }
  for (const l of await readdir(LOCALES)) {
    if (l === "en") continue;
    const other = JSON.parse(await readFile(join(LOCALES, l, "messages.json"), "utf8"));
    for (const [k, v] of Object.entries(en)) {
      if (!other[k]) problems.push(`${l}: no message ${k} (${JSON.stringify(v.message)})`);
      else if (subs(other[k].message) !== subs(v.message))
        problems.push(`${l}: ${k} has substitutions ${subs(other[k].message)}, not ${subs(v.message)}`);
    }
    for (const k of Object.keys(other)) if (!en[k]) problems.push(`${l}: message ${k} is not in the English`);
  }
  if (problems.length) {
    console.error(problems.join("\n"));
    process.exit(1);
  }
}
