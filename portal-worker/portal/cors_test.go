//go:build !js

package portal_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/meshpass/meshpass/portal-worker/conformance"
	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/shared/mmm"
)

func TestCORSPreflight(t *testing.T) {
	opts, _ := conformance.Options(t)
	h := portal.New(newStore(t), opts)
	r := httptest.NewRequest(http.MethodOptions, mmm.Path, nil)
	r.Header.Set("Origin", "chrome-extension://abcdefghijklmnop")
	r.Header.Set("Access-Control-Request-Method", "POST")
	r.Header.Set("Access-Control-Request-Headers", "content-type")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusNoContent || w.Body.Len() != 0 {
		t.Fatalf("preflight: %d %q", w.Code, w.Body)
	}
	for name, want := range map[string]string{
		"Access-Control-Allow-Origin":  "*",
		"Access-Control-Allow-Methods": "POST, OPTIONS",
		"Access-Control-Allow-Headers": "Content-Type",
		"Access-Control-Max-Age":       "86400",
	} {
		if got := w.Header().Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if w.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Error("preflight allows credentials")
	}

	// A preflight for another path is the usual 404, which fails it.
	r = httptest.NewRequest(http.MethodOptions, "/elsewhere", nil)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusNotFound {
		t.Fatalf("preflight elsewhere: %d", w.Code)
	}
}

// Every answer, refusals and errors included, lets any origin read it, so a
// page learns why the portal refused.
func TestCORSEveryAnswer(t *testing.T) {
	opts, _ := conformance.Options(t)
	opts.RatePerIP, opts.BurstPerIP = 1, 2
	h := portal.New(newStore(t), opts)
	do := func(method, path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, bytes.NewReader([]byte(body)))
		r.RemoteAddr = "192.0.2.9:1"
		r.Header.Set("Origin", "https://example.com")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for _, tc := range []struct {
		name, method, path, body string
		code                     int
	}{
		{"ok", http.MethodPost, mmm.Path, `{"HelloRequest":{}}`, mmm.StatusOK},
		{"refused", http.MethodPost, mmm.Path, `{"GetRequest":{"Account":"nobody"}}`, mmm.StatusNotFound},
		{"rate limited", http.MethodPost, mmm.Path, `{"HelloRequest":{}}`, http.StatusTooManyRequests},
		{"GET", http.MethodGet, mmm.Path, ``, http.StatusMethodNotAllowed},
		{"other path", http.MethodPost, "/elsewhere", `{"HelloRequest":{}}`, http.StatusNotFound},
	} {
		w := do(tc.method, tc.path, tc.body)
		if w.Code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.name, w.Code, w.Body, tc.code)
		}
		if got := w.Header().Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("%s: Access-Control-Allow-Origin %q", tc.name, got)
		}
	}
	if w := do(http.MethodGet, mmm.Path, ``); w.Header().Get("Allow") != "POST, OPTIONS" {
		t.Errorf("405 Allow: %q", w.Header().Get("Allow"))
	}

	// A recovered panic too.
	w := post(portal.New(panicStore{}, opts), "192.0.2.1:1", []byte(`{"StatusRequest":{}}`))
	if w.Code != http.StatusInternalServerError || w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("panic: %d %q", w.Code, w.Header().Get("Access-Control-Allow-Origin"))
	}
}
