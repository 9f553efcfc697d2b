// Package clienttest runs a real meshpass portal in-process (portal.New
// over SQLite in a temporary directory, behind httptest) for the client's
// tests, with a hook that can rewrite the portal's answers to play a
// hostile portal. It is not available on js/wasm.
package clienttest
