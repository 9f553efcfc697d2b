#!/usr/bin/env node
// jose-interop: the other side of shared/interop's tests. It does the JOSE
// work with panva's jose (an implementation independent of go-jose and of
// meshpass's own JWE code) so the Go tests can check that meshpass's
// SignedData and EncryptedData are standard JWS and JWE.
//
// It reads one JSON request on stdin and writes one JSON reply on stdout.
// Binary values (payloads, plaintexts) travel as unpadded base64url.
//
//   {"mode": "keygen"}
//     -> {"ed25519": <private JWK>, "x25519": <private JWK>}
//        Fresh keys made by jose, each with x and d.
//
//   {"mode": "make", "signer": <Ed25519 private JWK with kid>,
//    "payload": b64u, "plaintext": b64u, "recipients": [<X25519 public JWK with kid>, ...]}
//     -> {"jws": <flattened JWS, alg EdDSA, kid in the protected header>,
//         "jwe": <general JWE, protected {"enc":"A256GCM"}, each recipient's
//                 header {"alg":"ECDH-ES+A256KW","kid":…,"epk":…}>}
//
//   {"mode": "check",
//    "jws": [{"jws": <flattened JWS>, "jwk": <Ed25519 public JWK>}, ...],
//    "jwe": [{"jwe": <general JWE>, "jwk": <X25519 private JWK>}, ...]}
//     -> {"jws": [{"ok": true, "payload": b64u, "protectedHeader": {…}} | {"ok": false, "error": "…", "code": "…"}, ...],
//         "jwe": [{"ok": true, "plaintext": b64u, "protectedHeader": {…}, "unprotectedHeader": {…}} | {"ok": false, …}, ...]}
//
// A failure to verify or decrypt is an answer, not an error; a malformed
// request exits non-zero with the message on stderr.

import { FlattenedSign, GeneralEncrypt, exportJWK, flattenedVerify, generalDecrypt, generateKeyPair, importJWK } from "jose";
import { Buffer } from "node:buffer";

const SIG_ALG = "EdDSA";
const KEY_ALG = "ECDH-ES+A256KW";
const ENC = "A256GCM";

const b64u = {
  encode: (bytes) => Buffer.from(bytes).toString("base64url"),
  decode: (s) => new Uint8Array(Buffer.from(s, "base64url")),
};

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

function needKid(jwk, what) {
  if (typeof jwk?.kid !== "string" || jwk.kid === "") throw new Error(`${what}: a JWK with a kid is required`);
  return jwk.kid;
}

async function keygen() {
  const ed = await generateKeyPair("Ed25519", { extractable: true });
  const x = await generateKeyPair(KEY_ALG, { crv: "X25519", extractable: true });
  return { ed25519: await exportJWK(ed.privateKey), x25519: await exportJWK(x.privateKey) };
}

async function make(req) {
  const kid = needKid(req.signer, "signer");
  const signingKey = await importJWK(req.signer, SIG_ALG);
  const jws = await new FlattenedSign(b64u.decode(req.payload)).setProtectedHeader({ alg: SIG_ALG, kid }).sign(signingKey);

  if (!Array.isArray(req.recipients) || req.recipients.length === 0) throw new Error("make: recipients are required");
  const enc = new GeneralEncrypt(b64u.decode(req.plaintext)).setProtectedHeader({ enc: ENC });
  for (const jwk of req.recipients) {
    const rkid = needKid(jwk, "recipient");
    const { d, ...pub } = jwk; // only ever encrypt to the public part
    enc.addRecipient(await importJWK(pub, KEY_ALG)).setUnprotectedHeader({ alg: KEY_ALG, kid: rkid });
  }
  const jwe = await enc.encrypt();
  return { jws, jwe };
}

function failure(err) {
  return { ok: false, error: String(err?.message ?? err), code: err?.code ?? "" };
}

async function check(req) {
  const out = { jws: [], jwe: [] };
  for (const { jws, jwk } of req.jws ?? []) {
    try {
      const key = await importJWK(jwk, SIG_ALG);
      const r = await flattenedVerify(jws, key, { algorithms: [SIG_ALG] });
      out.jws.push({ ok: true, payload: b64u.encode(r.payload), protectedHeader: r.protectedHeader });
    } catch (err) {
      out.jws.push(failure(err));
    }
  }
  for (const { jwe, jwk } of req.jwe ?? []) {
    try {
      const key = await importJWK(jwk, KEY_ALG);
      const r = await generalDecrypt(jwe, key, {
        keyManagementAlgorithms: [KEY_ALG],
        contentEncryptionAlgorithms: [ENC],
      });
      out.jwe.push({
        ok: true,
        plaintext: b64u.encode(r.plaintext),
        protectedHeader: r.protectedHeader,
        unprotectedHeader: r.unprotectedHeader ?? null,
      });
    } catch (err) {
      out.jwe.push(failure(err));
    }
  }
  return out;
}

const modes = { keygen, make, check };

try {
  const req = await readStdin();
  const run = modes[req?.mode];
  if (!run) throw new Error(`unknown mode ${JSON.stringify(req?.mode)}; want one of ${Object.keys(modes).join(", ")}`);
  process.stdout.write(JSON.stringify(await run(req)) + "\n");
} catch (err) {
  process.stderr.write(`jose-interop: ${err?.stack ?? err}\n`);
  process.exitCode = 1;
}
