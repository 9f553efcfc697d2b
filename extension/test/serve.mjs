// A tiny static file server for the content script's test pages.
// GET and POST both return the file (POST bodies are read and dropped), so a
// login form can post to welcome.html. Run directly to browse the pages:
//   node extension/test/serve.mjs [port]

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { join, normalize, extname, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const PAGES = join(dirname(fileURLToPath(import.meta.url)), "pages");
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8" };

/**
 * Serve extension/test/pages on 127.0.0.1.
 * @param {number} [port] 0 for a random free port
 * @returns {Promise<{port: number, origin: string, close: () => Promise<void>}>}
 */
export function startServer(port = 0) {
  const server = createServer(async (req, res) => {
    req.resume();
    await new Promise((r) => req.on("end", r));
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const file = normalize(join(PAGES, path === "/" ? "plain.html" : path));
    if (!file.startsWith(PAGES)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] || "application/octet-stream", "cache-control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const p = server.address().port;
      resolve({
        port: p,
        origin: `http://127.0.0.1:${p}`,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections?.();
            server.close(() => r());
          }),
      });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const s = await startServer(Number(process.argv[2] || 0));
  console.log(`serving ${PAGES} at ${s.origin}/`);
}
