#!/usr/bin/env python3
"""Makes the fixtures that are not written by hand (see README.md):
1password.1pux from 1password/export.data, and bitwarden-encrypted.json,
a password-protected Bitwarden export of bitwarden.json made with an
implementation of Bitwarden's documented format independent of meshpass's
(Python's hashlib and the cryptography package)."""
import base64, hashlib, hmac, json, os, zipfile
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives import padding

here = os.path.dirname(os.path.abspath(__file__))

with zipfile.ZipFile(os.path.join(here, "1password.1pux"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("export.attributes", json.dumps({"version": 3, "description": "1Password Unencrypted Export", "createdAt": 1714979289}))
    z.write(os.path.join(here, "1password", "export.data"), "export.data")
    z.writestr("files/doc1__lease.pdf", b"%PDF-1.4 fixture")

def hkdf_expand(prk, info, n=32):
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:n]

def enc(key, mac, plain, iv):
    p = padding.PKCS7(128).padder()
    data = p.update(plain) + p.finalize()
    e = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ct = e.update(data) + e.finalize()
    tag = hmac.new(mac, iv + ct, hashlib.sha256).digest()
    b = lambda x: base64.b64encode(x).decode()
    return "2." + b(iv) + "|" + b(ct) + "|" + b(tag)

password, salt, iterations = "export password", "c2FsdHNhbHRzYWx0c2FsdA==", 100000
master = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations, 32)
k, m = hkdf_expand(master, b"enc"), hkdf_expand(master, b"mac")
plain = open(os.path.join(here, "bitwarden.json"), "rb").read()
out = {
    "encrypted": True, "passwordProtected": True, "salt": salt, "kdfType": 0,
    "kdfIterations": iterations, "kdfMemory": None, "kdfParallelism": None,
    "encKeyValidation_DO_NOT_EDIT": enc(k, m, b"5d3f2e0a-8c1b-4e7d-9f60-2a1b3c4d5e6f", bytes(range(16))),
    "data": enc(k, m, plain, bytes(range(16, 32))),
}
json.dump(out, open(os.path.join(here, "bitwarden-encrypted.json"), "w"), indent=2)
