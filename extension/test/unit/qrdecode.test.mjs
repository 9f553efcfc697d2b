// The QR decoding of the popup's scan (popup/views/qrdecode.js, jsQR) on
// QR codes made here (qrcode-generator, as the popup draws escrow shares),
// drawn as RGBA pixels: node --test extension/test/unit/

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import qrcode from "qrcode-generator";
import { decodeQR, isOTPAuth } from "../../src/popup/views/qrdecode.js";

/** pixels draws text's QR code, cell pixels a module with a quiet zone of 4, dark on light (or inverted). */
function pixels(text, cell = 4, { invert = false, noise = 0 } = {}) {
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount() + 8;
  const size = n * cell;
  const data = new Uint8ClampedArray(size * size * 4);
  let seed = 7;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const r = Math.floor(y / cell) - 4;
      const c = Math.floor(x / cell) - 4;
      const dark = r >= 0 && c >= 0 && r < n - 8 && c < n - 8 && qr.isDark(r, c);
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const jitter = noise ? (seed % (2 * noise)) - noise : 0;
      const v = (dark !== invert ? 20 : 235) + jitter;
      data.set([v, v, v, 255], (y * size + x) * 4);
    }
  }
  return { data, width: size, height: size };
}

const URI = "otpauth://totp/Bank:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8&issuer=Bank";

describe("QR decoding", () => {
  it("reads an otpauth URI from a QR code", () => {
    const img = pixels(URI);
    assert.equal(decodeQR(img.data, img.width, img.height), URI);
    assert.ok(isOTPAuth(URI));
  });
  it("reads it inverted (light on dark) and with noise", () => {
    const inv = pixels(URI, 3, { invert: true });
    assert.equal(decodeQR(inv.data, inv.width, inv.height), URI);
    const noisy = pixels(URI, 5, { noise: 40 });
    assert.equal(decodeQR(noisy.data, noisy.width, noisy.height), URI);
  });
  it("finds nothing in an image without a QR code", () => {
    const size = 120;
    const data = new Uint8ClampedArray(size * size * 4).fill(255);
    assert.equal(decodeQR(data, size, size), "");
  });
  it("tells a URI that is not otpauth", () => {
    const img = pixels("https://example.com/");
    assert.equal(decodeQR(img.data, img.width, img.height), "https://example.com/");
    assert.equal(isOTPAuth("https://example.com/"), false);
  });
});
