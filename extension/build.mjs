// Builds the unpacked extension into extension/dist/ (load it from
// chrome://extensions, "Load unpacked"): the service worker, popup and
// content script bundled by esbuild, the static files, and the Go core
// (meshpass.wasm and Go's wasm_exec.js from wasm/build, which
// `make client-wasm` writes). Run by `make extension`.
import { build } from "esbuild";
import { copyFile, cp, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const wasmBuild = join(here, "..", "wasm", "build");

for (const f of ["meshpass.wasm", "wasm_exec.js"]) {
  await stat(join(wasmBuild, f)).catch(() => {
    throw new Error(`${join(wasmBuild, f)} is missing: run make client-wasm first`);
  });
}
await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

const common = { bundle: true, format: "iife", target: "chrome120", minify: true, legalComments: "none", logLevel: "warning" };
await Promise.all([
  // wasm_exec.js defines globalThis.Go before the worker's code runs.
  build({
    ...common,
    entryPoints: [join(here, "src/background/background.js")],
    outfile: join(dist, "background.js"),
    banner: { js: await readFile(join(wasmBuild, "wasm_exec.js"), "utf8") },
  }),
  build({ ...common, entryPoints: [join(here, "src/popup/popup.js")], outfile: join(dist, "popup.js") }),
  build({ ...common, entryPoints: [join(here, "src/content/content.js")], outfile: join(dist, "content.js") }),
]);

const files = {
  "manifest.json": join(here, "manifest.json"),
  "popup.html": join(here, "src/popup/popup.html"),
  "popup.css": join(here, "src/popup/popup.css"),
  "offscreen.html": join(here, "src/offscreen/offscreen.html"),
  "offscreen.js": join(here, "src/offscreen/offscreen.js"),
  "meshpass.wasm": join(wasmBuild, "meshpass.wasm"),
};
await Promise.all(Object.entries(files).map(([to, from]) => copyFile(from, join(dist, to))));
// The translations (chrome.i18n; node extension/i18n.mjs writes the English).
await cp(join(here, "_locales"), join(dist, "_locales"), { recursive: true });

// Every build also writes the same extension for Firefox
// (extension/dist-firefox), so that it is never older than dist (--firefox,
// which make extension-firefox passes, is the same): MV3 with an event page
// (background scripts) instead of a service worker, a fixed add-on ID, and
// no offscreen document (its background page clears the clipboard itself);
// Chromium-only keys and permissions are left out.
const distFirefox = join(here, "dist-firefox");
await rm(distFirefox, { recursive: true, force: true });
await firefox();

async function firefox() {
  await mkdir(distFirefox, { recursive: true });
  const manifest = JSON.parse(await readFile(files["manifest.json"], "utf8"));
  delete manifest.key;
  delete manifest.minimum_chrome_version;
  manifest.background = { scripts: ["background.js"] };
  manifest.permissions = manifest.permissions.filter((p) => p !== "offscreen" && p !== "favicon");
  manifest.browser_specific_settings = { gecko: { id: "meshpass@meshpass.dev", strict_min_version: "128.0" } };
  for (const f of ["background.js", "popup.js", "content.js", "popup.html", "popup.css", "meshpass.wasm"]) {
    await copyFile(join(dist, f), join(distFirefox, f));
  }
  await cp(join(dist, "_locales"), join(distFirefox, "_locales"), { recursive: true });
  await writeFile(join(distFirefox, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  console.log(`extension: built ${distFirefox} for Firefox (about:debugging, Load Temporary Add-on)`);
}
console.log(
  `extension: built ${dist} (load unpacked; extension ID ${JSON.parse(await readFile(files["manifest.json"], "utf8")).key ? "pinned by the manifest key" : "unpinned"})`,
);
