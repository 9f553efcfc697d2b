//go:build js && wasm

package chromestore

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"syscall/js"
	"testing"

	"github.com/meshpass/meshpass/shared/client"
)

// fakeArea is a StorageArea in JavaScript over a Map, with chrome's
// Promise API; failSet makes set reject.
const fakeArea = `
const m = new Map();
const area = {
  failSet: false,
  map: m,
  get(keys) {
    const out = {};
    for (const k of [].concat(keys)) if (m.has(k)) out[k] = m.get(k);
    return Promise.resolve(out);
  },
  set(items) {
    if (area.failSet) return Promise.reject(new Error("QUOTA_BYTES quota exceeded"));
    for (const [k, v] of Object.entries(items)) m.set(k, v);
    return Promise.resolve();
  },
  remove(keys) {
    for (const k of [].concat(keys)) m.delete(k);
    return Promise.resolve();
  },
};
return area;`

func newFake() js.Value { return js.Global().Get("Function").New(fakeArea).Invoke() }

func TestArea(t *testing.T) {
	fake := newFake()
	s := New(fake)
	if _, err := s.Get("state"); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("Get of a missing key: %v", err)
	}
	value := []byte("{\"sealed\":\x00\xff}")
	if err := s.Put("state", value); err != nil {
		t.Fatal(err)
	}
	stored := fake.Get("map").Call("get", Prefix+"state")
	if stored.Type() != js.TypeString || stored.String() != base64.StdEncoding.EncodeToString(value) {
		t.Errorf("stored %v, want base64 under the prefixed key", stored)
	}
	got, err := s.Get("state")
	if err != nil || !bytes.Equal(got, value) {
		t.Errorf("Get = %q, %v", got, err)
	}
	if err := s.Delete("state"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("state"); err != nil {
		t.Errorf("Delete of a missing key: %v", err)
	}
	if _, err := s.Get("state"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}

	fake.Set("failSet", true)
	if err := s.Put("state", value); err == nil || !strings.Contains(err.Error(), "quota") {
		t.Errorf("Put with set rejecting: %v", err)
	}
	fake.Get("map").Call("set", Prefix+"bad", "not base64!")
	if _, err := s.Get("bad"); err == nil || errors.Is(err, client.ErrNotFound) {
		t.Errorf("Get of a corrupt value: %v", err)
	}
	fake.Set("get", js.Global().Get("Function").New(`throw new Error("no access")`))
	if _, err := s.Get("state"); err == nil || !strings.Contains(err.Error(), "no access") {
		t.Errorf("Get with get throwing: %v", err)
	}
}

func TestSessionRoundTrip(t *testing.T) {
	// The unlocked state goes through the same adapter: SaveSession's
	// key, as client.ResumeSession reads it.
	s := New(newFake())
	if err := s.Put(client.SessionKey, []byte(`{"Device":"x"}`)); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Get(client.SessionKey); err != nil || string(b) != `{"Device":"x"}` {
		t.Errorf("Get = %q, %v", b, err)
	}
}

func TestFallback(t *testing.T) {
	// A plain page (the test runs in one) has no chrome.storage.
	if Available() {
		t.Skip("chrome.storage is available here")
	}
	for name, s := range map[string]client.Storage{"local": Local(), "session": Session()} {
		if _, ok := s.(*client.MemoryStorage); !ok {
			t.Errorf("%s: %T, want *client.MemoryStorage", name, s)
		}
	}
}

func TestChromeStorage(t *testing.T) {
	// With a chrome.storage (faked), Local and Session use it.
	g := js.Global()
	old := g.Get("chrome")
	defer g.Set("chrome", old)
	local, session := newFake(), newFake()
	chrome := js.Global().Get("Object").New()
	storage := js.Global().Get("Object").New()
	storage.Set("local", local)
	storage.Set("session", session)
	chrome.Set("storage", storage)
	g.Set("chrome", chrome)
	if !Available() {
		t.Fatal("Available() = false with chrome.storage set")
	}
	if err := Local().Put("k", []byte("L")); err != nil {
		t.Fatal(err)
	}
	if err := Session().Put("k", []byte("S")); err != nil {
		t.Fatal(err)
	}
	if v := local.Get("map").Call("get", Prefix+"k").String(); v != base64.StdEncoding.EncodeToString([]byte("L")) {
		t.Errorf("local holds %q", v)
	}
	if v := session.Get("map").Call("get", Prefix+"k").String(); v != base64.StdEncoding.EncodeToString([]byte("S")) {
		t.Errorf("session holds %q", v)
	}
}
