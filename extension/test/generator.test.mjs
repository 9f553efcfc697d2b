// The popup's password generator: length, classes, and refusals.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CLASSES, generate } from "../src/popup/generator.js";

test("every class asked for appears, and nothing else", () => {
  for (const classes of [["lower"], ["digits", "symbols"], Object.keys(CLASSES)]) {
    const allowed = new Set(classes.flatMap((c) => [...CLASSES[c]]));
    for (let i = 0; i < 200; i++) {
      const p = generate(12, classes);
      assert.equal(p.length, 12);
      for (const ch of p) assert.ok(allowed.has(ch), `${ch} in ${p} not from ${classes}`);
      for (const c of classes) assert.ok([...p].some((ch) => CLASSES[c].includes(ch)), `${p} lacks ${c}`);
    }
  }
});

test("roughly uniform over the alphabet", () => {
  const counts = new Map();
  const n = 20000;
  for (let i = 0; i < n / 20; i++) for (const ch of generate(20, ["digits"])) counts.set(ch, (counts.get(ch) || 0) + 1);
  for (const d of CLASSES.digits) {
    const share = counts.get(d) / n;
    assert.ok(share > 0.08 && share < 0.12, `${d}: ${share}`);
  }
});

test("bad lengths and no classes are refused", () => {
  assert.throws(() => generate(3, ["lower"]), /length/);
  assert.throws(() => generate(129, ["lower"]), /length/);
  assert.throws(() => generate(3.5, ["lower"]), /length/);
  assert.throws(() => generate(12, []), /at least one/);
  assert.throws(() => generate(12, ["emoji"]), /at least one/);
});
