// Scanning a one-time code QR image on the entry form: an image chosen
// with a file input, pasted from the clipboard or dropped on the one-time
// code field is drawn on a canvas, its QR code decoded (qrdecode.js), and the
// otpauth:// URI it holds checked by the core (totpCheck: the rules add and
// edit apply, and shared/totp), which returns the current code to show. The
// URI goes into the field; nothing is saved until the form is.
//
// In the toolbar popup the browser may close the popup when the file
// dialog opens (it takes the focus); pasting or dropping the image works
// there, and the file input works where the form is in a tab.

import { t } from "../../i18n.js";
import { h } from "../dom.js";
import { bg } from "../popup.js";
import { decodeQR, isOTPAuth } from "./qrdecode.js";

/** MAX_IMAGE is the largest image file read, in bytes. */
export const MAX_IMAGE = 16 << 20;

/** MAX_PIXELS bounds the pixels decoded: a larger image is scaled down first. */
const MAX_PIXELS = 4_000_000;

/**
 * imagePixels draws an image file (PNG, JPEG, GIF, WebP: what the browser
 * decodes) on a canvas, scaled down to MAX_PIXELS, and returns its pixels.
 */
export async function imagePixels(blob) {
  if (blob.size > MAX_IMAGE) throw new Error(t("The image is too large (more than $1 MB).", MAX_IMAGE >> 20));
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    throw new Error(t("The file is not an image the browser can read."));
  }
  const scale = Math.min(1, Math.sqrt(MAX_PIXELS / (bitmap.width * bitmap.height)));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  return ctx.getImageData(0, 0, width, height);
}

/**
 * scanImage decodes the QR code of an image file and has the core check
 * the otpauth:// URI it holds; it resolves with totpCheck's result or
 * rejects saying what was wrong.
 */
export async function scanImage(blob) {
  const img = await imagePixels(blob);
  const text = decodeQR(img.data, img.width, img.height);
  if (!text) throw new Error(t("No QR code found in the image."));
  if (!isOTPAuth(text)) throw new Error(t("The QR code does not hold a one-time code (otpauth://) URI."));
  return bg("totpCheck", { uri: text });
}

/**
 * scanControls are the controls that fill the input (the form's one-time
 * code URI) from a QR image: a file input, and paste or drop on the input
 * itself; what was found, or why not, goes to line.
 */
export function scanControls(input, line) {
  const file = h("input", { type: "file", accept: "image/*", id: "entry-totp-qr", "data-role": "totp-qr" });
  const found = h("output", { class: "muted small", "data-role": "totp-scanned", "aria-live": "polite" });
  const scan = async (blob) => {
    found.textContent = "";
    try {
      const r = await scanImage(blob);
      input.value = r.uri;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      const whom = [r.issuer, r.account].filter(Boolean).join(" · ");
      found.textContent = r.period
        ? t("Scanned: $1 — current code $2 ($3 s left). Save to keep it.", whom || "—", r.code, r.remaining)
        : t("Scanned: $1 — counter-based code $2. Save to keep it.", whom || "—", r.code);
      line.set("", "");
    } catch (e) {
      line.set("error", e.message || String(e));
    }
  };
  file.addEventListener("change", () => {
    const f = file.files?.[0];
    file.value = "";
    if (f) scan(f);
  });
  const image = (list) => [...(list || [])].find((x) => x.type.startsWith("image/"));
  input.addEventListener("paste", (e) => {
    const item = image(e.clipboardData?.items);
    if (!item) return; // text pastes as usual
    e.preventDefault();
    scan(item.getAsFile());
  });
  input.addEventListener("dragover", (e) => e.preventDefault());
  input.addEventListener("drop", (e) => {
    const f = image(e.dataTransfer?.files);
    if (!f) return;
    e.preventDefault();
    scan(f);
  });
  return h(
    "div",
    { "data-role": "totp-scan" },
    h("label", { for: "entry-totp-qr", class: "small" }, t("Or scan its QR code: choose an image, or paste or drop one on the field")),
    file,
    found,
  );
}
