//go:build !js

package sqlitestore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/meshpass/meshpass/portal-worker/conformance"
	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlitestore"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/translog"
)

// A group commit writes its accepted appends and one checkpoint in one
// transaction: a refused append takes nothing (its neighbours are
// written, the next one taking its leaf), and a group that fails writes
// nothing at all.
func TestAppendGroup(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	s := openTemp(t, path)
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return s.ReadHashes(ctx, idx) })
	// appendOf makes the append of entry id as leaf n of the log that r
	// reads; prev is the version it replaces.
	appendOf := func(r tlog.HashReader, n int64, id string, prev uint64) (*portal.Append, tlog.Tree) {
		leaf := []byte(fmt.Sprintf("leaf %d %s", n, id))
		hs, tree, err := translog.Append(r, n, leaf)
		if err != nil {
			t.Fatal(err)
		}
		return &portal.Append{Previous: prev, Hashes: hs,
			Entry: portal.Entry{Identifier: id, Kind: "k", Version: prev + 1, Data: leaf, Index: n}}, tree
	}
	type result struct {
		id  string
		err error
	}
	var results []result
	err := s.AppendGroup(ctx, func(g portal.Group) error {
		n, r := int64(0), tlog.HashReader(reader)
		var added []tlog.Hash
		var tree tlog.Tree
		for _, w := range []struct {
			id   string
			prev uint64
			over bool // past its quota: refused by the last guard, after its rows were written
		}{{"A", 0, false}, {"B", 0, false}, {"A", 0, false}, {"B", 7, false}, {"Q", 0, true}, {"C", 0, false}} {
			a, t2 := appendOf(r, n, w.id, w.prev)
			if w.over {
				a.Entry.Account, a.Cost, a.Quota.AccountBytes = "q", 1000, 10
			}
			err := g.Append(ctx, a)
			results = append(results, result{w.id, err})
			if err == nil {
				added = append(added, a.Hashes...)
				r = translog.Overlay(reader, 0, added)
				n, tree = n+1, t2
			}
		}
		return g.Checkpoint(ctx, tree.N, fmt.Sprint(tree.N))
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []error{nil, nil, portal.ErrConflict, portal.ErrConflict, portal.ErrQuota, nil}
	for i, r := range results {
		if (want[i] == nil) != (r.err == nil) || (want[i] != nil && !errors.Is(r.err, want[i])) {
			t.Errorf("append %d (%s): %v, want %v", i, r.id, r.err, want[i])
		}
	}
	n, cp, _ := s.Latest(ctx)
	if n != 3 || cp != "3" {
		t.Fatalf("log after the group: %d %q, want 3 leaves", n, cp)
	}
	leaves, err := s.Leaves(ctx, 0, 3, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"A", "B", "C"} {
		if got := string(leaves[i]); got != fmt.Sprintf("leaf %d %s", i, id) {
			t.Errorf("leaf %d: %q", i, got)
		}
	}
	if th, err := tlog.TreeHash(3, reader); err != nil || th != mustTree(t, leaves).Hash {
		t.Fatalf("stored hashes are not the tree of the stored leaves: %v", err)
	}
	if _, err := s.Entry(ctx, "Q"); !errors.Is(err, portal.ErrNotFound) {
		t.Fatalf("the refused append's entry was written: %v", err)
	}
	if b, _, _ := s.Usage(ctx, "q"); b != 0 {
		t.Fatalf("the refused append was charged %d bytes", b)
	}

	// Only the latest checkpoint is kept, by a group as by one Append.
	a, tree := appendOf(reader, 3, "E", 0)
	a.Checkpoint = fmt.Sprint(tree.N)
	if err := s.Append(ctx, a); err != nil {
		t.Fatal(err)
	}
	if rows := countRows(t, path, "checkpoints"); rows != 1 {
		t.Fatalf("%d checkpoints kept, want only the latest", rows)
	}
	if n, cp, _ := s.Latest(ctx); n != 4 || cp != "4" {
		t.Fatalf("latest after the pruning: %d %q", n, cp)
	}

	// A group that fails writes nothing, not even what was accepted in it.
	boom := errors.New("boom")
	err = s.AppendGroup(ctx, func(g portal.Group) error {
		a, _ := appendOf(reader, 4, "D", 0)
		if err := g.Append(ctx, a); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("failed group: %v", err)
	}
	if n, _, _ := s.Latest(ctx); n != 4 {
		t.Fatalf("log after a failed group: %d leaves", n)
	}
	if _, err := s.Entry(ctx, "D"); !errors.Is(err, portal.ErrNotFound) {
		t.Fatalf("entry of a failed group: %v", err)
	}
	// A grouped append that would write its own checkpoint is refused.
	err = s.AppendGroup(ctx, func(g portal.Group) error {
		a, _ := appendOf(reader, 4, "D", 0)
		a.Checkpoint = "5"
		return g.Append(ctx, a)
	})
	if err == nil {
		t.Fatal("a grouped append with a checkpoint was taken")
	}
}

// openTemp opens the store at path, closed when the test ends.
func openTemp(t *testing.T, path string) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// countRows counts the rows of table in the database at path.
func countRows(t *testing.T, path, table string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// mustTree returns the tree of leaves, built from them alone.
func mustTree(t *testing.T, leaves [][]byte) tlog.Tree {
	t.Helper()
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	var tree tlog.Tree
	for i, l := range leaves {
		hs, t2, err := translog.Append(r, int64(i), l)
		if err != nil {
			t.Fatal(err)
		}
		hashes, tree = append(hashes, hs...), t2
	}
	return tree
}

// gatedStore holds its first group commit until gate is closed, so that
// the writes that arrive meanwhile queue up and go in one later group.
type gatedStore struct {
	*sqlitestore.Store
	entered chan struct{} // closed when the first group starts
	gate    chan struct{}
	groups  atomic.Int32
}

func (s *gatedStore) AppendGroup(ctx context.Context, fn func(g portal.Group) error) error {
	if s.groups.Add(1) == 1 {
		close(s.entered)
		<-s.gate
	}
	return s.Store.AppendGroup(ctx, fn)
}

// Concurrent publishes through the portal go in one group commit: each is
// answered with the proof of its own leaf in the group's one checkpoint,
// and one the store refuses in the group (the second of two publishes of
// the same version) is answered 409 without failing the others.
func TestGroupCommit(t *testing.T) {
	s := openTemp(t, filepath.Join(t.TempDir(), "p.db"))
	gs := &gatedStore{Store: s, entered: make(chan struct{}), gate: make(chan struct{})}
	opts, _ := conformance.Options(t)
	srv := httptest.NewServer(portal.New(gs, opts))
	defer srv.Close()
	verifiers, _ := translog.NewVerifiers(opts.VerifierKey)
	cl := &client{url: srv.URL + mmm.Path, hc: srv.Client()}

	// The first write holds the log while six others queue behind it.
	first, err := profiletest.NewPerson(1)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- cl.call(&mmm.CreateRequest{Account: "first", Profile: mmm.Entry{SignedPersonalProfile: first.SignedPersonal}}, &mmm.CreateResponse{})
	}()
	<-gs.entered
	const people = 5
	type answer struct {
		who   int
		entry mmm.Entry
		resp  mmm.CreateResponse
		err   error
	}
	answers := make(chan answer, people+1)
	var wg sync.WaitGroup
	var twin mmm.CreateRequest
	for i := range people {
		p, err := profiletest.NewPerson(1)
		if err != nil {
			t.Fatal(err)
		}
		req := mmm.CreateRequest{Account: fmt.Sprintf("p%d", i), Profile: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}}
		if i == 0 {
			// The same profile again under another name: both pass the
			// handler's checks; the store takes one.
			twin = req
			twin.Account = "twin"
		}
		wg.Go(func() {
			a := answer{who: i, entry: req.Profile}
			a.err = cl.call(&req, &a.resp)
			answers <- a
		})
	}
	wg.Go(func() {
		a := answer{who: -1, entry: twin.Profile}
		a.err = cl.call(&twin, &a.resp)
		answers <- a
	})
	time.Sleep(300 * time.Millisecond) // the six reach the queue
	close(gs.gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(answers)
	var refused int
	indexes := map[int64]bool{}
	sizes := map[int64]bool{}
	for a := range answers {
		if a.err != nil {
			if a.who > 0 || mmm.StatusOf(a.err) != mmm.StatusConflict {
				t.Fatalf("writer %d: %v", a.who, a.err)
			}
			refused++
			continue
		}
		leaf, _ := translog.LeafData(&a.entry)
		if err := translog.VerifyInclusion(a.resp.Log, leaf, verifiers); err != nil {
			t.Fatalf("writer %d: %v", a.who, err)
		}
		indexes[a.resp.Log.Index] = true
		sizes[a.resp.Log.TreeSize] = true
	}
	if refused != 1 {
		t.Fatalf("%d of the twins refused, want 1", refused)
	}
	// Leaves 1 … 5 (leaf 0 is the first write's), each taken once.
	for i := int64(1); i <= people; i++ {
		if !indexes[i] {
			t.Fatalf("no write took leaf %d: %v", i, indexes)
		}
	}
	if g := gs.groups.Load(); g > 3 || len(sizes) > 2 {
		t.Fatalf("%d group commits, %d tree sizes answered for 1 + %d writes: not grouped", g, len(sizes), people+1)
	}
	if n, _, _ := s.Latest(context.Background()); n != people+1 {
		t.Fatalf("log of %d leaves, want %d", n, people+1)
	}
}

// A panic inside a group rolls it back and leaves the writer working.
func TestAppendGroupPanic(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t, filepath.Join(t.TempDir(), "p.db"))
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the panic was swallowed")
			}
		}()
		s.AppendGroup(ctx, func(g portal.Group) error {
			if err := g.Checkpoint(ctx, 1, "1"); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	if n, cp, err := s.Latest(ctx); err != nil || n != 0 || cp != "" {
		t.Fatalf("after a panicking group: %d %q %v", n, cp, err)
	}
	if err := s.AppendGroup(ctx, func(g portal.Group) error { return g.Checkpoint(ctx, 1, "1") }); err != nil {
		t.Fatalf("the writer after a panic: %v", err)
	}
	if n, _, _ := s.Latest(ctx); n != 1 {
		t.Fatalf("log after a group following a panic: %d", n)
	}
}
