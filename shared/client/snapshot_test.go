package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/vault"
)

// snapshotVault gives a (with SnapshotEvery off) a history of adds, edits
// and deletes, one record each, and returns the IDs it deleted.
func snapshotVault(t *testing.T, a *Client, n int) []string {
	t.Helper()
	ctx := context.Background()
	a.opts.SnapshotEvery = -1
	var ids, deleted []string
	for i := range n {
		e, err := a.Add(ctx, entry(fmt.Sprintf("s%d.example", i), fmt.Sprintf("u%d", i), fmt.Sprintf("pw%d", i)))
		must(t, err)
		ids = append(ids, e.ID)
	}
	for i, id := range ids {
		switch i % 4 {
		case 1:
			must(t, a.Edit(ctx, id, func(e *vault.Entry) { e.Password = e.Password + "-changed" }))
		case 2:
			must(t, a.Delete(ctx, id))
			deleted = append(deleted, id)
		}
	}
	return deleted
}

// resetCatalog makes c a device that holds nothing of the catalog yet, as
// a device just connected.
func resetCatalog(t *testing.T, c *Client) {
	t.Helper()
	must(t, c.deleteChunks())
	c.st.Catalog, c.vault = nil, nil
	must(t, c.save())
}

// sameVault checks that b reads a's vault: every entry, history included.
func sameVault(t *testing.T, a, b *Client) {
	t.Helper()
	la, lb := must1(t, a.List), must1(t, b.List)
	if len(la) != len(lb) {
		t.Fatalf("%d entries, want %d", len(lb), len(la))
	}
	for i := range la {
		if !reflect.DeepEqual(la[i], lb[i]) {
			t.Fatalf("entry %s differs:\n%+v\n%+v", la[i].ID, la[i], lb[i])
		}
	}
}

// TestSnapshotNewDevice: a new device reads the snapshot and the items
// after it, not every item, and then reads the vault as the device that
// read everything does; after a restart too; its writes reach the others.
func TestSnapshotNewDevice(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	deleted := snapshotVault(t, a, 24)
	must(t, a.PublishSnapshot(ctx))
	pos := a.catalog().Size
	if a.catalog().Snapshot != pos {
		t.Fatalf("snapshot at %d, catalog of %d", a.catalog().Snapshot, pos)
	}
	// The tail: an edit of a deleted entry's fields restores it, a new entry.
	must(t, a.Restore(ctx, deleted[0]))
	_, err := a.Add(ctx, entry("tail.example", "tail", "pwtail"))
	must(t, err)

	var items int
	p.SetRewrite(func(typ string, _, resp []byte) []byte {
		if typ == "GetRecordsRequest" {
			var gr mmm.GetRecordsResponse
			if err := mmm.DecodeResponse(bytes.NewReader(resp), &gr); err == nil {
				items += len(gr.Records)
			}
		}
		return nil
	})
	b := connect(t, p, a)
	p.SetRewrite(nil)
	if cs := b.catalog(); cs.Base != pos || cs.Size != a.catalog().Size {
		t.Fatalf("B starts at %d with %d items; the snapshot is at %d of %d", cs.Base, cs.Size, pos, a.catalog().Size)
	}
	if want := int(a.catalog().Size - pos); items != want {
		t.Fatalf("B read %d items, want the %d after the snapshot", items, want)
	}
	sameVault(t, a, b)
	// Histories survive: a changed password's former value.
	for _, e := range must1(t, b.List) {
		if e.Password != "" && len(e.Password) > 8 && e.Password[len(e.Password)-8:] == "-changed" && len(e.PasswordHistory(5)) == 0 {
			t.Fatalf("entry %s lost its password history", e.ID)
		}
	}
	// B restarts from its storage.
	b2 := newClient(t, p, b.opts.Storage)
	must(t, b2.Unlock("passphrase B"))
	sameVault(t, a, b2)
	// B writes, on an entry from the snapshot; A reads it.
	id := must1(t, b2.List)[0].ID
	must(t, b2.Edit(ctx, id, func(e *vault.Entry) { e.Notes = "from B" }))
	must(t, a.Sync(ctx))
	sameVault(t, a, b2)
	if e := must1(t, a.List)[0]; e.Notes != "from B" {
		t.Fatalf("A reads notes %q", e.Notes)
	}
	// A later snapshot by B, from the snapshot it started from.
	must(t, b2.PublishSnapshot(ctx))
	c := connect(t, p, a)
	if c.catalog().Base != b2.catalog().Size {
		t.Fatalf("C starts at %d; B's snapshot is at %d", c.catalog().Base, b2.catalog().Size)
	}
	sameVault(t, a, c)
}

// TestSnapshotAuto: a Sync publishes a snapshot every SnapshotEvery items.
func TestSnapshotAuto(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	a.opts.SnapshotEvery = 5
	for i := range 6 {
		_, err := a.Add(ctx, entry(fmt.Sprintf("auto%d.example", i), "u", "p"))
		must(t, err)
	}
	if a.catalog().Snapshot != 0 {
		t.Fatal("a snapshot without a sync")
	}
	must(t, a.Sync(ctx))
	if s := a.catalog().Snapshot; s != a.catalog().Size {
		t.Fatalf("snapshot at %d after a sync of %d items", s, a.catalog().Size)
	}
	b := connect(t, p, a)
	if b.catalog().Base != a.catalog().Size {
		t.Fatalf("B starts at %d", b.catalog().Base)
	}
}

// TestHostileSnapshot: a portal that serves a snapshot of another vault,
// an old snapshot with the current items, a snapshot whose head is not
// the catalog's, a changed chunk, or drops items between the snapshot and
// the rest, is refused with ErrSnapshot, and the device keeps what it had.
func TestHostileSnapshot(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	snapshotVault(t, a, 8)
	must(t, a.PublishSnapshot(ctx))
	// The snapshot's answers as they are now, then a later snapshot.
	old := map[int]*mmm.GetSnapshotResponse{}
	for n := 0; ; n++ {
		var gr mmm.GetSnapshotResponse
		must(t, a.do(ctx, &mmm.GetSnapshotRequest{Catalog: a.vault.ring.Vault(), Chunk: n}, &gr))
		old[n] = &gr
		if _, m, _ := vault.ParseManifest(gr.Snapshot); n+1 == len(m.Chunks) {
			break
		}
	}
	oldPos := a.catalog().Size
	for i := range 3 {
		_, err := a.Add(ctx, entry(fmt.Sprintf("later%d.example", i), "later", "p"))
		must(t, err)
	}
	must(t, a.PublishSnapshot(ctx))
	dropped := int(a.catalog().Size - oldPos)
	_, err := a.Add(ctx, entry("tail.example", "tail", "p"))
	must(t, err)
	b := connect(t, p, a)
	// Carol's vault and snapshot.
	carol := newClient(t, p, nil)
	must(t, carol.Create(ctx, p.URL, "carol", "passphrase C", "laptop"))
	_, err = carol.Add(ctx, entry("carol.example", "c1", "cpw"))
	must(t, err)
	must(t, carol.PublishSnapshot(ctx))
	var carolSnap mmm.GetSnapshotResponse
	must(t, carol.do(ctx, &mmm.GetSnapshotRequest{Catalog: carol.vault.ring.Vault()}, &carolSnap))
	// A snapshot signed by a writer, with a head that is not the catalog's.
	v, err := a.view()
	must(t, err)
	epoch, key := v.ring.latest()
	wrong, _ := vault.ChainHead(a.catalog().Head, []byte("not an item"))
	lm, lchunks, err := vault.MakeSnapshot(v.verified, a.catalog().Size, wrong, a.st.Device, epoch, key, a.keys.sign, a.now())
	must(t, err)
	lying, err := vault.Item(lm)
	must(t, err)

	snapshots := func(f func(*mmm.GetSnapshotResponse)) clienttest.Rewrite {
		return rewriteAnswer(t, "GetSnapshotRequest", f)
	}
	cases := []struct {
		name    string
		rewrite clienttest.Rewrite
	}{
		{"another vault's", snapshots(func(r *mmm.GetSnapshotResponse) { *r = carolSnap })},
		{"an old one with the items after the newer one", func(typ string, req, resp []byte) []byte {
			if typ == "GetSnapshotRequest" {
				return snapshots(func(r *mmm.GetSnapshotResponse) { *r = *old[r.Chunk] })(typ, req, resp)
			}
			return rewriteRecords(t, func(r *mmm.GetRecordsResponse) { r.Records = r.Records[min(dropped, len(r.Records)):] })(typ, req, resp)
		}},
		{"a head that is not the catalog's", snapshots(func(r *mmm.GetSnapshotResponse) {
			r.Snapshot, r.Data = lying, lchunks[r.Chunk]
		})},
		{"a chunk changed", snapshots(func(r *mmm.GetSnapshotResponse) { r.Data = slices.Clone(r.Data); r.Data[len(r.Data)-1] ^= 1 })},
		{"items dropped after it", rewriteRecords(t, func(r *mmm.GetRecordsResponse) {
			if len(r.Records) > 0 {
				r.Records = r.Records[1:]
			}
		})},
	}
	for _, c := range cases {
		resetCatalog(t, b)
		p.SetRewrite(c.rewrite)
		err := b.Sync(ctx)
		p.SetRewrite(nil)
		if !errors.Is(err, ErrSnapshot) {
			t.Fatalf("%s: %v, want ErrSnapshot", c.name, err)
		}
		t.Logf("%s: %v", c.name, err)
		if cs := b.catalog(); cs.Size != 0 || cs.Base != 0 {
			t.Fatalf("%s: the device took %d items from %d", c.name, cs.Size, cs.Base)
		}
		if _, err := b.opts.Storage.Get(snapshotKey); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s: the snapshot was kept", c.name)
		}
	}
	must(t, b.Sync(ctx))
	sameVault(t, a, b)
}

// TestSnapshotOfRemovedWriter: a snapshot made by a device removed since
// (a new key epoch) is refused, even with the catalog's true items after
// it: the portal stops serving it, and a portal that replays it is caught.
func TestSnapshotOfRemovedWriter(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	d := connect(t, p, a)
	d.opts.SnapshotEvery = -1
	snapshotVault(t, d, 6)
	must(t, d.PublishSnapshot(ctx))
	var stale mmm.GetSnapshotResponse
	must(t, d.do(ctx, &mmm.GetSnapshotRequest{Catalog: d.vault.ring.Vault()}, &stale))
	must(t, a.Sync(ctx))
	must(t, a.RemoveDevice(ctx, d.DeviceID()))
	_, err := a.Add(ctx, entry("after.example", "after", "p"))
	must(t, err)
	// The portal serves it no more: a new device reads every item.
	b := connect(t, p, a)
	if b.catalog().Base != 0 {
		t.Fatalf("B started from a snapshot at %d by a removed device", b.catalog().Base)
	}
	// A portal that serves it all the same is caught.
	resetCatalog(t, b)
	p.SetRewrite(rewriteAnswer(t, "GetSnapshotRequest", func(r *mmm.GetSnapshotResponse) { *r = stale }))
	err = b.Sync(ctx)
	p.SetRewrite(nil)
	if !errors.Is(err, ErrSnapshot) || !errors.Is(err, vault.ErrWriter) {
		t.Fatalf("a removed device's snapshot: %v", err)
	}
	if b.catalog().Size != 0 {
		t.Fatal("the device took the snapshot")
	}
	must(t, b.Sync(ctx))
	sameVault(t, a, b)
}

// TestEarlierEpochWritersFrozen: a password profile (signed by a device
// that may sign it) whose later version removes a writer of a key epoch
// without starting a new one, which would make every device refuse that
// writer's records, is refused by the device reading it, which keeps
// what it had.
func TestEarlierEpochWritersFrozen(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	b := connect(t, p, a)
	must(t, a.Sync(ctx))
	pp, err := profile.VerifyApplicationProfile(a.st.Password, a.personal)
	must(t, err)
	if len(pp.Epochs) != 1 || len(pp.Epochs[0].Writers) != 2 {
		t.Fatalf("epochs %+v", pp.Epochs)
	}
	pp.Epochs[0].Writers = pp.Epochs[0].Writers[:1]
	pp.Versioned = profile.Versioned{Version: a.st.PasswordVersion}.Next()
	sp, err := pp.Sign(a.keys.sign)
	must(t, err)
	before := b.st.PasswordVersion
	p.SetRewrite(rewriteGet(t, func(gr *mmm.GetResponse) {
		for i := range gr.Entries {
			if gr.Entries[i].SignedApplicationProfile != nil {
				gr.Entries[i].SignedApplicationProfile = sp
			}
		}
	}))
	err = b.Sync(ctx)
	p.SetRewrite(nil)
	if !errors.Is(err, ErrInvalidProfile) || !errors.Is(err, profile.ErrEpochs) {
		t.Fatalf("a writer removed from epoch 1: %v", err)
	}
	t.Logf("%v", err)
	if b.st.PasswordVersion != before {
		t.Fatal("the device took the profile")
	}
	must(t, b.Sync(ctx))
}
