// The password generator: uniform choices from crypto.getRandomValues
// (rejection sampling, no modulo bias), at least one character of each
// class asked for.

/** CLASSES are the character classes a password may draw from. */
export const CLASSES = {
  lower: "abcdefghijklmnopqrstuvwxyz",
  upper: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  digits: "0123456789",
  symbols: "!#$%&()*+,-./:;<=>?@[]^_{|}~",
};

function randomBelow(n) {
  const limit = Math.floor(0x100000000 / n) * n;
  const buf = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(buf);
    if (buf[0] < limit) return buf[0] % n;
  }
}

/**
 * generate makes a password of length characters from the classes named
 * in classes (keys of CLASSES), with at least one of each.
 */
export function generate(length, classes) {
  const chosen = classes.filter((c) => CLASSES[c]);
  if (chosen.length === 0) throw new Error("choose at least one kind of character");
  if (!Number.isInteger(length) || length < Math.max(4, chosen.length) || length > 128) {
    throw new Error("the length must be 4 to 128");
  }
  const all = chosen.map((c) => CLASSES[c]).join("");
  const out = chosen.map((c) => CLASSES[c][randomBelow(CLASSES[c].length)]);
  while (out.length < length) out.push(all[randomBelow(all.length)]);
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomBelow(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out.join("");
}
