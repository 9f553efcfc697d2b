//go:build !js

package sqlitestore_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/meshpass/meshpass/portal-worker/conformance"
	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlitestore"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/translog"
)

// A refused Append writes nothing: not the account, entry, leaf, hashes
// or checkpoint.
func TestAppendAtomic(t *testing.T) {
	ctx := context.Background()
	s, err := sqlitestore.Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return s.ReadHashes(ctx, idx) })
	add := func(account, id string, index int64, prev uint64) error {
		claim := index
		if index > 1 {
			index = 1 // hashes for the real size, a wrong index claimed
		}
		leaf := []byte(fmt.Sprintf("leaf %d %s", index, id))
		hs, tree, err := translog.Append(reader, index, leaf)
		if err != nil {
			return err
		}
		return s.Append(ctx, &portal.Append{
			Account: account, Previous: prev, Hashes: hs, Checkpoint: fmt.Sprint(tree.N),
			Entry: portal.Entry{Identifier: id, Kind: "k", Account: account, Version: prev + 1, Data: leaf, Index: claim},
		})
	}
	if err := add("a", "ID1", 0, 0); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		err, want error
	}{
		"account taken":   {add("a", "ID2", 1, 0), portal.ErrConflict},
		"profile taken":   {add("b", "ID1", 1, 0), portal.ErrConflict},
		"stale previous":  {add("", "ID1", 1, 5), portal.ErrConflict},
		"entry exists":    {add("", "ID1", 1, 0), portal.ErrConflict},
		"no such entry":   {add("", "ID3", 1, 1), portal.ErrConflict},
		"log index ahead": {add("", "ID3", 2, 0), portal.ErrLogMoved},
		"log index back":  {add("", "ID3", 0, 0), portal.ErrLogMoved},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", name, c.err, c.want)
		}
	}
	n, cp, _ := s.Latest(ctx)
	if n != 1 || cp != "1" {
		t.Fatalf("log after refusals: %d %q", n, cp)
	}
	if _, err := s.Account(ctx, "b"); !errors.Is(err, portal.ErrNotFound) {
		t.Fatal("refused account written")
	}
	if err := add("", "ID1", 1, 1); err != nil {
		t.Fatal(err)
	}
	e, err := s.Entry(ctx, "ID1")
	if err != nil || e.Version != 2 || e.Index != 1 || e.Account != "" {
		t.Fatalf("entry %+v %v", e, err)
	}
}

// Concurrent publishes from many clients: every acknowledged write is
// stored, in one consistent log whose every leaf is proved.
//
// Two portals (two handlers on two connections to one database file, as
// two Workers isolates share one D1 database) take the clients in turn, so
// appends race for the log's next leaf across processes: the loser's batch
// fails on the log guard and the handler places its leaf again.
func TestConcurrentPublish(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	store, err := sqlitestore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	other, err := sqlitestore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	opts, _ := conformance.Options(t)
	servers := []*httptest.Server{httptest.NewServer(portal.New(store, opts)), httptest.NewServer(portal.New(other, opts))}
	for _, srv := range servers {
		defer srv.Close()
	}
	verifiers, _ := translog.NewVerifiers(opts.VerifierKey)
	const clients, versions = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Go(func() {
			p, err := profiletest.NewPerson(1)
			if err != nil {
				errs <- err
				return
			}
			srv := servers[c%len(servers)]
			cl := &client{url: srv.URL + mmm.Path, hc: srv.Client()}
			var cr mmm.CreateResponse
			if err := cl.call(&mmm.CreateRequest{Account: fmt.Sprintf("c%d", c), Profile: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}}, &cr); err != nil {
				errs <- err
				return
			}
			for v := range versions {
				if v > 0 {
					p.PasswordProfile.Versioned = p.PasswordProfile.Next()
					if err := p.Seal(); err != nil {
						errs <- err
						return
					}
				}
				e := mmm.Entry{SignedApplicationProfile: p.SignedPasswords}
				var pr mmm.PublishResponse
				if err := cl.call(&mmm.PublishRequest{Entry: e, Previous: uint64(v)}, &pr); err != nil {
					errs <- fmt.Errorf("client %d version %d: %w", c, v+1, err)
					return
				}
				leaf, _ := translog.LeafData(&e)
				if err := translog.VerifyInclusion(pr.Log, leaf, verifiers); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	ctx := context.Background()
	n, cp, _ := store.Latest(ctx)
	if n != clients*(versions+1) {
		t.Fatalf("log holds %d leaves, want %d", n, clients*(versions+1))
	}
	tree, err := translog.OpenCheckpoint(cp, verifiers)
	if err != nil || tree.N != n {
		t.Fatal(err)
	}
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return store.ReadHashes(ctx, idx) })
	if th, err := tlog.TreeHash(n, reader); err != nil || th != tree.Hash {
		t.Fatalf("stored hashes do not make the checkpoint's tree: %v", err)
	}
	leaves, err := store.Leaves(ctx, 0, n, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range leaves {
		p, err := tlog.ProveRecord(n, int64(i), reader)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(p, n, tree.Hash, int64(i), translog.LeafHash(l)); err != nil {
			t.Fatalf("leaf %d: %v", i, err)
		}
	}
}
