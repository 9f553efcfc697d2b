// Package clienttest gives the client's tests a real meshpass portal with
// a hook that can rewrite the portal's answers to play a hostile portal.
//
// The portals run in a test portal server (portal-worker/portaltest,
// served by cmd/internal/testportal), never in this package: the client
// depends on nothing of the portal, not even in its tests. New takes a
// fresh portal from the server named by the environment variable
// MESHPASS_TESTPORTAL (scripts/with-testportal.sh starts one for make's
// test runs; wasmbrowsertest passes the variable to a browser page).
// Natively, when the variable is unset, the test process starts a server
// of its own (go build ./cmd/internal/testportal), which exits with it; on
// js/wasm the test is skipped. The rewrite runs in the test process: as
// the handler of a local httptest server in front of the portal natively,
// and as the http.RoundTripper of Portal.Client in a browser page.
package clienttest
