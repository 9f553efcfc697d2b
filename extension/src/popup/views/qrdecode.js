// Decoding a QR code from pixels (jsQR), apart from the popup's views so
// that the unit tests run it in Node.

import jsQR from "jsqr";

/**
 * decodeQR returns the text of the QR code in RGBA pixels (an ImageData's
 * data, width by height), or "" if it finds none.
 */
export function decodeQR(data, width, height) {
  const found = jsQR(data, width, height, { inversionAttempts: "attemptBoth" });
  return found ? found.data : "";
}

/** isOTPAuth reports whether text is an otpauth:// URI (the core checks the rest). */
export function isOTPAuth(text) {
  return /^otpauth:\/\//i.test(text);
}
