// Package interop holds only tests. They check, both ways, that the JWS and
// JWE that packages jws and jwe write and read are the standard ones, by
// trading them with panva's jose, an independent JavaScript implementation,
// through scripts/jose-interop.mjs.
//
// The tests need node and the npm packages pinned in package-lock.json
// (run `npm ci` at the repository root; `make test` does). Without them
// the tests fail, unless MESHPASS_SKIP_NODE=1 is set, which skips them.
package interop
