package portal

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/shared/udf"
	"github.com/meshpass/meshpass/shared/vault"
)

// Vault format 2 (docs/vault.md): the catalog of a vault's records. The
// portal cannot read a record, but it checks every item it appends as far
// as it can without the content key (vault.Inspect): canonical bytes, of
// this vault, written by a device the vault's owner lets write it under
// the vault's current key epoch, with that device's signature. Each append
// is one log leaf committing the catalog's new head.

// itemCost is what storing one catalog item of n bytes costs in the
// quotas: the item and its row (position, hash).
func itemCost(n int) int64 { return int64(n) + 64 }

// vaultToCheck is a format-2 vault as its items are checked against it.
type vaultToCheck struct {
	// id is the vault's canonical Identifier, entry its stored
	// PasswordProfile (Account: its owner).
	id    string
	entry *Entry
	pp    *profile.PasswordProfile
	// epoch is the vault's current (latest) key epoch.
	epoch *profile.KeyEpoch
	owner *profile.Personal
}

// storedVault returns the stored application profile entry named id, or
// a 404.
func (p *portal) storedVault(ctx context.Context, id string) (*Entry, error) {
	e, err := p.store.Entry(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, mmm.Errorf(mmm.StatusNotFound, "no vault %s at this portal", id)
	}
	if err != nil {
		return nil, storeErr(err, "vault")
	}
	if e.Kind != profile.TagSignedApplicationProfile {
		return nil, mmm.Errorf(mmm.StatusNotFound, "no vault %s at this portal (%s is a %s)", id, id, e.Kind)
	}
	return e, nil
}

// storedApplication decodes a stored application profile entry.
func storedApplication(data []byte) (*profile.SignedApplicationProfile, error) {
	var me mmm.Entry
	if err := json.Unmarshal(data, &me); err != nil || me.SignedApplicationProfile == nil {
		return nil, mmm.Errorf(mmm.StatusInternalError, "stored application profile unreadable")
	}
	return me.SignedApplicationProfile, nil
}

// storedPassword decodes a stored password profile without verifying it
// again (it was verified when stored): for its format and key epochs.
func storedPassword(data []byte) (*profile.PasswordProfile, error) {
	s, err := storedApplication(data)
	if err != nil {
		return nil, err
	}
	pp, err := profile.UnverifiedPassword(s)
	if err != nil {
		return nil, mmm.Errorf(mmm.StatusInternalError, "stored application profile unreadable")
	}
	return pp, nil
}

// formatVault reads the stored vault id, its owner's personal profile and
// verifies its PasswordProfile against it; the vault must be of format 2.
func (p *portal) formatVault(ctx context.Context, id string) (*vaultToCheck, error) {
	e, err := p.storedVault(ctx, id)
	if err != nil {
		return nil, err
	}
	owner, err := p.ownerOf(ctx, id, e)
	if err != nil {
		return nil, err
	}
	pp, err := p.verifiedApplication(id, e.Data, owner)
	if err != nil {
		return nil, err
	}
	if pp.Format != profile.FormatCatalog || len(pp.Epochs) == 0 {
		return nil, mmm.Errorf(mmm.StatusConflict, "vault %s is format 1: publish its PasswordProfile as format 2 first", id)
	}
	return &vaultToCheck{id: id, entry: e, pp: pp, epoch: &pp.Epochs[len(pp.Epochs)-1], owner: owner}, nil
}

// writerKey returns the signing key of a device that may write v's
// records now: a device of the owner's profile, in the vault's SignID and
// a writer of its current key epoch under the device's signature key.
func (v *vaultToCheck) writerKey(device string) (*keys.PublicKey, error) {
	app := v.owner.Application(v.id)
	if app == nil || !slices.ContainsFunc(app.SignID, func(s string) bool { return udf.Equal(s, device) }) {
		return nil, fmt.Errorf("%w: device %s may not sign vault %s (not in its SignID)", vault.ErrWriter, device, v.id)
	}
	d := v.owner.Device(device)
	if d == nil {
		return nil, fmt.Errorf("%w: %s is not a device of the vault owner's profile", vault.ErrWriter, device)
	}
	i := slices.IndexFunc(v.epoch.Writers, func(w profile.EpochWriter) bool { return udf.Equal(w.Device, device) })
	if i < 0 {
		return nil, fmt.Errorf("%w: device %s is not a writer of the vault's current key epoch %d", vault.ErrWriter, device, v.epoch.Epoch)
	}
	if w := v.epoch.Writers[i]; w.Key == nil || !udf.Equal(w.Key.UDF, d.DeviceSignatureKey.UDF) {
		return nil, fmt.Errorf("%w: key epoch %d names another key for device %s than its device signature key", vault.ErrWriter, v.epoch.Epoch, device)
	}
	return d.DeviceSignatureKey, nil
}

// checkItems checks every item against v, returning how many records
// they hold in all.
func (v *vaultToCheck) checkItems(items []json.RawMessage) (int64, error) {
	var records int64
	for i, item := range items {
		sum, err := vault.Inspect(item, v.pp.Identifier, v.writerKey)
		switch {
		case errors.Is(err, vault.ErrWriter):
			return 0, mmm.Errorf(mmm.StatusForbidden, "refused: record %d: %v", i, err)
		case err != nil:
			return 0, mmm.Errorf(mmm.StatusBadRequest, "refused: record %d: %v", i, err)
		case sum.Epoch != v.epoch.Epoch:
			return 0, mmm.Errorf(mmm.StatusConflict, "record %d is written under key epoch %d; the vault's current epoch is %d: sync and write again", i, sum.Epoch, v.epoch.Epoch)
		}
		records += int64(sum.Records)
	}
	return records, nil
}

func (p *portal) appendRecords(ctx context.Context, r *mmm.AppendRecordsRequest) (mmm.Response, error) {
	id, _ := udf.Parse(r.Catalog)
	seen := make(map[[sha256.Size]byte]int, len(r.Records))
	for i, item := range r.Records {
		if len(item) > p.opts.MaxEntrySize {
			return nil, mmm.Errorf(mmm.StatusTooLarge, "record %d is %d bytes; the portal takes at most %d", i, len(item), p.opts.MaxEntrySize)
		}
		h := sha256.Sum256(item)
		if j, ok := seen[h]; ok {
			return nil, mmm.Errorf(mmm.StatusConflict, "records %d and %d of the request are the same item; nothing was written", j, i)
		}
		seen[h] = i
	}
	// When another write came first (the log grew, the catalog grew, the
	// vault's profile changed), the items are checked again against what
	// is stored now and placed after the new items.
	spent := false
	for attempt := 0; ; attempt++ {
		v, err := p.formatVault(ctx, id)
		if err != nil {
			return nil, err
		}
		records, err := v.checkItems(r.Records)
		if err != nil {
			return nil, err
		}
		versions, err := p.checkParents(ctx, id, r.Records)
		if errors.Is(err, ErrCatalogMoved) {
			if attempt < maxAppendAttempts {
				continue
			}
			return nil, mmm.Errorf(mmm.StatusServiceUnavailable, "the catalog kept moving while these records were checked; nothing was written: retry")
		}
		if err != nil {
			return nil, err
		}
		// The owner's budget is spent only once the signatures are known
		// to be of its devices.
		if !spent {
			if err := p.spend(v.entry.Account); err != nil {
				return nil, err
			}
			spent = true
		}
		resp, err := p.appendRecordsOnce(ctx, v, r.Records, records, versions)
		if errors.Is(err, ErrLogMoved) || errors.Is(err, ErrCatalogMoved) {
			if attempt < maxAppendAttempts {
				continue
			}
			return nil, mmm.Errorf(mmm.StatusServiceUnavailable, "the catalog kept moving while these records were written; nothing was written: retry")
		}
		if err == nil {
			resp.Log = p.witnessed(ctx, resp.Log)[0]
		}
		return resp, err
	}
}

func (p *portal) appendRecordsOnce(ctx context.Context, v *vaultToCheck, items []json.RawMessage, records int64, versions []Version) (*mmm.AppendRecordsResponse, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	head, err := p.store.Catalog(ctx, v.id)
	if err != nil {
		return nil, storeErr(err, "catalog")
	}
	n, _, err := p.store.Latest(ctx)
	if err != nil {
		return nil, storeErr(err, "log")
	}
	h := head.Head
	data := make([][]byte, len(items))
	cost := int64(0)
	for i, item := range items {
		if h, err = vault.ChainHead(h, item); err != nil {
			return nil, mmm.Errorf(mmm.StatusInternalError, "stored catalog head unreadable")
		}
		data[i] = item
		cost += itemCost(len(item))
	}
	ch := &mmm.CatalogHead{Catalog: v.id, Size: head.Size + int64(len(items)), Head: h}
	leaf, err := translog.HeadLeafData(ch)
	if err != nil {
		return nil, err
	}
	hr := p.hashReader(ctx)
	hashes, tree, err := translog.Append(hr, n, leaf)
	if err != nil {
		return nil, storeErr(err, "log")
	}
	cp, err := translog.SignCheckpoint(p.opts.Signer, tree)
	if err != nil {
		return nil, err
	}
	a := &RecordsAppend{
		Head:    CatalogHead{Catalog: v.id, Size: ch.Size, Head: h, Index: n, Account: v.entry.Account},
		Start:   head.Size,
		Items:   data,
		Profile: v.id, Version: v.entry.Version,
		Leaf: leaf, Hashes: hashes, Checkpoint: cp,
		Cost: cost + cost1(len(leaf)) + versionCost*int64(len(versions)), Records: records, Quota: p.opts.Quota,
		Versions: versions,
	}
	if err := p.store.AppendRecords(ctx, a); err != nil {
		switch {
		case errors.Is(err, ErrLogMoved), errors.Is(err, ErrCatalogMoved):
			return nil, err
		case errors.Is(err, ErrConflict):
			return nil, mmm.Errorf(mmm.StatusConflict, "a record of this request is in the catalog already (it was appended before); nothing was written: sync")
		}
		return nil, storeErr(err, "records")
	}
	proof, err := tlog.ProveRecord(tree.N, n, hr)
	if err != nil {
		return nil, storeErr(err, "log")
	}
	return &mmm.AppendRecordsResponse{
		Position: head.Size, Head: ch,
		Log: &mmm.LogProof{Index: n, TreeSize: tree.N, Inclusion: translog.EncodeHashes(proof), Checkpoint: cp},
	}, nil
}

// versionCost is what keeping one record's version for the parent check
// costs in the quotas.
const versionCost = 128

// checkParents indexes the catalog's records if it was written before
// their versions were kept, then checks the records of items: each is new
// to the catalog, and each of its parents is a record of its entry in the
// catalog or earlier in items. It returns the items' records.
func (p *portal) checkParents(ctx context.Context, id string, items []json.RawMessage) ([]Version, error) {
	if err := p.indexCatalog(ctx, id); err != nil {
		return nil, err
	}
	var out []Version
	earlier := map[string]string{}
	var parents, own []string
	refs := make([][]vault.Ref, len(items))
	for i, item := range items {
		var err error
		if refs[i], err = vault.ItemRefs(item); err != nil {
			return nil, mmm.Errorf(mmm.StatusBadRequest, "refused: record %d: %v", i, err)
		}
		for _, r := range refs[i] {
			if _, ok := earlier[r.Version]; ok {
				return nil, mmm.Errorf(mmm.StatusConflict, "record %s is twice in this request; nothing was written", r.Version)
			}
			earlier[r.Version] = r.Entry
			own = append(own, r.Version)
			parents = append(parents, r.Parents...)
			out = append(out, Version{Version: r.Version, Entry: r.Entry})
		}
	}
	held, err := p.store.CatalogVersions(ctx, id, append(own, parents...))
	if err != nil {
		return nil, storeErr(err, "catalog versions")
	}
	for _, v := range own {
		if _, ok := held[v]; ok {
			return nil, mmm.Errorf(mmm.StatusConflict, "record %s is in the catalog already (it was appended before); nothing was written: sync", v)
		}
	}
	seen := map[string]string{}
	for i := range items {
		for _, r := range refs[i] {
			for _, par := range r.Parents {
				e, ok := seen[par]
				if !ok {
					e, ok = held[par]
				}
				if !ok || e != r.Entry {
					return nil, mmm.Errorf(mmm.StatusBadRequest, "refused: item %d: record %s of entry %s names parent %s, which is not a record of that entry in the catalog: sync, then write on the records the catalog holds", i, r.Version, r.Entry, par)
				}
			}
			seen[r.Version] = r.Entry
		}
	}
	return out, nil
}

// indexCatalog stores the versions of a catalog's items written before
// the portal kept them (migration 0006), in pages.
func (p *portal) indexCatalog(ctx context.Context, id string) error {
	head, err := p.store.Catalog(ctx, id)
	if err != nil {
		return storeErr(err, "catalog")
	}
	for from := head.Indexed; from < head.Size; {
		items, err := p.store.CatalogItems(ctx, id, from, head.Size, p.opts.MaxAnswer)
		if err != nil {
			return storeErr(err, "catalog items")
		}
		var vs []Version
		for _, item := range items {
			refs, err := vault.ItemRefs(item)
			if err != nil {
				return mmm.Errorf(mmm.StatusInternalError, "stored catalog item unreadable: %v", err)
			}
			for _, r := range refs {
				vs = append(vs, Version{Version: r.Version, Entry: r.Entry})
			}
		}
		to := from + int64(len(items))
		if err := p.store.IndexVersions(ctx, id, from, to, vs); err != nil {
			if errors.Is(err, ErrCatalogMoved) {
				return err // another request indexed it meanwhile
			}
			return storeErr(err, "catalog versions")
		}
		from = to
	}
	return nil
}

// cost1 is what a leaf stored once (not also as an entry) costs: the leaf
// and the log's hashes and checkpoint.
func cost1(n int) int64 { return int64(n) + 512 }

func (p *portal) getRecords(ctx context.Context, r *mmm.GetRecordsRequest) (mmm.Response, error) {
	id, _ := udf.Parse(r.Catalog)
	if _, err := p.storedVault(ctx, id); err != nil {
		return nil, err
	}
	head, err := p.store.Catalog(ctx, id)
	if err != nil {
		return nil, storeErr(err, "catalog")
	}
	resp := &mmm.GetRecordsResponse{Head: &mmm.CatalogHead{Catalog: id, Size: head.Size, Head: head.Head}}
	if head.Size == 0 {
		return resp, nil
	}
	// Items are read up to the head read above (items never change once
	// written), so the answer is consistent with Head however many
	// appends come between. A client that holds more than Size items
	// (After > Size) gets the head alone, and sees the rollback.
	if r.After < head.Size {
		items, err := p.store.CatalogItems(ctx, id, r.After, head.Size, p.opts.MaxAnswer)
		if err != nil {
			return nil, storeErr(err, "catalog items")
		}
		for _, item := range items {
			resp.Records = append(resp.Records, json.RawMessage(item))
		}
		if got := r.After + int64(len(items)); got < head.Size {
			resp.Next = got
		}
	}
	if resp.Log, err = p.proof(ctx, head.Index); err != nil {
		return nil, err
	}
	return resp, nil
}

// checkEpochs checks a new version ap of the password profile whose
// stored entry is stored (Data nil when none is stored) against the key
// epochs of the stored one, and sets the catalog guard of wr: a vault
// never goes back from format 2; a version adds at most one key epoch,
// keeping the earlier ones and their writers (profile.CheckEpochs), and
// the new epoch starts where the catalog ends; the first format-2 version
// starts on an empty catalog.
func (p *portal) checkEpochs(ctx context.Context, id string, stored *Entry, ap *profile.PasswordProfile, wr *write) error {
	var old *profile.PasswordProfile
	if stored.Data != nil {
		var err error
		if old, err = storedPassword(stored.Data); err != nil {
			return err
		}
	}
	wasCatalog := old != nil && old.Format == profile.FormatCatalog
	if ap.Format != profile.FormatCatalog {
		if wasCatalog {
			return mmm.Errorf(mmm.StatusConflict, "this vault was upgraded to format 2; update meshpass")
		}
		return nil
	}
	moved := func(size int64) error {
		return mmm.Errorf(mmm.StatusConflict, "the catalog moved to %d items; sync and publish again", size)
	}
	head, err := p.store.Catalog(ctx, id)
	if err != nil {
		return storeErr(err, "catalog")
	}
	if !wasCatalog {
		for _, e := range ap.Epochs {
			if e.Start != 0 {
				return mmm.Errorf(mmm.StatusConflict, "the first format-2 version of a vault starts every key epoch at position 0, not epoch %d at %d", e.Epoch, e.Start)
			}
		}
		if head.Size != 0 {
			return moved(head.Size)
		}
		wr.catalog, wr.catalogSize = id, 0
		return nil
	}
	if err := profile.CheckEpochs(old, ap, 1); err != nil {
		return mmm.Errorf(mmm.StatusConflict, "refused against the stored PasswordProfile: %v", err)
	}
	if len(ap.Epochs) > len(old.Epochs) {
		e := ap.Epochs[len(ap.Epochs)-1]
		if e.Start != head.Size {
			return moved(head.Size)
		}
		wr.catalog, wr.catalogSize = id, e.Start
	}
	return nil
}

// catalogMoved is the answer to a publish whose catalog guard failed.
func (p *portal) catalogMoved(ctx context.Context, id string) error {
	head, err := p.store.Catalog(ctx, id)
	if err != nil {
		return storeErr(err, "catalog")
	}
	return mmm.Errorf(mmm.StatusConflict, "the catalog moved to %d items; sync and publish again", head.Size)
}

// snapshotWriterKey returns the signing key of a device that may sign a
// snapshot of v now: a writer of the vault's latest key epoch, under that
// epoch (a snapshot is sealed under the key every current device holds).
func (v *vaultToCheck) snapshotWriterKey(device string, epoch int) (*keys.PublicKey, error) {
	if epoch != v.epoch.Epoch {
		return nil, fmt.Errorf("%w: a snapshot under key epoch %d; the vault's latest is %d", vault.ErrWriter, epoch, v.epoch.Epoch)
	}
	return v.writerKey(device)
}

// putSnapshot stores a chunk of a snapshot after checking its manifest:
// of the vault, signed by a writer of the latest epoch under it, at a
// position the catalog has reached and with the catalog's head there.
func (p *portal) putSnapshot(ctx context.Context, r *mmm.PutSnapshotRequest) (mmm.Response, error) {
	id, _ := udf.Parse(r.Catalog)
	if len(r.Data) > vault.MaxSnapshotChunk || len(r.Snapshot) > p.opts.MaxEntrySize {
		return nil, mmm.Errorf(mmm.StatusTooLarge, "a snapshot chunk of %d bytes (at most %d) or manifest of %d (at most %d)", len(r.Data), vault.MaxSnapshotChunk, len(r.Snapshot), p.opts.MaxEntrySize)
	}
	v, err := p.formatVault(ctx, id)
	if err != nil {
		return nil, err
	}
	m, err := vault.InspectManifest(r.Snapshot, v.pp.Identifier, v.snapshotWriterKey)
	switch {
	case errors.Is(err, vault.ErrWriter):
		return nil, mmm.Errorf(mmm.StatusForbidden, "refused: snapshot: %v", err)
	case err != nil:
		return nil, mmm.Errorf(mmm.StatusBadRequest, "refused: snapshot: %v", err)
	}
	if err := vault.CheckChunk(m, r.Chunk, r.Data); err != nil {
		return nil, mmm.Errorf(mmm.StatusBadRequest, "refused: %v", err)
	}
	if err := p.spend(v.entry.Account); err != nil {
		return nil, err
	}
	head, err := p.store.Catalog(ctx, id)
	if err != nil {
		return nil, storeErr(err, "catalog")
	}
	if m.Position > head.Size {
		return nil, mmm.Errorf(mmm.StatusConflict, "a snapshot at position %d of a catalog of %d items", m.Position, head.Size)
	}
	// The head at the position, recomputed from the items' hashes, is
	// checked with chunk 0: the snapshot is complete only with it, and
	// every chunk names the same manifest.
	at := head.Head
	if m.Position < head.Size && r.Chunk == 0 {
		if at, err = p.store.CatalogHeadAt(ctx, id, m.Position); err != nil {
			return nil, storeErr(err, "catalog head")
		}
	}
	if (m.Position == head.Size || r.Chunk == 0) && at != m.Head {
		return nil, mmm.Errorf(mmm.StatusConflict, "refused: the snapshot says head %s at position %d; the catalog's is %s", m.Head, m.Position, at)
	}
	h := sha256.Sum256(r.Snapshot)
	stored, complete, err := p.store.PutSnapshotChunk(ctx, &SnapshotChunk{
		Snapshot: Snapshot{Catalog: id, Hash: base64.RawURLEncoding.EncodeToString(h[:]), Manifest: r.Snapshot, Position: m.Position, Chunks: len(m.Chunks), Account: v.entry.Account},
		N:        r.Chunk, Data: r.Data, Quota: p.opts.Quota,
	})
	if errors.Is(err, ErrConflict) {
		return nil, mmm.Errorf(mmm.StatusConflict, "the catalog has a snapshot at position %d or later already", m.Position)
	}
	if err != nil {
		return nil, storeErr(err, "snapshot")
	}
	return &mmm.PutSnapshotResponse{Stored: stored, Complete: complete}, nil
}

// getSnapshot serves a chunk of the catalog's snapshot while its writer
// is a writer of the vault's latest epoch and it is sealed under that
// epoch; else (none, or stale after a new epoch) no snapshot.
func (p *portal) getSnapshot(ctx context.Context, r *mmm.GetSnapshotRequest) (mmm.Response, error) {
	id, _ := udf.Parse(r.Catalog)
	sn, err := p.store.CatalogSnapshot(ctx, id)
	if errors.Is(err, ErrNotFound) {
		if _, err := p.storedVault(ctx, id); err != nil {
			return nil, err
		}
		return &mmm.GetSnapshotResponse{}, nil
	}
	if err != nil {
		return nil, storeErr(err, "snapshot")
	}
	v, err := p.formatVault(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := vault.InspectManifest(sn.Manifest, v.pp.Identifier, v.snapshotWriterKey); err != nil {
		return &mmm.GetSnapshotResponse{}, nil // stale: a new epoch, or its writer removed
	}
	if r.Chunk >= sn.Chunks {
		return nil, mmm.Errorf(mmm.StatusBadRequest, "chunk %d of a snapshot of %d chunks", r.Chunk, sn.Chunks)
	}
	data, err := p.store.SnapshotData(ctx, id, sn.Hash, r.Chunk)
	if err != nil {
		return nil, storeErr(err, "snapshot chunk")
	}
	return &mmm.GetSnapshotResponse{Snapshot: sn.Manifest, Chunk: r.Chunk, Data: data}, nil
}
