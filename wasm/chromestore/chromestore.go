//go:build js && wasm

// Package chromestore keeps a meshpass device's state in chrome.storage:
// Local is a client.Storage over chrome.storage.local, for the sealed keys
// and the verified state (it persists, but holds private keys only sealed
// under the passphrase); Session is one over chrome.storage.session, for
// the unlocked keys that client.SaveSession writes so that the extension's
// service worker can client.ResumeSession after it restarts (that area
// lives in memory and is cleared when the browser closes).
//
// Values are stored as base64 strings under the key prefixed with Prefix,
// written with chrome.storage's Promise API (Manifest V3). Each call
// awaits a Promise, so it must run on a goroutine other than a js.Func
// callback's (see bridge.Await); the bridge runs every call so.
//
// Outside an extension — a plain page, such as the one wasmbrowsertest
// runs the tests in, where chrome or chrome.storage is undefined — Local
// and Session fall back to a client.MemoryStorage each, so the state lasts
// only as long as the page; Available reports which.
package chromestore

import (
	"encoding/base64"
	"fmt"
	"syscall/js"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/wasm/bridge"
)

// Prefix is put before every key, so meshpass's keys cannot collide with
// others in the extension's storage.
const Prefix = "meshpass:"

// Area is a client.Storage over one chrome.storage area (or any object
// with the same Promise-returning get, set and remove).
type Area struct {
	area js.Value
}

var _ client.ManyStorage = (*Area)(nil)

// New returns the Storage over area, an object with chrome.storage's
// StorageArea methods get, set and remove returning Promises.
func New(area js.Value) *Area { return &Area{area: area} }

// area returns chrome.storage[name], or undefined.
func area(name string) js.Value {
	chrome := js.Global().Get("chrome")
	if chrome.Type() != js.TypeObject {
		return js.Undefined()
	}
	s := chrome.Get("storage")
	if s.Type() != js.TypeObject {
		return js.Undefined()
	}
	a := s.Get(name)
	if a.Type() != js.TypeObject {
		return js.Undefined()
	}
	return a
}

// Available reports whether chrome.storage.local and
// chrome.storage.session exist (the code runs in an extension).
func Available() bool {
	return !area("local").IsUndefined() && !area("session").IsUndefined()
}

func open(name string) client.Storage {
	if a := area(name); !a.IsUndefined() {
		return New(a)
	}
	return client.NewMemoryStorage()
}

// Local returns the Storage over chrome.storage.local, or a new
// client.MemoryStorage if there is none.
func Local() client.Storage { return open("local") }

// Session returns the Storage over chrome.storage.session, or a new
// client.MemoryStorage if there is none.
func Session() client.Storage { return open("session") }

func (a *Area) call(method string, arg any) (js.Value, error) {
	p, err := bridge.Try(func() js.Value { return a.area.Call(method, arg) })
	if err != nil {
		return js.Undefined(), fmt.Errorf("chrome.storage %s: %w", method, err)
	}
	v, err := bridge.Await(p)
	if err != nil {
		return js.Undefined(), fmt.Errorf("chrome.storage %s: %w", method, err)
	}
	return v, nil
}

// Get returns the value stored under key, or an error matching
// client.ErrNotFound.
func (a *Area) Get(key string) ([]byte, error) {
	k := Prefix + key
	items, err := a.call("get", k)
	if err != nil {
		return nil, err
	}
	var v js.Value
	if items.Type() == js.TypeObject {
		v = items.Get(k)
	}
	if v.Type() != js.TypeString {
		if v.IsUndefined() || v.IsNull() {
			return nil, fmt.Errorf("%w: %q", client.ErrNotFound, key)
		}
		return nil, fmt.Errorf("chrome.storage get %q: not a string", key)
	}
	b, err := base64.StdEncoding.DecodeString(v.String())
	if err != nil {
		return nil, fmt.Errorf("chrome.storage get %q: %v", key, err)
	}
	return b, nil
}

// Put stores value under key (chrome.storage writes each set whole).
func (a *Area) Put(key string, value []byte) error {
	items := js.Global().Get("Object").New()
	items.Set(Prefix+key, base64.StdEncoding.EncodeToString(value))
	_, err := a.call("set", items)
	return err
}

// PutMany stores each value under its key with one set call
// (client.ManyStorage).
func (a *Area) PutMany(values map[string][]byte) error {
	items := js.Global().Get("Object").New()
	for k, v := range values {
		items.Set(Prefix+k, base64.StdEncoding.EncodeToString(v))
	}
	_, err := a.call("set", items)
	return err
}

// Delete removes key.
func (a *Area) Delete(key string) error {
	_, err := a.call("remove", Prefix+key)
	return err
}
