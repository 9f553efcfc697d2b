// Package clienttest gives the client's tests a real meshpass portal with
// a hook that can rewrite the portal's answers to play a hostile portal.
//
// Natively, New runs the portal in-process (portal.New over SQLite in a
// temporary directory, behind httptest). A browser page (js/wasm) cannot
// run it, so there New takes a fresh portal from a test portal server
// (Portals, served by the testportal command; its URL in the environment
// variable MESHPASS_TESTPORTAL, which wasmbrowsertest passes to the page)
// and skips the test when none is set. The rewrite then runs in the test
// process, as the http.RoundTripper of Portal.Client. make browser starts
// the server (scripts/with-testportal.sh).
package clienttest
