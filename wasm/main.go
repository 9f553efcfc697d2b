//go:build js && wasm

// Command wasm is the meshpass client for the browser extension, built
// with GOOS=js GOARCH=wasm. It sets globalThis.meshpass to an object of
// Promise-returning functions, each taking one JSON string and resolving
// with a JSON string: the functions of the contract in package api (see
// package bridge, README.md and API.md), keeps the device
// in chrome.storage.local and the unlocked keys in chrome.storage.session
// (package chromestore), then calls globalThis.meshpassReady() if it is a
// function and waits forever.
package main

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"
	"time"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/wasm/api"
	"github.com/meshpass/meshpass/wasm/bridge"
	"github.com/meshpass/meshpass/wasm/chromestore"
)

// register sets globalThis.meshpass to a's handlers, one for each
// function of the contract (package api). If they do not match the
// contract, every function rejects with the mismatch.
func register(a *app) js.Value {
	funcs, err := bind(a.handlers())
	if err != nil {
		return broken(err)
	}
	obj := js.Global().Get("Object").New()
	for name, f := range funcs {
		bridge.Register(obj, name, f)
	}
	js.Global().Set("meshpass", obj)
	return obj
}

// broken sets globalThis.meshpass to functions that all reject with err.
func broken(err error) js.Value {
	obj := js.Global().Get("Object").New()
	fail := func(context.Context, []byte) (any, error) { return nil, err }
	for _, f := range api.Functions {
		bridge.Register(obj, f.Name, fail)
	}
	js.Global().Set("meshpass", obj)
	return obj
}

// markJS sets performance.mark(name) where the performance API exists.
func markJS(name string) {
	if p := js.Global().Get("performance"); p.Type() == js.TypeObject && p.Get("mark").Type() == js.TypeFunction {
		p.Call("mark", name)
	}
}

// yieldJS lets the JavaScript event loop run: a goroutine of js/wasm runs
// until it blocks, so a long read pauses with it (client.Options.Pause)
// for the calls that arrived meanwhile (a sleep is a setTimeout, and the
// other goroutines run first).
func yieldJS() { time.Sleep(time.Millisecond) }

func main() {
	mark = markJS
	mark("meshpass:go-started")
	// Opening reads chrome.storage, which awaits Promises: not on the
	// goroutine of a callback, and main is not one.
	a, err := newApp(client.Options{Storage: chromestore.Local(), Pause: yieldJS}, chromestore.Session())
	mark("meshpass:resumed")
	if err != nil {
		broken(fmt.Errorf("%w: %w", errNoApp, err))
	} else {
		register(a)
	}
	if ready := js.Global().Get("meshpassReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {}
}

// errNoApp is the error of every function when the stored state could not
// be opened.
var errNoApp = errors.New("meshpass: the device state could not be opened")
