//go:build js && wasm

// Command wasm is the meshpass client for the browser extension, built
// with GOOS=js GOARCH=wasm. It sets globalThis.meshpass to an object of
// Promise-returning functions, each taking one JSON string and resolving
// with a JSON string (see package bridge and README.md), keeps the device
// in chrome.storage.local and the unlocked keys in chrome.storage.session
// (package chromestore), then calls globalThis.meshpassReady() if it is a
// function and waits forever.
package main

import (
	"context"
	"fmt"
	"syscall/js"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/wasm/bridge"
	"github.com/meshpass/meshpass/wasm/chromestore"
)

// register sets globalThis.meshpass from a's functions.
func register(a *app) js.Value {
	obj := js.Global().Get("Object").New()
	for name, f := range a.funcs() {
		bridge.Register(obj, name, f)
	}
	js.Global().Set("meshpass", obj)
	return obj
}

// broken registers functions that all reject with err, when the stored
// state could not be opened.
func broken(err error) {
	obj := js.Global().Get("Object").New()
	fail := func(context.Context, []byte) (any, error) { return nil, fmt.Errorf("%w: %w", errNoApp, err) }
	for name := range (&app{}).funcs() {
		bridge.Register(obj, name, fail)
	}
	js.Global().Set("meshpass", obj)
}

func main() {
	// Opening reads chrome.storage, which awaits Promises: not on the
	// goroutine of a callback, and main is not one.
	a, err := newApp(client.Options{Storage: chromestore.Local()}, chromestore.Session())
	if err != nil {
		broken(err)
	} else {
		register(a)
	}
	if ready := js.Global().Get("meshpassReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {}
}
