// Keeping the background alive while work is in flight (keepalive.js):
// node --test extension/test/unit/
import assert from "node:assert/strict";
import { it } from "node:test";
import { busy, PING_MS, whileBusy } from "../../src/background/keepalive.js";

it("pings an extension API while work is in flight, and stops when the last work settles", async (t) => {
  t.mock.timers.enable({ apis: ["setInterval"] });
  let pings = 0;
  globalThis.chrome = { runtime: { getPlatformInfo: async () => (pings++, {}) } };
  let finish;
  let fail;
  const a = whileBusy(new Promise((r) => (finish = r)));
  const b = whileBusy(new Promise((_, j) => (fail = j)));
  assert.equal(busy(), true);
  t.mock.timers.tick(PING_MS * 3);
  assert.equal(pings, 3);
  fail(new Error("refused"));
  await assert.rejects(b, /refused/);
  t.mock.timers.tick(PING_MS);
  assert.equal(pings, 4, "still busy with the other work");
  finish("done");
  assert.equal(await a, "done");
  assert.equal(busy(), false);
  t.mock.timers.tick(PING_MS * 5);
  assert.equal(pings, 4, "no pings once idle");
  delete globalThis.chrome;
});
