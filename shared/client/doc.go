// Package client is the meshpass device client: the code that runs on a
// person's devices, builds and publishes their profiles, connects and
// removes devices, and keeps the password vault, trusting nothing the
// portal says without checking it.
//
// A Client keeps its state in a Storage as one JSON document: the portal
// and account, the pinned profile fingerprint (the master profile's
// Identifier), the pinned transparency log key and the last verified
// checkpoint, the last verified profiles, and this device's private keys —
// only ever sealed under the passphrase with package seal. Unlock opens
// them for the life of the Client.
//
// Every profile fetched from the portal is verified up the chain to the
// pinned fingerprint, its versions must never go backwards, every entry's
// log inclusion proof must verify against the pinned log key, and each new
// checkpoint must extend the last one seen. Any failure leaves the stored
// state as it was and returns an error matching one of the Err values
// (errors.Is).
//
// The core builds for GOOS=js GOARCH=wasm: it has no file access; see
// FileStorage (not on js) for the one that writes files.
package client
