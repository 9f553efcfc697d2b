//go:build !js

package clienttest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"github.com/meshpass/meshpass/portal-worker/conformance"
	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlitestore"
)

// Rewrite may replace the portal's answer to a request: given the request
// type (e.g. "GetRequest"), the request body and the portal's answer, it
// returns the answer to send instead, or nil to send the portal's.
type Rewrite func(requestType string, request, response []byte) []byte

// Exchange is one request and the answer sent.
type Exchange struct {
	// Type is the request type, e.g. "PublishRequest".
	Type string
	// Request and Response are the bodies.
	Request, Response []byte
	// Status is the HTTP status of the portal's answer.
	Status int
}

// Portal is a real portal behind an httptest server.
type Portal struct {
	// URL is the portal's base URL.
	URL string
	// Server is the test server; its Client() talks to it.
	Server *httptest.Server

	handler   http.Handler
	mu        sync.Mutex
	rewrite   Rewrite
	exchanges []Exchange
}

// New starts a portal with a fresh log key and SQLite store, closed when
// the test ends.
func New(t testing.TB) *Portal {
	t.Helper()
	opts, _ := conformance.Options(t)
	opts.Now = nil // the real clock: clients sign requests with it
	store, err := sqlitestore.Open(filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	p := &Portal{handler: portal.New(store, opts)}
	p.Server = httptest.NewServer(p)
	p.URL = p.Server.URL
	t.Cleanup(func() {
		p.Server.Close()
		store.Close()
	})
	return p
}

// SetRewrite installs f (nil: answer honestly).
func (p *Portal) SetRewrite(f Rewrite) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rewrite = f
}

// Forward posts body to the real portal directly, bypassing the rewrite
// and the record, and returns its status and answer.
func (p *Portal) Forward(body []byte) (int, []byte) {
	r := httptest.NewRequest(http.MethodPost, "/.well-known/mmm/", bytes.NewReader(body))
	w := httptest.NewRecorder()
	p.handler.ServeHTTP(w, r)
	return w.Code, w.Body.Bytes()
}

// Exchanges returns the requests served so far.
func (p *Portal) Exchanges() []Exchange {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Exchange(nil), p.exchanges...)
}

// Count returns how many requests of type answered with status there were.
func (p *Portal) Count(requestType string, status int) int {
	n := 0
	for _, e := range p.Exchanges() {
		if e.Type == requestType && e.Status == status {
			n++
		}
	}
	return n
}

// Last returns the last exchange of requestType, or nil.
func (p *Portal) Last(requestType string) *Exchange {
	ex := p.Exchanges()
	for i := len(ex) - 1; i >= 0; i-- {
		if ex[i].Type == requestType {
			return &ex[i]
		}
	}
	return nil
}

// ServeHTTP serves a request through the real portal, then the rewrite.
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	typ := ""
	var env map[string]json.RawMessage
	if json.Unmarshal(body, &env) == nil && len(env) == 1 {
		for k := range env {
			typ = k
		}
	}
	rec := httptest.NewRecorder()
	r.Body = io.NopCloser(bytes.NewReader(body))
	p.handler.ServeHTTP(rec, r)
	resp := rec.Body.Bytes()
	p.mu.Lock()
	f := p.rewrite
	p.mu.Unlock()
	if f != nil {
		if alt := f(typ, body, resp); alt != nil {
			resp = alt
		}
	}
	p.mu.Lock()
	p.exchanges = append(p.exchanges, Exchange{Type: typ, Request: body, Response: resp, Status: rec.Code})
	p.mu.Unlock()
	rec.Header().Del("Content-Length")
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(resp)
}
