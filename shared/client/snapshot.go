package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/vault"
)

// Snapshots (docs/vault.md): a device that writes the vault publishes,
// now and then, a signed snapshot of the catalog as it verified it; a
// device that holds nothing yet reads the latest snapshot and the items
// after it instead of every item ever appended.

// syncFromSnapshot reads the portal's snapshot of v's catalog and the
// items after it, verifies them and takes them as the device's catalog.
// It reports false, changing nothing, when the portal has no snapshot
// (or does not know snapshots, or the snapshot changed while it was read):
// the caller then reads every item. A snapshot that does not verify is
// ErrSnapshot, and the device keeps the state it had.
func (c *Client) syncFromSnapshot(ctx context.Context, v *vaultView) (bool, error) {
	id := v.ring.Vault()
	var first mmm.GetSnapshotResponse
	if err := c.do(ctx, &mmm.GetSnapshotRequest{Catalog: id}, &first); err != nil {
		if mmm.StatusOf(err) == mmm.StatusBadRequest && strings.Contains(err.Error(), "unsupported request") {
			return false, nil // a portal that predates snapshots
		}
		return false, err
	}
	if first.Snapshot == nil {
		return false, nil
	}
	_, m, err := vault.ParseManifest(first.Snapshot)
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	chunks := [][]byte{first.Data}
	for n := 1; n < len(m.Chunks); n++ {
		var gr mmm.GetSnapshotResponse
		if err := c.do(ctx, &mmm.GetSnapshotRequest{Catalog: id, Chunk: n}, &gr); err != nil {
			return false, err
		}
		if !bytes.Equal(gr.Snapshot, first.Snapshot) {
			return false, nil // a newer snapshot came meanwhile: read every item
		}
		chunks = append(chunks, gr.Data)
	}
	// The writer must be one of the vault's latest key epoch, and the
	// snapshot sealed under it: a device removed since cannot have made
	// it (pos -1: the keyring's latest epoch).
	ring := v.ring
	pos := ring.pos
	ring.pos = -1
	snap, err := vault.OpenSnapshot(first.Snapshot, chunks, ring, true)
	ring.pos = pos
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	cat, err := vault.NewCatalogFromSnapshot(ring, snap)
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	// The items after it must chain from the head it states to the head
	// the log proves: that binds the snapshot to the catalog's history.
	r, err := c.fetchRecords(ctx, id, m.Position, m.Head)
	if err != nil {
		var e *mmm.Error
		if errors.As(err, &e) || errors.Is(err, ErrTransport) {
			return false, err
		}
		return false, fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	base := &vaultView{ring: ring, legacy: v.legacy, verified: cat}
	next, err := c.openRecords(base, ring, m.Position, r.items)
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	// Keep the snapshot, then the items, then the state naming them.
	b, err := json.Marshal(storedSnapshot{Manifest: first.Snapshot, Chunks: chunks})
	if err != nil {
		return false, err
	}
	if err := c.opts.Storage.Put(snapshotKey, b); err != nil {
		return false, fmt.Errorf("client: saving the snapshot: %w", err)
	}
	if err := c.storeItems(m.Position, m.Position, r.items); err != nil {
		return false, err
	}
	cs := c.catalog()
	cs.Base, cs.Snapshot = m.Position, m.Position
	cs.Size, cs.Head = r.head.Size, r.head.Head
	if r.cp != "" {
		c.st.Checkpoint = r.cp
	}
	if err := c.save(); err != nil {
		return false, err
	}
	c.applyPending(next)
	c.vault = next
	return true, nil
}

// loadStoredSnapshot reads from s the snapshot this device started from
// (at position base, verified when it came: its signature is not checked
// again), as a catalog.
func loadStoredSnapshot(s Storage, ring *keyring, base int64) (*vault.Catalog, error) {
	b, err := s.Get(snapshotKey)
	if err != nil {
		return nil, fmt.Errorf("client: reading the stored snapshot: %w", err)
	}
	var ss storedSnapshot
	if err := json.Unmarshal(b, &ss); err != nil {
		return nil, fmt.Errorf("%w: the stored snapshot: %v", ErrTampered, err)
	}
	snap, err := vault.OpenSnapshot(ss.Manifest, ss.Chunks, ring, false)
	if err != nil {
		return nil, fmt.Errorf("%w: the stored snapshot: %w", ErrTampered, err)
	}
	if snap.Manifest.Position != base {
		return nil, fmt.Errorf("%w: the stored snapshot is at position %d, the catalog's base %d", ErrTampered, snap.Manifest.Position, base)
	}
	return vault.NewCatalogFromSnapshot(ring, snap)
}

// PublishSnapshot publishes a signed snapshot of the vault's catalog as
// this device last verified it (after a Sync), so that new devices read
// it and the items after it instead of every item. A Sync publishes one
// on its own every Options.SnapshotEvery items; this is for the CLI and
// tests. It does nothing when the catalog is empty or a snapshot at its
// position is known; a device that may not write the vault cannot.
func (c *Client) PublishSnapshot(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ready(); err != nil {
		return err
	}
	return c.publishSnapshot(ctx)
}

func (c *Client) publishSnapshot(ctx context.Context) error {
	v, err := c.view()
	if err != nil {
		return err
	}
	cs := c.catalog()
	if v.ring == nil || cs.Size == 0 || cs.Snapshot >= cs.Size {
		return nil
	}
	if err := c.latestEpochWriter(v.ring); err != nil {
		return err
	}
	epoch, key := v.ring.latest()
	m, chunks, err := vault.MakeSnapshot(v.verified, cs.Size, cs.Head, c.st.Device, epoch, key, c.keys.sign, c.now())
	if err != nil {
		return err
	}
	manifest, err := vault.Item(m)
	if err != nil {
		return err
	}
	for n, chunk := range chunks {
		var resp mmm.PutSnapshotResponse
		err := c.do(ctx, &mmm.PutSnapshotRequest{Catalog: v.ring.Vault(), Snapshot: manifest, Chunk: n, Data: chunk}, &resp)
		if mmm.StatusOf(err) == mmm.StatusConflict && strings.Contains(err.Error(), "or later already") {
			break // another device's is as new
		}
		if err != nil {
			return fmt.Errorf("client: publishing the snapshot: %w", err)
		}
	}
	cs.Snapshot = cs.Size
	return c.save()
}

// autoSnapshot publishes a snapshot when the catalog grew by
// Options.SnapshotEvery items past the newest one this device knows, if
// it may write the vault. A snapshot only saves new devices work: a
// failure leaves things as they are, to be tried at a later Sync.
func (c *Client) autoSnapshot(ctx context.Context) {
	cs := c.catalog()
	if c.opts.SnapshotEvery < 0 || cs.Size-cs.Snapshot < c.opts.SnapshotEvery || len(cs.Pending) > 0 {
		return
	}
	if v, err := c.view(); err != nil || v.ring == nil || c.latestEpochWriter(v.ring) != nil {
		return
	}
	_ = c.publishSnapshot(ctx)
}
