// The shares view: escrow shares are shown once, as text and a QR code
// each, and never stored. recoveredView shows the new shares a recovery
// made (the ones used are void: recovery replaced the keys they open)
// before the vault; sharesBlock is also the escrow form's result
// (devices.js).

import qrcode from "qrcode-generator";
import { t } from "../../i18n.js";
import { h, header, notice, show } from "../dom.js";
import { plain, start } from "../popup.js";

/** recoveredView shows r, recover's result; threshold is the number of shares used. */
export function recoveredView(r, threshold) {
  const go = h("button", { class: "primary", id: "recovered-continue" }, t("I have written them down"));
  go.addEventListener("click", () => start());
  show(
    header(h("span", { class: "chip ok" }, t("recovered"))),
    h(
      "p",
      {},
      t(
        "Your profile is back, and this browser is its administration device. Recovery replaced the keys your old shares opened, so they are void: here are new ones.",
      ),
    ),
    r.error && notice("bad", t("$1 The shares below are valid nonetheless.", plain(r.error))),
    ...sharesBlock(r.shares || [], r.threshold || threshold),
    h("div", { class: "row end" }, go),
  );
}

/** sharesBlock shows escrow shares, with the warning that goes with them. */
export function sharesBlock(shares, threshold) {
  return [
    notice(
      "warn",
      t(
        "Write these $1 shares down or print them, and keep them in different places. Any $2 of them rebuild your profile; they are shown only now and never stored. Shares made before are void.",
        shares.length,
        threshold,
      ),
    ),
    ...shares.map((text, i) => {
      const qr = qrcode(0, "M");
      qr.addData(text);
      qr.make();
      const img = h("img", { alt: t("QR code of share $1", i + 1), width: 96, height: 96, src: qr.createDataURL(3, 2) });
      return h(
        "div",
        { class: "share", "data-role": "share" },
        img,
        h("div", {}, h("b", {}, t("Share $1", i + 1)), h("div", { class: "mono" }, text)),
      );
    }),
  ];
}
