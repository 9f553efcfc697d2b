package conformance

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/vault"
)

// Records' parents and snapshots of catalogs (issue 17, docs/vault.md).

// edit seals a record of entry by device dev under epoch 1 on parents and
// returns it and its version.
func (v *vault2) edit(t *testing.T, dev int, entry string, parents ...string) ([]byte, string) {
	t.Helper()
	d := v.person.Devices[dev]
	s, version, err := vault.Seal(vault.Header{Vault: v.id(), Entry: entry, Parents: parents, Writer: d.Profile.Identifier, Epoch: 1, Time: time.Now()},
		vault.Entry{Name: entry, Password: unique("pw"), Created: time.Now()}, v.keys[1], d.Sign)
	if err != nil {
		t.Fatal(err)
	}
	item, err := vault.Item(s)
	if err != nil {
		t.Fatal(err)
	}
	return item, version
}

// recordsParents: the portal refuses a record whose parents are not
// records of its entry in the catalog (or earlier in the request), and a
// record it holds already, even inside another item.
func (s *suite) recordsParents(t *testing.T) {
	v := s.newVault2(t, 2)
	a := unique("entry")
	first, v1 := v.edit(t, 0, a)
	s.appendItems(t, v, first)
	add := func(items ...[]byte) *mmm.AppendRecordsRequest {
		return &mmm.AppendRecordsRequest{Catalog: v.id(), Records: raw(items...)}
	}
	unknown, _ := v.edit(t, 0, a, "nosuchversionnosuchversionnosuchversionnosuchversion")
	s.wantText(t, mmm.StatusBadRequest, "which is not a record of that entry", add(unknown))
	other, _ := v.edit(t, 1, unique("entry"), v1)
	s.wantText(t, mmm.StatusBadRequest, "which is not a record of that entry", add(other))
	// A parent earlier in the same request, and concurrent edits of one
	// parent, are fine.
	e2, v2 := v.edit(t, 1, a, v1)
	e3, _ := v.edit(t, 0, a, v2)
	e4, _ := v.edit(t, 1, a, v1)
	s.appendItems(t, v, e2, e3, e4)
	// A record in the catalog already, again inside a batch.
	d := v.person.Devices[0]
	var rec vault.Record
	if err := json.Unmarshal(mustPayload(t, first), &rec); err != nil {
		t.Fatal(err)
	}
	batch, err := json.Marshal(vault.Batch{Vault: v.id(), Writer: d.Profile.Identifier, Key: d.Sign.Public().UDF, Records: []json.RawMessage{mustPayload(t, first)}})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := jws.Sign(d.Sign, batch)
	if err != nil {
		t.Fatal(err)
	}
	bi, _ := vault.Item(sb)
	s.wantText(t, mmm.StatusConflict, "in the catalog already", add(bi))
	s.readAll(t, v, 0)
}

func mustPayload(t *testing.T, item []byte) []byte {
	t.Helper()
	sd, err := vault.ParseItem(item)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sd.UnverifiedPayload()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// manifest signs a snapshot manifest of v by device dev at position with
// head over chunks (the portal cannot open chunks: any bytes do).
func (v *vault2) manifest(t *testing.T, dev, epoch int, position int64, head string, chunks [][]byte) []byte {
	t.Helper()
	d := v.person.Devices[dev]
	m := vault.Manifest{Kind: vault.SnapshotKind, Vault: v.id(), Writer: d.Profile.Identifier, Key: d.Sign.Public().UDF, Epoch: epoch,
		Position: position, Head: head, Count: 1, Time: time.Now().UTC()}
	for _, c := range chunks {
		h := sha256.Sum256(c)
		m.Chunks = append(m.Chunks, base64.RawURLEncoding.EncodeToString(h[:]))
	}
	payload, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := jws.Sign(d.Sign, payload)
	if err != nil {
		t.Fatal(err)
	}
	item, err := vault.Item(sd)
	if err != nil {
		t.Fatal(err)
	}
	return item
}

// putAll uploads every chunk of a snapshot and checks the answers: the
// count stored, and complete after the last.
func (s *suite) putAll(t *testing.T, v *vault2, manifest []byte, chunks [][]byte) {
	t.Helper()
	for i, c := range chunks {
		var resp mmm.PutSnapshotResponse
		s.must(t, &mmm.PutSnapshotRequest{Catalog: v.id(), Snapshot: manifest, Chunk: i, Data: c}, &resp)
		if resp.Stored != i+1 || resp.Complete != (i == len(chunks)-1) {
			t.Fatalf("chunk %d of %d: stored %d, complete %v", i, len(chunks), resp.Stored, resp.Complete)
		}
	}
}

// getAll reads the catalog's snapshot and checks it is manifest and chunks.
func (s *suite) getAll(t *testing.T, v *vault2, manifest []byte, chunks [][]byte) {
	t.Helper()
	for i, c := range chunks {
		var resp mmm.GetSnapshotResponse
		s.must(t, &mmm.GetSnapshotRequest{Catalog: v.id(), Chunk: i}, &resp)
		if !bytes.Equal(resp.Snapshot, manifest) || resp.Chunk != i || !bytes.Equal(resp.Data, c) {
			t.Fatalf("snapshot chunk %d: not the one stored", i)
		}
	}
	s.wantText(t, mmm.StatusBadRequest, "chunk", &mmm.GetSnapshotRequest{Catalog: v.id(), Chunk: len(chunks)})
}

func chunksOf(t *testing.T, sizes ...int) [][]byte {
	var out [][]byte
	for _, n := range sizes {
		out = append(out, newKeyN(t, n))
	}
	return out
}

func newKeyN(t *testing.T, n int) []byte {
	b := bytes.Repeat(newKey(t), n/32+1)
	return b[:n]
}

// recordsSnapshots: a snapshot is stored chunk by chunk, served once
// complete, replaced by a later one, and refused when its manifest does
// not fit the catalog: another vault, a writer not of the latest epoch, a
// position the catalog has not reached, a head that is not the catalog's
// at its position, a chunk that is not the one it names, an older
// position than the snapshot stored.
func (s *suite) recordsSnapshots(t *testing.T) {
	v := s.newVault2With(t, 3, 2)
	p := v.person
	var none mmm.GetSnapshotResponse
	s.must(t, &mmm.GetSnapshotRequest{Catalog: v.id()}, &none)
	if none.Snapshot != nil {
		t.Fatal("a snapshot of an empty catalog")
	}
	s.appendItems(t, v, v.record(t, 0, 1), v.batch(t, 1, 1, 3))
	s.appendItems(t, v, v.record(t, 1, 1))
	mid, midHead := int64(2), v.items[:2]
	h2 := vault.EmptyHead
	for _, it := range midHead {
		h2, _ = vault.ChainHead(h2, it)
	}
	put := func(manifest []byte, n int, data []byte) *mmm.PutSnapshotRequest {
		return &mmm.PutSnapshotRequest{Catalog: v.id(), Snapshot: manifest, Chunk: n, Data: data}
	}
	chunks := chunksOf(t, 1000, 2000, 10)
	good := v.manifest(t, 0, 1, mid, h2, chunks)

	// Refusals.
	s.wantText(t, mmm.StatusConflict, "the catalog's is", put(v.manifest(t, 0, 1, mid, v.head, chunks), 0, chunks[0]))
	s.wantText(t, mmm.StatusConflict, "of a catalog of 3 items", put(v.manifest(t, 0, 1, 4, v.head, chunks), 0, chunks[0]))
	s.wantText(t, mmm.StatusForbidden, "not a writer", put(v.manifest(t, 2, 1, mid, h2, chunks), 0, chunks[0]))
	s.wantText(t, mmm.StatusForbidden, "latest is 1", put(v.manifest(t, 0, 2, mid, h2, chunks), 0, chunks[0]))
	s.wantText(t, mmm.StatusBadRequest, "not the one the manifest names", put(good, 0, chunks[1]))
	s.wantText(t, mmm.StatusBadRequest, "chunk 3 of a snapshot of 3", put(good, 3, chunks[0]))
	s.wantText(t, mmm.StatusBadRequest, "not a snapshot manifest", put(v.record(t, 0, 1), 0, chunks[0]))
	w := s.newVault2(t, 1)
	s.wantText(t, mmm.StatusBadRequest, "another vault", &mmm.PutSnapshotRequest{Catalog: w.id(), Snapshot: good, Data: chunks[0]})
	s.want(t, mmm.StatusBadRequest, &mmm.PutSnapshotRequest{Catalog: v.id(), Snapshot: good, Chunk: -1, Data: chunks[0]})
	s.want(t, mmm.StatusBadRequest, &mmm.PutSnapshotRequest{Catalog: v.id(), Snapshot: good})
	s.wantText(t, mmm.StatusNotFound, "no vault", &mmm.GetSnapshotRequest{Catalog: p.PersonalProfile.Identifier})

	// Incomplete: not served.
	var resp mmm.PutSnapshotResponse
	s.must(t, put(good, 1, chunks[1]), &resp)
	s.must(t, &mmm.GetSnapshotRequest{Catalog: v.id()}, &none)
	if none.Snapshot != nil || resp.Stored != 1 || resp.Complete {
		t.Fatalf("an incomplete snapshot: stored %d, complete %v, served %v", resp.Stored, resp.Complete, none.Snapshot != nil)
	}
	// Complete (a chunk sent twice counts once).
	s.must(t, put(good, 1, chunks[1]), &resp)
	s.must(t, put(good, 0, chunks[0]), &resp)
	s.must(t, put(good, 2, chunks[2]), &resp)
	if resp.Stored != 3 || !resp.Complete {
		t.Fatalf("stored %d, complete %v", resp.Stored, resp.Complete)
	}
	s.getAll(t, v, good, chunks)
	s.wantText(t, mmm.StatusConflict, "snapshot at position 2 or later", put(good, 0, chunks[0]))
	h1, _ := vault.ChainHead(vault.EmptyHead, v.items[0])
	older := v.manifest(t, 1, 1, 1, h1, chunks[:1])
	s.wantText(t, mmm.StatusConflict, "snapshot at position 1 or later", put(older, 0, chunks[0]))

	// A later snapshot replaces it, at the catalog's end.
	later := chunksOf(t, 500)
	lm := v.manifest(t, 1, 1, int64(len(v.items)), v.head, later)
	s.putAll(t, v, lm, later)
	s.getAll(t, v, lm, later)
	s.readAll(t, v, 0) // the items are all still served (audit)

	// A new key epoch that drops the snapshot's writer: not served.
	v.keys[2] = newKey(t)
	if err := Format2(p, []profile.KeyEpoch{{Epoch: 1, Writers: epochWriters(p)[:2]}, {Epoch: 2, Start: int64(len(v.items)), Writers: epochWriters(p)[:1]}}, true); err != nil {
		t.Fatal(err)
	}
	s.must(t, &mmm.PublishRequest{Entry: mmm.Entry{SignedApplicationProfile: p.SignedPasswords}}, &mmm.PublishResponse{})
	s.must(t, &mmm.GetSnapshotRequest{Catalog: v.id()}, &none)
	if none.Snapshot != nil {
		t.Fatal("a snapshot under an earlier key epoch is served")
	}
}
