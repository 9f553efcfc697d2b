//go:build !js

package sqlitestore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/meshpass/meshpass/portal-worker/conformance"
	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/portal-worker/sqlitestore"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/shared/vault"
)

// A refused AppendRecords writes nothing; the catalog guard of Append
// holds.
func TestAppendRecordsAtomic(t *testing.T) {
	ctx := context.Background()
	s, err := sqlitestore.Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return s.ReadHashes(ctx, idx) })
	// The vault's profile, version 1, at leaf 0.
	publish := func(version uint64, catalog string, size int64) error {
		n, _, _ := s.Latest(ctx)
		leaf := []byte(fmt.Sprintf("profile %d", version))
		hs, tree, err := translog.Append(reader, n, leaf)
		if err != nil {
			return err
		}
		return s.Append(ctx, &portal.Append{
			Previous: version - 1, Hashes: hs, Checkpoint: fmt.Sprint(tree.N), Records: 1,
			Entry:   portal.Entry{Identifier: "V", Kind: "k", Account: "a", Version: version, Data: leaf, Index: n},
			Catalog: catalog, CatalogSize: size,
		})
	}
	if err := publish(1, "", 0); err != nil {
		t.Fatal(err)
	}
	h, err := s.Catalog(ctx, "V")
	if err != nil || h.Size != 0 || h.Head != vault.EmptyHead || h.Index != -1 {
		t.Fatalf("empty catalog: %+v %v", h, err)
	}
	add := func(start, index int64, version uint64, q portal.Quota, records int64, items ...string) error {
		var data [][]byte
		for _, it := range items {
			data = append(data, []byte(it))
		}
		n, _, _ := s.Latest(ctx)
		leaf := []byte(fmt.Sprintf("head %d", start))
		hs, tree, err := translog.Append(reader, n, leaf)
		if err != nil {
			return err
		}
		return s.AppendRecords(ctx, &portal.RecordsAppend{
			Head:  portal.CatalogHead{Catalog: "V", Size: start + int64(len(items)), Head: fmt.Sprint("head", start), Index: index, Account: "a"},
			Start: start, Items: data, Profile: "V", Version: version,
			Leaf: leaf, Hashes: hs, Checkpoint: fmt.Sprint(tree.N), Cost: 10, Records: records, Quota: q,
		})
	}
	if err := add(0, 1, 1, portal.Quota{}, 2, "a", "b"); err != nil {
		t.Fatal(err)
	}
	// 30 items: more rows than one statement binds.
	var many []string
	for i := range 30 {
		many = append(many, fmt.Sprint("item ", i))
	}
	if err := add(2, 2, 1, portal.Quota{}, 30, many...); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		err, want error
	}{
		"catalog moved":            {add(0, 3, 1, portal.Quota{}, 1, "c"), portal.ErrCatalogMoved},
		"catalog ahead":            {add(40, 3, 1, portal.Quota{}, 1, "c"), portal.ErrCatalogMoved},
		"profile changed":          {add(32, 3, 2, portal.Quota{}, 1, "c"), portal.ErrCatalogMoved},
		"log moved":                {add(32, 2, 1, portal.Quota{}, 1, "c"), portal.ErrLogMoved},
		"replayed item":            {add(32, 3, 1, portal.Quota{}, 2, "c", "a"), portal.ErrConflict},
		"records quota":            {add(32, 3, 1, portal.Quota{AccountRecords: 33}, 1, "c"), portal.ErrQuota},
		"bytes quota":              {add(32, 3, 1, portal.Quota{AccountBytes: 20}, 1, "c"), portal.ErrQuota},
		"portal full":              {add(32, 3, 1, portal.Quota{TotalBytes: 20}, 1, "c"), portal.ErrFull},
		"epoch on a moved catalog": {publish(2, "V", 31), portal.ErrCatalogMoved},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", name, c.err, c.want)
		}
	}
	if n, _, _ := s.Latest(ctx); n != 3 {
		t.Fatalf("log after refusals: %d leaves", n)
	}
	h, err = s.Catalog(ctx, "V")
	if err != nil || h.Size != 32 || h.Index != 2 || h.Account != "a" {
		t.Fatalf("head after refusals: %+v %v", h, err)
	}
	if _, records, _ := s.Usage(ctx, "a"); records != 33 {
		t.Fatalf("records charged: %d, want 33", records)
	}
	items, err := s.CatalogItems(ctx, "V", 0, 32, 1<<20)
	if err != nil || len(items) != 32 || string(items[1]) != "b" || string(items[31]) != "item 29" {
		t.Fatalf("items: %d %v", len(items), err)
	}
	if items, err = s.CatalogItems(ctx, "V", 1, 32, 8); err != nil || len(items) != 2 {
		t.Fatalf("capped at 8 bytes: %d items %v", len(items), err)
	}
	if items, err = s.CatalogItems(ctx, "V", 5, 6, 1); err != nil || len(items) != 1 {
		t.Fatalf("at least one: %d items %v", len(items), err)
	}
	if _, err := s.CatalogItems(ctx, "V", 30, 33, 1<<20); !errors.Is(err, portal.ErrNotFound) {
		t.Fatalf("past the end: %v", err)
	}
	// A new epoch on the catalog as it is.
	if err := publish(2, "V", 32); err != nil {
		t.Fatal(err)
	}
	if err := add(32, 4, 1, portal.Quota{}, 1, "c"); !errors.Is(err, portal.ErrCatalogMoved) {
		t.Fatalf("records checked against version 1 after version 2: %v", err)
	}
	if err := add(32, 4, 2, portal.Quota{}, 1, "c"); err != nil {
		t.Fatal(err)
	}
	// The backup holds the catalog.
	backup := filepath.Join(t.TempDir(), "backup.db")
	if _, err := s.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	b, err := sqlitestore.Open(backup)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if h, err := b.Catalog(ctx, "V"); err != nil || h.Size != 33 {
		t.Fatalf("backup's head: %+v %v", h, err)
	}
	if items, err := b.CatalogItems(ctx, "V", 32, 33, 1<<20); err != nil || len(items) != 1 || string(items[0]) != "c" {
		t.Fatalf("backup's items: %q %v", items, err)
	}
}

// Concurrent appends of records to one vault through two portals on one
// database (two Workers isolates on one D1): each write that lost the race
// for the catalog or the log is placed again after the winner's; every
// acknowledged record is in the catalog once, and the head chains them.
func TestConcurrentAppendRecords(t *testing.T) {
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
	const devices, appends = 4, 6
	p, err := profiletest.NewPerson(devices)
	if err != nil {
		t.Fatal(err)
	}
	cl := &client{url: servers[0].URL + mmm.Path, hc: servers[0].Client()}
	if err := cl.call(&mmm.CreateRequest{Account: "alice", Profile: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}}, &mmm.CreateResponse{}); err != nil {
		t.Fatal(err)
	}
	if err := conformance.Format2(p, nil, false); err != nil {
		t.Fatal(err)
	}
	var pr mmm.PublishResponse
	if err := cl.call(&mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}}, &pr); err != nil || pr.Status.Status != mmm.StatusOK {
		t.Fatalf("publish: %v %+v", err, pr.Status)
	}
	key := make([]byte, vault.KeySize)
	id := p.PasswordProfile.Identifier
	var wg sync.WaitGroup
	errs := make(chan error, devices)
	var mu sync.Mutex
	sent := map[string]bool{}
	for d := range devices {
		wg.Go(func() {
			srv := servers[d%len(servers)]
			cl := &client{url: srv.URL + mmm.Path, hc: srv.Client()}
			dev := p.Devices[d]
			for i := range appends {
				s, _, err := vault.Seal(vault.Header{Vault: id, Entry: fmt.Sprintf("e%d-%d", d, i), Writer: dev.Profile.Identifier, Epoch: 1, Time: time.Now()},
					vault.Entry{Name: "x"}, key, dev.Sign)
				if err != nil {
					errs <- err
					return
				}
				item, _ := vault.Item(s)
				var resp mmm.AppendRecordsResponse
				if err := cl.call(&mmm.AppendRecordsRequest{Catalog: id, Records: []json.RawMessage{item}}, &resp); err != nil || resp.Status.Status != mmm.StatusOK {
					errs <- fmt.Errorf("device %d append %d: %v %+v", d, i, err, resp.Status)
					return
				}
				leaf, _ := translog.HeadLeafData(resp.Head)
				if err := translog.VerifyInclusion(resp.Log, leaf, verifiers); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				sent[string(item)] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var g mmm.GetRecordsResponse
	if err := cl.call(&mmm.GetRecordsRequest{Catalog: id}, &g); err != nil || g.Status.Status != mmm.StatusOK {
		t.Fatalf("get: %v %+v", err, g.Status)
	}
	if len(g.Records) != devices*appends || g.Head.Size != devices*appends {
		t.Fatalf("%d records, head %+v; want %d", len(g.Records), g.Head, devices*appends)
	}
	h := vault.EmptyHead
	for _, r := range g.Records {
		if !sent[string(r)] {
			t.Fatal("a record nobody sent")
		}
		delete(sent, string(r))
		h, _ = vault.ChainHead(h, r)
	}
	if h != g.Head.Head {
		t.Fatal("the head is not the chain over the records")
	}
	leaf, _ := translog.HeadLeafData(g.Head)
	if err := translog.VerifyInclusion(g.Log, leaf, verifiers); err != nil {
		t.Fatal(err)
	}
}
