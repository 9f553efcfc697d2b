package clienttest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"

	"github.com/meshpass/meshpass/shared/mmm"
)

// EnvServer names the environment variable holding the base URL of a test
// portal server (portal-worker/portaltest, served by cmd/internal/testportal;
// scripts/with-testportal.sh starts one for make's test runs). New takes a
// fresh portal from it; natively, when it is unset, New starts a server of
// its own for the test process.
const EnvServer = "MESHPASS_TESTPORTAL"

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

// Portal is a real portal with a rewrite hook in front of it, for one
// test. Requests to the mmm endpoint through Client pass the rewrite and
// are recorded.
//
// The portal itself runs in a test portal server (its own SQLite database
// and log key). Natively New puts an httptest server, Server, in front of
// it, whose handler is the Portal: any HTTP client posting to URL passes
// the rewrite. On js/wasm Server is nil and the rewrite runs in the test
// process as Client's http.RoundTripper, so only requests through Client
// pass it.
type Portal struct {
	// URL is the portal's base URL as clients use it.
	URL string
	// Server is the native test server in front of the portal, or nil.
	Server *httptest.Server

	// origin is the real portal's base URL; server and id name it at its
	// test portal server.
	origin, server, id string
	// upstream sends a request to the real portal, bypassing the rewrite.
	upstream func(*http.Request) (*http.Response, error)

	mu        sync.Mutex
	rewrite   Rewrite
	exchanges []Exchange
}

// Client returns the HTTP client to reach the portal with: through the
// in-process server natively, or with the portal as its RoundTripper.
func (p *Portal) Client() *http.Client {
	if p.Server != nil {
		return p.Server.Client()
	}
	return &http.Client{Transport: p}
}

// SetRewrite installs f (nil: answer honestly).
func (p *Portal) SetRewrite(f Rewrite) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rewrite = f
}

// Forward posts body to the real portal directly, bypassing the rewrite
// and the record, and returns its status and answer. A transport failure
// is a 502 with the error as the answer.
func (p *Portal) Forward(body []byte) (int, []byte) {
	req, err := http.NewRequest(http.MethodPost, p.endpoint(), bytes.NewReader(body))
	if err != nil {
		return http.StatusBadGateway, []byte(err.Error())
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.upstream(req)
	if err != nil {
		return http.StatusBadGateway, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return http.StatusBadGateway, []byte(err.Error())
	}
	return resp.StatusCode, b
}

func (p *Portal) endpoint() string { return strings.TrimRight(p.origin, "/") + mmm.Path }

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

// RoundTrip sends req to the real portal. A POST to the mmm endpoint goes
// through the rewrite and is recorded; anything else (a CORS preflight, a
// wrong method) goes unchanged.
func (p *Portal) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || req.URL.Path != basePath(p.origin)+mmm.Path {
		return p.upstream(req)
	}
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	out := req.Clone(req.Context())
	out.Body, out.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	resp, err := p.upstream(out)
	if err != nil {
		return nil, err
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	typ := requestType(body)
	p.mu.Lock()
	f := p.rewrite
	p.mu.Unlock()
	if f != nil {
		if alt := f(typ, body, answer); alt != nil {
			answer = alt
		}
	}
	p.mu.Lock()
	p.exchanges = append(p.exchanges, Exchange{Type: typ, Request: body, Response: answer, Status: resp.StatusCode})
	p.mu.Unlock()
	resp.Header.Del("Content-Length")
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(answer)), int64(len(answer))
	return resp, nil
}

// ServeHTTP serves a request through the real portal, then the rewrite
// (RoundTrip).
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := strings.TrimRight(p.origin, "/") + strings.TrimPrefix(r.URL.RequestURI(), basePath(p.URL))
	out, err := http.NewRequestWithContext(r.Context(), r.Method, target, r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	out.RemoteAddr = r.RemoteAddr
	resp, err := p.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// requestType is the name of body's envelope, or "".
func requestType(body []byte) string {
	var env map[string]json.RawMessage
	if json.Unmarshal(body, &env) == nil && len(env) == 1 {
		for k := range env {
			return k
		}
	}
	return ""
}

// basePath is the path of base without a trailing slash ("" for
// "http://host").
func basePath(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return strings.TrimRight(u.Path, "/")
}
