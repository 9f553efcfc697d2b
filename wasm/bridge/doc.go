// Package bridge exposes Go functions to JavaScript as Promise-returning
// functions with plain JSON in and out, for the meshpass WebAssembly build.
//
// A Func takes the JSON its caller passed and returns a value that is
// marshalled to JSON. Wrapped by Promise (js/wasm only), it becomes a
// JavaScript function of one string argument (undefined or "" count as no
// argument: the Func sees nil) returning a Promise that resolves with the
// JSON string of the result, or rejects with an Error whose message is the
// Go error's text and whose code property is Code(err) — a stable string
// such as "wrong_passphrase", "locked", "verification_failed",
// "not_authorized", "conflict", "transport", "bad_request" or "internal".
// A verification failure also carries check (Check), and a refusal by the
// portal status (Status). A panic in a Func rejects with code "internal".
//
// Every call runs in its own goroutine, so a Func may block on the network
// (net/http uses the browser's fetch) or on a JavaScript Promise (Await):
// it must never do so on the goroutine of a js.Func callback, where it
// would deadlock the event loop.
//
// The error mapping (Code, Check, Status, Decode) builds everywhere; the
// JavaScript side (Promise, Register, Await) only with GOOS=js GOARCH=wasm.
package bridge
