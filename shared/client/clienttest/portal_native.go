//go:build !js

package clienttest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlitestore"
	"github.com/meshpass/meshpass/shared/translog"
)

// native is what only an in-process portal has; both are nil for a
// portal of a test portal server.
type native struct {
	handler http.Handler
	store   *sqlitestore.Store
}

// New starts a portal with a fresh log key and SQLite store in-process,
// closed when the test ends. If EnvServer is set, it takes a fresh portal
// from that test portal server instead (as on js/wasm), which runs the
// browser's code path natively.
func New(t testing.TB) *Portal {
	t.Helper()
	if server := os.Getenv(EnvServer); server != "" {
		return NewRemote(t, server)
	}
	handler, store, err := newPortal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p := &Portal{native: native{handler: handler, store: store}}
	p.upstream = p.serveInProcess
	p.Server = httptest.NewServer(p)
	p.URL = p.Server.URL
	t.Cleanup(func() {
		p.Server.Close()
		store.Close()
	})
	return p
}

// newPortal makes a portal handler with a fresh log key over a new SQLite
// database in dir, on the real clock (clients sign requests with it) and
// without rate limits.
func newPortal(dir string) (http.Handler, *sqlitestore.Store, error) {
	skey, vkey, err := translog.GenerateKey("portal.test/log")
	if err != nil {
		return nil, nil, err
	}
	signer, err := translog.NewSigner(skey)
	if err != nil {
		return nil, nil, err
	}
	store, err := sqlitestore.Open(filepath.Join(dir, "portal.db"))
	if err != nil {
		return nil, nil, err
	}
	return portal.New(store, portal.Options{Signer: signer, VerifierKey: vkey}), store, nil
}

// serveInProcess is the in-process portal's upstream: the handler, called
// directly.
func (p *Portal) serveInProcess(req *http.Request) (*http.Response, error) {
	if req.RemoteAddr == "" {
		req = req.Clone(req.Context())
		req.RemoteAddr = "127.0.0.1:0"
	}
	w := httptest.NewRecorder()
	p.handler.ServeHTTP(w, req)
	return w.Result(), nil
}
