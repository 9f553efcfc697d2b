//go:build !js

package sqlitestore_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
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

// catalogOf makes a store whose vault V (account a) has items "a" … of
// n items, appended with their records' versions.
func catalogOf(t *testing.T, n int) (*sqlitestore.Store, string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	s, err := sqlitestore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return s.ReadHashes(ctx, idx) })
	leaf := []byte("profile")
	hs, tree, err := translog.Append(reader, 0, leaf)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ctx, &portal.Append{Hashes: hs, Checkpoint: fmt.Sprint(tree.N), Records: 1,
		Entry: portal.Entry{Identifier: "V", Kind: "k", Account: "a", Version: 1, Data: leaf, Index: 0}}); err != nil {
		t.Fatal(err)
	}
	var items [][]byte
	var versions []portal.Version
	head := vault.EmptyHead
	for i := range n {
		items = append(items, []byte(fmt.Sprint("item ", i)))
		versions = append(versions, portal.Version{Version: fmt.Sprint("v", i), Entry: fmt.Sprint("e", i%3)})
		head, _ = vault.ChainHead(head, items[i])
	}
	leaf = []byte("head")
	hs, tree, err = translog.Append(reader, 1, leaf)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AppendRecords(ctx, &portal.RecordsAppend{
		Head:  portal.CatalogHead{Catalog: "V", Size: int64(n), Head: head, Index: 1, Account: "a"},
		Items: items, Profile: "V", Version: 1, Leaf: leaf, Hashes: hs, Checkpoint: fmt.Sprint(tree.N), Records: int64(n),
		Versions: versions,
	}); err != nil {
		t.Fatal(err)
	}
	return s, path
}

// Versions are kept with their items; the head at any position is
// recomputed from the items' hashes; IndexVersions is guarded by the
// count indexed.
func TestCatalogVersions(t *testing.T) {
	ctx := context.Background()
	s, path := catalogOf(t, 120) // more versions than one statement binds
	got, err := s.CatalogVersions(ctx, "V", []string{"v0", "v119", "v200", "v7"})
	if err != nil || len(got) != 3 || got["v119"] != "e2" || got["v7"] != "e1" {
		t.Fatalf("versions %v %v", got, err)
	}
	head := vault.EmptyHead
	for i := range 120 {
		at, err := s.CatalogHeadAt(ctx, "V", int64(i))
		if err != nil || at != head {
			t.Fatalf("head at %d: %s %v, want %s", i, at, err, head)
		}
		head, _ = vault.ChainHead(head, []byte(fmt.Sprint("item ", i)))
	}
	if _, err := s.CatalogHeadAt(ctx, "V", 121); !errors.Is(err, portal.ErrNotFound) {
		t.Fatalf("head past the end: %v", err)
	}
	if h, _ := s.Catalog(ctx, "V"); h.Indexed != 120 {
		t.Fatalf("indexed %d", h.Indexed)
	}
	// A catalog of before migration 0006: nothing indexed.
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE catalog_heads SET indexed = 0; DELETE FROM catalog_versions`); err != nil {
		t.Fatal(err)
	}
	if err := s.IndexVersions(ctx, "V", 5, 120, nil); !errors.Is(err, portal.ErrCatalogMoved) {
		t.Fatalf("indexing from 5 of 0: %v", err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.IndexVersions(ctx, "V", 0, 60, []portal.Version{{Version: "v1", Entry: "e1"}, {Version: "v1", Entry: "e1"}}))
	must(s.IndexVersions(ctx, "V", 60, 120, []portal.Version{{Version: "v119", Entry: "e2"}}))
	if got, _ := s.CatalogVersions(ctx, "V", []string{"v1", "v119"}); len(got) != 2 {
		t.Fatalf("versions after indexing: %v", got)
	}
	if h, _ := s.Catalog(ctx, "V"); h.Indexed != 120 {
		t.Fatalf("indexed %d", h.Indexed)
	}
}

// A snapshot is stored chunk by chunk, served once complete, replaces an
// older one, and is charged to the account while stored: replaced or
// abandoned snapshots are refunded, and a quota refusal writes nothing.
func TestSnapshotStore(t *testing.T) {
	ctx := context.Background()
	s, _ := catalogOf(t, 4)
	usage := func() int64 {
		b, _, err := s.Usage(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	total := func() int64 {
		b, _, _, err := s.Totals(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	base, baseTotal := usage(), total()
	put := func(hash string, pos int64, chunks, n int, size int, q portal.Quota) (int, bool, error) {
		return s.PutSnapshotChunk(ctx, &portal.SnapshotChunk{
			Snapshot: portal.Snapshot{Catalog: "V", Hash: hash, Manifest: []byte("manifest " + hash), Position: pos, Chunks: chunks, Account: "a"},
			N:        n, Data: bytes.Repeat([]byte{byte(n)}, size), Quota: q,
		})
	}
	cost := func(hash string, sizes ...int) int64 {
		c := int64(len("manifest "+hash) + 64)
		for _, n := range sizes {
			c += int64(n + 64)
		}
		return c
	}
	check := func(name string, stored int, complete bool, err error, wantStored int, wantComplete bool, charged int64) {
		t.Helper()
		if err != nil || stored != wantStored || complete != wantComplete {
			t.Fatalf("%s: stored %d complete %v %v", name, stored, complete, err)
		}
		if u, tot := usage()-base, total()-baseTotal; u != charged || tot != charged {
			t.Fatalf("%s: charged %d (portal %d), want %d", name, u, tot, charged)
		}
	}
	n, c, err := put("h1", 2, 2, 1, 1000, portal.Quota{})
	check("h1 chunk 1", n, c, err, 1, false, cost("h1", 1000))
	if _, err := s.CatalogSnapshot(ctx, "V"); !errors.Is(err, portal.ErrNotFound) {
		t.Fatalf("an incomplete snapshot is served: %v", err)
	}
	n, c, err = put("h1", 2, 2, 1, 1000, portal.Quota{}) // again: charged once
	check("h1 chunk 1 again", n, c, err, 1, false, cost("h1", 1000))
	_, _, err = put("h1", 2, 2, 0, 500, portal.Quota{AccountBytes: base + 1000})
	if !errors.Is(err, portal.ErrQuota) {
		t.Fatalf("over the quota: %v", err)
	}
	check("refused", 1, false, nil, 1, false, cost("h1", 1000))
	n, c, err = put("h1", 2, 2, 0, 500, portal.Quota{})
	check("h1 complete", n, c, err, 2, true, cost("h1", 1000, 500))
	sn, err := s.CatalogSnapshot(ctx, "V")
	if err != nil || sn.Hash != "h1" || sn.Position != 2 || sn.Chunks != 2 || string(sn.Manifest) != "manifest h1" {
		t.Fatalf("snapshot %+v %v", sn, err)
	}
	if d, err := s.SnapshotData(ctx, "V", "h1", 1); err != nil || len(d) != 1000 || d[0] != 1 {
		t.Fatalf("chunk 1: %d bytes %v", len(d), err)
	}
	if _, _, err := put("h2", 2, 1, 0, 10, portal.Quota{}); !errors.Is(err, portal.ErrConflict) {
		t.Fatalf("a snapshot at the same position: %v", err)
	}
	// An upload abandoned for another: refunded.
	n, c, err = put("h3", 4, 2, 0, 300, portal.Quota{})
	check("h3 chunk 0", n, c, err, 1, false, cost("h1", 1000, 500)+cost("h3", 300))
	n, c, err = put("h4", 4, 1, 0, 200, portal.Quota{})
	check("h4 complete", n, c, err, 1, true, cost("h4", 200))
	if sn, err := s.CatalogSnapshot(ctx, "V"); err != nil || sn.Hash != "h4" {
		t.Fatalf("snapshot %+v %v", sn, err)
	}
	if _, err := s.SnapshotData(ctx, "V", "h1", 0); !errors.Is(err, portal.ErrNotFound) {
		t.Fatalf("the replaced snapshot's chunks are kept: %v", err)
	}
}

// A catalog written before migration 0006 (no versions kept) is indexed
// at its next append: a record on an old record is accepted, one on an
// unknown parent refused, and a record appended before is refused again.
func TestIndexOldCatalog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	store, err := sqlitestore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	opts, _ := conformance.Options(t)
	opts.MaxAnswer = 2000 // indexed in several pages
	srv := httptest.NewServer(portal.New(store, opts))
	defer srv.Close()
	cl := &client{url: srv.URL + mmm.Path, hc: srv.Client()}
	p, err := profiletest.NewPerson(1)
	if err != nil {
		t.Fatal(err)
	}
	call := func(req mmm.Request, resp mmm.Response) int {
		t.Helper()
		if err := cl.call(req, resp); err != nil {
			var me *mmm.Error
			if errors.As(err, &me) {
				return me.Code
			}
			t.Fatal(err)
		}
		return resp.Outcome().Status
	}
	call(&mmm.CreateRequest{Account: "alice", Profile: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}}, &mmm.CreateResponse{})
	if err := conformance.Format2(p, nil, false); err != nil {
		t.Fatal(err)
	}
	if code := call(&mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}}, &mmm.PublishResponse{}); code != mmm.StatusOK {
		t.Fatalf("publish: %d", code)
	}
	key := make([]byte, vault.KeySize)
	id := p.PasswordProfile.Identifier
	dev := p.Devices[0]
	seal := func(entry string, parents ...string) ([]byte, string) {
		s, v, err := vault.Seal(vault.Header{Vault: id, Entry: entry, Parents: parents, Writer: dev.Profile.Identifier, Epoch: 1, Time: time.Now()},
			vault.Entry{Name: entry}, key, dev.Sign)
		if err != nil {
			t.Fatal(err)
		}
		item, _ := vault.Item(s)
		return item, v
	}
	var items []json.RawMessage
	var versions []string
	for i := range 20 {
		item, v := seal(fmt.Sprint("e", i))
		items, versions = append(items, item), append(versions, v)
	}
	if code := call(&mmm.AppendRecordsRequest{Catalog: id, Records: items}, &mmm.AppendRecordsResponse{}); code != mmm.StatusOK {
		t.Fatalf("append: %d", code)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE catalog_heads SET indexed = 0; DELETE FROM catalog_versions`); err != nil {
		t.Fatal(err)
	}
	unknown, _ := seal("e3", "nosuchparent")
	if code := call(&mmm.AppendRecordsRequest{Catalog: id, Records: []json.RawMessage{unknown}}, &mmm.AppendRecordsResponse{}); code != mmm.StatusBadRequest {
		t.Fatalf("an unknown parent: %d", code)
	}
	if h, _ := store.Catalog(context.Background(), id); h.Indexed != 20 {
		t.Fatalf("indexed %d of 20", h.Indexed)
	}
	edit, _ := seal("e19", versions[19])
	if code := call(&mmm.AppendRecordsRequest{Catalog: id, Records: []json.RawMessage{edit}}, &mmm.AppendRecordsResponse{}); code != mmm.StatusOK {
		t.Fatalf("an edit of an old record: %d", code)
	}
	wrongEntry, _ := seal("e1", versions[2])
	if code := call(&mmm.AppendRecordsRequest{Catalog: id, Records: []json.RawMessage{wrongEntry}}, &mmm.AppendRecordsResponse{}); code != mmm.StatusBadRequest {
		t.Fatalf("a parent of another entry: %d", code)
	}
}
