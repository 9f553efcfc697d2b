//go:build !js

package sqlitestore_test

import (
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/meshpass/meshpass/portal-worker/conformance"
	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlitestore"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/translog"
)

func TestConformanceSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portal.db")
	store, err := sqlitestore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	opts, c := conformance.Options(t)
	srv := httptest.NewServer(portal.New(store, opts))
	conformance.Run(t, conformance.Config{URL: srv.URL, Client: srv.Client(), Now: c.Now, Advance: c.Advance})
	srv.Close()
	n, cp, err := store.Latest(t.Context())
	if err != nil || n == 0 {
		t.Fatalf("Latest: %d %v", n, err)
	}
	store.Close()

	// Reopened (migrations already applied), the log is all there and
	// the suite runs again on top of it.
	store, err = sqlitestore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	n2, cp2, err := store.Latest(t.Context())
	if err != nil || n2 != n || cp2 != cp {
		t.Fatalf("after reopen: %d %v", n2, err)
	}
	srv = httptest.NewServer(portal.New(store, opts))
	defer srv.Close()
	conformance.Run(t, conformance.Config{URL: srv.URL, Client: srv.Client(), Now: c.Now, Advance: c.Advance})
	leaves, err := store.Leaves(t.Context(), 0, n, 1<<30)
	if err != nil || int64(len(leaves)) != n {
		t.Fatalf("Leaves: %d %v", len(leaves), err)
	}
	verifiers, _ := translog.NewVerifiers(opts.VerifierKey)
	if _, err := translog.OpenCheckpoint(cp, verifiers); err != nil {
		t.Fatal(err)
	}
	_ = mmm.Path
}
