package vault

import (
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// snapHistory writes a random history of adds, edits, concurrent edits
// and deletes by two devices, in the order a portal would log them.
func snapHistory(t *testing.T, r *ring, c *Catalog, n int, seed uint64) []*Signed {
	t.Helper()
	rng := mrand.New(mrand.NewPCG(seed, 1))
	var out []*Signed
	at := t0
	for i := range n {
		at = at.Add(time.Second)
		dev := []string{"a", "b"}[rng.IntN(2)]
		id := fmt.Sprintf("e%03d", rng.IntN(n/3+1))
		e := Entry{Name: id, Sites: []string{id + ".example"}, Username: "u", Password: fmt.Sprintf("p%d", i), Created: t0}
		heads := c.Heads(id)
		parents := heads
		switch {
		case len(heads) > 0 && rng.IntN(5) == 0:
			cur, _ := c.Entry(id)
			e = cur
			e.Deleted = true
		case len(heads) > 0 && rng.IntN(4) == 0:
			// a device that had not seen the latest edit: on an older version
			vs := c.entries[id]
			parents = []string{vs[rng.IntN(len(vs))]}
		}
		s, _ := write(t, r, dev, id, parents, at, e)
		if _, err := c.Add(s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func sameEntries(t *testing.T, want, got *Catalog) {
	t.Helper()
	we, ge := want.Entries(), got.Entries()
	if len(we) != len(ge) {
		t.Fatalf("%d entries, want %d", len(ge), len(we))
	}
	for i := range we {
		if !reflect.DeepEqual(we[i], ge[i]) {
			t.Fatalf("entry differs:\nwant %#v\n got %#v", we[i], ge[i])
		}
	}
}

func TestSnapshotThenTail(t *testing.T) {
	r := newRing(t, "a", "b")
	full := NewCatalog(r)
	recs := snapHistory(t, r, full, 300, 7)
	const pos = 200
	at := NewCatalog(r)
	head := EmptyHead
	for _, s := range recs[:pos] {
		if _, err := at.Add(s); err != nil {
			t.Fatal(err)
		}
		item, _ := Item(s)
		head, _ = ChainHead(head, item)
	}
	m, chunks, err := MakeSnapshot(at, pos, head, "a", 1, r.epochs[1], r.devices["a"], t0)
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := Item(m)
	snap, err := OpenSnapshot(mb, chunks, r, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := at.CheckSnapshot(snap); err != nil {
		t.Fatalf("an honest snapshot fails its check: %v", err)
	}
	fromSnap, err := NewCatalogFromSnapshot(r, snap)
	if err != nil {
		t.Fatal(err)
	}
	sameEntries(t, at, fromSnap)
	if fromSnap.Len() >= at.Len() {
		t.Errorf("a snapshot of %d records compacted nothing from %d", fromSnap.Len(), at.Len())
	}
	for _, s := range recs[pos:] {
		if _, err := fromSnap.Add(s); err != nil {
			t.Fatalf("a record after the snapshot: %v", err)
		}
	}
	// Entries live at the snapshot keep every value in their history;
	// entries deleted then are compacted to their last state (a later
	// record brings them back with it, without the older history).
	compacted := 0
	for _, id := range full.IDs() {
		we, _ := full.Entry(id)
		ge, _ := fromSnap.Entry(id)
		if e, ok := at.Entry(id); ok && e.Deleted {
			compacted++
			we.History, ge.History = nil, nil
		}
		if !reflect.DeepEqual(we, ge) {
			t.Fatalf("entry differs:\nwant %#v\n got %#v", we, ge)
		}
	}
	if compacted == 0 {
		t.Error("no entry was deleted at the snapshot: the test tests no compaction")
	}
}

func TestSnapshotRefused(t *testing.T) {
	r := newRing(t, "a", "b", "x")
	c := NewCatalog(r)
	recs := snapHistory(t, r, c, 60, 3)
	m, chunks, err := MakeSnapshot(c, int64(len(recs)), EmptyHead, "a", 1, r.epochs[1], r.devices["a"], t0)
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := Item(m)
	changed := append([]byte(nil), chunks[0]...)
	changed[len(changed)-1] ^= 1
	other := *r
	other.vault = "vault-2"
	r.retired["x"] = 1
	mx, chunksX, _ := MakeSnapshot(c, int64(len(recs)), EmptyHead, "x", 1, r.epochs[1], r.devices["x"], t0)
	mxb, _ := Item(mx)
	for _, tc := range []struct {
		name     string
		manifest []byte
		chunks   [][]byte
		ring     Keyring
		want     error
	}{
		{"chunk changed", mb, [][]byte{changed}, r, ErrSnapshot},
		{"chunk missing", mb, nil, r, ErrSnapshot},
		{"another vault", mb, chunks, &other, ErrOtherVault},
		{"removed writer", mxb, chunksX, r, ErrWriter},
		{"not a manifest", []byte(`{"protected":"e30","payload":"e30","signature":"AA"}`), chunks, r, ErrMalformed},
	} {
		if _, err := OpenSnapshot(tc.manifest, tc.chunks, tc.ring, true); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// A writer's snapshot that lies (a password changed, an entry left
	// out) opens, but a device reading the whole history catches it.
	snap, err := OpenSnapshot(mb, chunks, r, true)
	if err != nil {
		t.Fatal(err)
	}
	lie := *snap
	lie.Records = append([]SnapshotRecord(nil), snap.Records...)
	lie.Records[0].Fields.Password = "attacker's"
	if err := c.CheckSnapshot(&lie); !errors.Is(err, ErrSnapshot) {
		t.Errorf("a changed password: %v", err)
	}
	lie.Records = snap.Records[1:]
	if err := c.CheckSnapshot(&lie); !errors.Is(err, ErrSnapshot) {
		t.Errorf("an entry left out: %v", err)
	}
}
