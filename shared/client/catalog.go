package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/match"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/shared/udf"
	"github.com/meshpass/meshpass/shared/vault"
)

// A vault of format 2 (docs/vault.md) is the PasswordProfile, naming the
// key epochs and holding their content keys encrypted to the devices, and
// the catalog of records at the portal. The device keeps the catalog's
// items it verified (in chunks of its Storage), the head they chain to,
// and its own writes not yet published (pending), so nothing typed is lost
// while the portal is unreachable.

// catalogState is what a device keeps of its vault's catalog.
type catalogState struct {
	// Size is the number of items verified and stored, Head the chain
	// hash over them (vault.ChainHead).
	Size int64  `json:"Size"`
	Head string `json:"Head"`
	// Pending are this device's items (signed records or batches) not
	// yet accepted by the portal, oldest first.
	Pending []json.RawMessage `json:"Pending,omitempty"`
	// Base is the position of the snapshot this device started from: it
	// stores the items from Base on, and the snapshot (snapshotKey) for
	// those before; 0 when it read every item.
	Base int64 `json:"Base,omitempty"`
	// Snapshot is the position of the newest snapshot this device knows
	// the portal holds (the one it started from, or its own).
	Snapshot int64 `json:"Snapshot,omitempty"`
}

// chunkItems is how many items one storage chunk holds.
const chunkItems = 64

// chunkKey is the Storage key of chunk n of the catalog's items (n counts
// from the catalog's Base).
func chunkKey(n int64) string { return fmt.Sprintf("%s-catalog-%06d", StateKey, n) }

// snapshotKey is the Storage key of the snapshot a device started from.
var snapshotKey = StateKey + "-snapshot"

// storedSnapshot is a snapshot as a device keeps it: as it came.
type storedSnapshot struct {
	Manifest json.RawMessage `json:"Manifest"`
	Chunks   [][]byte        `json:"Chunks"`
}

// vaultKeys is the plaintext of a format-2 PasswordProfile's EncryptedData.
type vaultKeys struct {
	// Entries is what a device that knows only format 1 reads: while a
	// migration runs, the format-1 entries; after it, a notice to update.
	Entries []profile.PasswordEntry `json:"Entries"`
	Format  int                     `json:"Format"`
	// Keys are the content keys of every epoch.
	Keys []epochKey `json:"Keys"`
	// Migrating says that Entries are format-1 entries that may not all
	// be records yet: a device that can write moves the missing ones.
	Migrating bool `json:"Migrating,omitempty"`
}

type epochKey struct {
	Epoch int    `json:"Epoch"`
	Key   []byte `json:"Key"`
}

// upgradeNotice is the one entry a device that knows only format 1 sees
// in a format-2 vault.
func upgradeNotice() profile.PasswordEntry {
	return profile.PasswordEntry{Id: "meshpass-vault-upgraded", Sites: []string{"meshpass.invalid"},
		Notes: "This vault was upgraded to format 2 by a newer meshpass: update meshpass on this device to see and change your passwords."}
}

// keyring is the vault.Keyring of a verified format-2 PasswordProfile and
// its decrypted content keys. Records at catalog position pos must be
// written under the epoch of that position (profile.EpochAt) by one of
// its writers; pos < 0 is this device's pending records, written under the
// latest epoch.
type keyring struct {
	pp   *profile.PasswordProfile
	keys map[int][]byte
	pos  int64
	// pause is Options.Pause, throttled, while Warm reads (vault.Pauser).
	pause func()
}

// Pause calls k.pause if set: Warm's read gives way to other calls.
func (k *keyring) Pause() {
	if k.pause != nil {
		k.pause()
	}
}

// throttled returns a func that calls pause when pauseEvery has passed
// since it last did.
func throttled(pause func()) func() {
	last := time.Now()
	return func() {
		if time.Since(last) >= pauseEvery {
			pause()
			last = time.Now()
		}
	}
}

func (k *keyring) Vault() string { return k.pp.Identifier }

func (k *keyring) epochAt() *profile.KeyEpoch {
	if k.pos < 0 {
		return &k.pp.Epochs[len(k.pp.Epochs)-1]
	}
	return k.pp.EpochAt(k.pos)
}

func (k *keyring) Writer(writer string, epoch int) (*keys.PublicKey, error) {
	e := k.epochAt()
	if e == nil || e.Epoch != epoch {
		want := 0
		if e != nil {
			want = e.Epoch
		}
		return nil, fmt.Errorf("%w: a record at position %d under key epoch %d; epoch %d was the vault's then", vault.ErrWriter, k.pos, epoch, want)
	}
	for _, w := range e.Writers {
		if udf.Equal(w.Device, writer) {
			return w.Key, nil
		}
	}
	return nil, fmt.Errorf("%w: device %s may not write under key epoch %d", vault.ErrWriter, writer, epoch)
}

func (k *keyring) ContentKey(epoch int) ([]byte, error) {
	if key, ok := k.keys[epoch]; ok {
		return key, nil
	}
	return nil, fmt.Errorf("%w: %d", vault.ErrEpoch, epoch)
}

func (k *keyring) latest() (int, []byte) {
	e := k.pp.Epochs[len(k.pp.Epochs)-1].Epoch
	return e, k.keys[e]
}

// vaultView is the vault as this device reads it.
type vaultView struct {
	// ring is nil for a format-1 vault, or before any password profile.
	ring *keyring
	// verified holds the records of the catalog's verified items; cat
	// those and this device's pending records.
	verified, cat *vault.Catalog
	// legacy are format-1 entries: the whole vault of a format-1
	// profile, or those of a migration not yet in the catalog.
	legacy []profile.PasswordEntry
	// list caches entries(), and index its sites; cleared whenever cat
	// changes.
	list  []vault.Entry
	index *match.Index
}

// entries returns the vault's live entries: the catalog's, then format-1
// entries the catalog does not hold.
func (v *vaultView) entries() []vault.Entry {
	if v.list != nil {
		return slices.Clone(v.list)
	}
	out := []vault.Entry{}
	if v.cat != nil {
		out = v.cat.Entries()
	}
	for _, e := range v.legacy {
		if e.Deleted || (v.cat != nil && len(v.cat.Heads(e.Id)) > 0) {
			continue
		}
		out = append(out, fromLegacy(e))
	}
	v.list, v.index = out, nil
	return slices.Clone(out)
}

// matching returns the live entries that may fill the page, ranked as
// match.Rank ranks them (Ranked.Index into the entries returned).
func (v *vaultView) matching(pageURL string, opts match.Options) ([]vault.Entry, []match.Ranked) {
	if v.list == nil {
		v.entries()
	}
	if v.index == nil {
		v.index = match.NewIndex(v.list)
	}
	ranked := v.index.Rank(v.list, pageURL, opts)
	out := make([]vault.Entry, len(ranked))
	for i := range ranked {
		out[i] = cloneEntry(v.list[ranked[i].Index])
		ranked[i].Index = i
	}
	return out, ranked
}

// entry returns entry id, live or not, and whether there is one.
func (v *vaultView) entry(id string) (vault.Entry, bool) {
	if v.cat != nil {
		if e, ok := v.cat.Entry(id); ok {
			return e, true
		}
	}
	for _, e := range v.legacy {
		if e.Id == id {
			return fromLegacy(e), true
		}
	}
	return vault.Entry{}, false
}

// fromLegacy converts a format-1 entry.
func fromLegacy(e profile.PasswordEntry) vault.Entry {
	return vault.Entry{ID: e.Id, Sites: slices.Clone(e.Sites), Username: e.Username, Password: e.Password, Notes: e.Notes,
		Created: e.Updated, Updated: e.Updated, Deleted: e.Deleted}
}

// openKeys decrypts a format-2 password profile's keys with key.
func openVaultKeys(pp *profile.PasswordProfile, key *keys.DecryptionKey) (*vaultKeys, *keyring, error) {
	plain, err := pp.EncryptedData.Decrypt(key)
	if errors.Is(err, jwe.ErrNotRecipient) {
		return nil, nil, fmt.Errorf("%w: the vault keys are not encrypted to this device: %w", ErrNotAuthorized, err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrTampered, err)
	}
	var vk vaultKeys
	if err := json.Unmarshal(plain, &vk); err != nil {
		return nil, nil, fmt.Errorf("%w: vault keys: %v", ErrTampered, err)
	}
	ring := &keyring{pp: pp, keys: map[int][]byte{}}
	for _, k := range vk.Keys {
		if len(k.Key) != vault.KeySize {
			return nil, nil, fmt.Errorf("%w: the key of epoch %d has %d bytes", ErrTampered, k.Epoch, len(k.Key))
		}
		ring.keys[k.Epoch] = k.Key
	}
	for _, e := range pp.Epochs {
		if _, ok := ring.keys[e.Epoch]; !ok {
			return nil, nil, fmt.Errorf("%w: no content key for key epoch %d", ErrTampered, e.Epoch)
		}
	}
	return &vk, ring, nil
}

// view returns the vault as last verified, reading it from storage on
// first use after Unlock. A read Warm started in the background is waited
// for (holding c.mu: the read does not take it) and taken if the state it
// read is still the device's.
func (c *Client) view() (*vaultView, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if c.vault == nil && c.load != nil {
		<-c.load.done
		c.adopt(c.load)
	}
	if c.vault != nil {
		return c.vault, nil
	}
	v, err := readView(c.opts.Storage, c.loadInput(), nil)
	if err != nil {
		return nil, err
	}
	c.applyPending(v)
	c.vault = v
	return v, nil
}

// loadInput is what a read of the stored vault depends on: when any of it
// changed meanwhile, the read is not taken.
type loadInput struct {
	password, legacy *profile.SignedApplicationProfile
	personal         *profile.Personal
	keys             *deviceKeys
	// base is the position of the stored snapshot the items follow (0:
	// none), size the catalog's size and head its chained head.
	base, size int64
	head       string
}

// loadInput returns the current inputs of a read; c.mu held, keys
// unlocked.
func (c *Client) loadInput() loadInput {
	cs := c.catalog()
	return loadInput{password: c.st.Password, legacy: c.st.Legacy, personal: c.personal, keys: c.keys, base: cs.Base, size: cs.Size, head: cs.Head}
}

// vaultLoad is a read of the stored vault that runs without c.mu (Warm),
// so that calls that need no vault (the extension's status, the session's
// resume) never wait for it.
type vaultLoad struct {
	in   loadInput
	done chan struct{} // closed when v, err are set
	v    *vaultView
	err  error
}

// adopt ends the background read l, finished: its view becomes c.vault if
// nothing it read has changed since it started and there is no view yet.
// c.mu held.
func (c *Client) adopt(l *vaultLoad) {
	if c.load != l {
		return
	}
	c.load = nil
	if c.vault != nil || l.err != nil || c.st == nil || c.keys == nil || c.loadInput() != l.in {
		return // a failed read is met again, and reported, by the next view
	}
	if l.v.cat == nil || len(c.catalog().Pending) > 0 {
		c.applyPending(l.v)
	}
	c.vault = l.v
}

// pauseEvery is how long Warm's read runs between two calls of
// Options.Pause at most (give or take one item).
const pauseEvery = 20 * time.Millisecond

// readView reads and opens the stored vault as in describes it, from s,
// touching nothing of the Client: it may run without c.mu. pause, if not
// nil, is called (at most every pauseEvery) between items, between the
// records of a batch and while entries are merged (vault.Pauser).
func readView(s Storage, in loadInput, pause func()) (*vaultView, error) {
	v := &vaultView{}
	if in.password == nil {
		return v, nil
	}
	pp, err := profile.VerifyApplicationProfile(in.password, in.personal)
	if err != nil {
		return nil, fmt.Errorf("%w: stored password profile: %w", ErrInvalidProfile, err)
	}
	if pp.Format != profile.FormatCatalog {
		d, err := decryptData(in.keys, pp.EncryptedData)
		if err != nil {
			return nil, err
		}
		v.legacy = d.Entries
		return v, nil
	}
	vk, ring, err := openVaultKeys(pp, in.keys.enc)
	if err != nil {
		return nil, err
	}
	v.ring = ring
	if vk.Migrating {
		v.legacy = vk.Entries
	}
	if v.legacy == nil && in.legacy != nil {
		if v.legacy, err = legacyEntries(in.keys, in.personal, in.legacy); err != nil {
			return nil, err
		}
	}
	if pause != nil {
		ring.pause = throttled(pause)
	}
	v.verified = vault.NewCatalog(ring)
	if in.base > 0 {
		if v.verified, err = loadStoredSnapshot(s, ring, in.base); err != nil {
			return nil, err
		}
	}
	for n := int64(0); in.base+n*chunkItems < in.size; n++ {
		items, err := readChunk(s, n)
		if err != nil {
			return nil, err
		}
		for i, item := range items {
			ring.pos = in.base + n*chunkItems + int64(i)
			if ring.pos >= in.size {
				break
			}
			if _, err := v.verified.AddTrusted(item); err != nil {
				return nil, fmt.Errorf("%w: stored catalog item %d: %w", ErrTampered, ring.pos, err)
			}
			ring.Pause()
		}
	}
	return v, nil
}

// legacyEntries decrypts a format-1 password profile kept for a migration.
func (c *Client) legacyEntries(s *profile.SignedApplicationProfile) ([]profile.PasswordEntry, error) {
	return legacyEntries(c.keys, c.personal, s)
}

func legacyEntries(k *deviceKeys, personal *profile.Personal, s *profile.SignedApplicationProfile) ([]profile.PasswordEntry, error) {
	pp, err := profile.VerifyApplicationProfile(s, personal)
	if err != nil {
		return nil, fmt.Errorf("%w: the format-1 vault kept for its migration: %w", ErrInvalidProfile, err)
	}
	d, err := decryptData(k, pp.EncryptedData)
	if err != nil {
		return nil, err
	}
	return d.Entries, nil
}

// rebased returns a view of v's verified records (none if v is nil or
// has none) opened with ring, and this device's pending records.
func (c *Client) rebased(v *vaultView, ring *keyring, legacy []profile.PasswordEntry) *vaultView {
	next := &vaultView{ring: ring, legacy: legacy}
	if v != nil && v.verified != nil {
		next.verified = v.verified.Clone(ring)
	} else {
		next.verified = vault.NewCatalog(ring)
	}
	c.applyPending(next)
	return next
}

// applyPending sets v.cat to v.verified with this device's pending
// records; a pending record that no longer opens (its epoch is gone) is
// left to publishPending to seal again. Without pending records v.cat is
// v.verified itself: a verified catalog is never added to once a view
// holds it (new records go to a clone, see rebased).
func (c *Client) applyPending(v *vaultView) {
	if v.ring == nil {
		return
	}
	if len(c.catalog().Pending) == 0 {
		v.cat, v.list, v.index = v.verified, nil, nil
		return
	}
	pos := v.ring.pos
	defer func() { v.ring.pos = pos }()
	v.ring.pos = -1
	v.cat, v.list, v.index = v.verified.Clone(v.ring), nil, nil
	for _, item := range c.catalog().Pending {
		_, _ = v.cat.AddItem(item) // a refused one stays pending, to reseal
	}
}

// catalog returns the catalog state, creating it.
func (c *Client) catalog() *catalogState {
	if c.st.Catalog == nil {
		c.st.Catalog = &catalogState{Head: vault.EmptyHead}
	}
	return c.st.Catalog
}

// A chunk is its items, each followed by a newline (an item, in its
// canonical form, holds none).
func (c *Client) readChunk(n int64) ([]json.RawMessage, error) {
	return readChunk(c.opts.Storage, n)
}

func readChunk(s Storage, n int64) ([]json.RawMessage, error) {
	b, err := s.Get(chunkKey(n))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("client: reading the stored catalog: %w", err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		return nil, fmt.Errorf("%w: stored catalog chunk %d is cut short", ErrTampered, n)
	}
	var items []json.RawMessage
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		items = append(items, b[:i:i])
		b = b[i+1:]
	}
	return items, nil
}

// storeItems writes items as positions [from, from+len(items)) of the
// stored catalog, whose first stored item is at base.
func (c *Client) storeItems(base, from int64, items []json.RawMessage) error {
	from -= base
	for len(items) > 0 {
		n := from / chunkItems
		chunk, err := c.readChunk(n)
		if err != nil {
			return err
		}
		off := int(from % chunkItems)
		if len(chunk) < off {
			return fmt.Errorf("client: the stored catalog lacks items before %d", from)
		}
		take := min(len(items), chunkItems-off)
		chunk = append(chunk[:off], items[:take]...)
		var b []byte
		for _, item := range chunk {
			b = append(append(b, item...), '\n')
		}
		if err := c.opts.Storage.Put(chunkKey(n), b); err != nil {
			return fmt.Errorf("client: saving the catalog: %w", err)
		}
		from += int64(take)
		items = items[take:]
	}
	return nil
}

// deleteChunks removes the stored catalog.
func (c *Client) deleteChunks() error {
	if c.st == nil || c.st.Catalog == nil {
		return nil
	}
	for n := int64(0); c.st.Catalog.Base+n*chunkItems < c.st.Catalog.Size; n++ {
		if err := c.opts.Storage.Delete(chunkKey(n)); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	if err := c.opts.Storage.Delete(snapshotKey); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

// records is a verified read of the catalog's new items: the items from
// position from on, which chain from head start.
type records struct {
	from  int64
	start string
	items []json.RawMessage
	head  *mmm.CatalogHead
	cp    string // the checkpoint of the head's proof, "" for none
}

// fetchRecords gets the items after the ones this device holds and checks
// them: they chain from the stored head to the head the portal's log
// commits, whose inclusion proof verifies and whose checkpoint extends the
// last verified one. A portal that omits, reorders, replaces, replays or
// cuts items fails here.
func (c *Client) fetchRecords(ctx context.Context, catalog string, from int64, start string) (*records, error) {
	r := &records{from: from, start: start}
	after := from
	for range 100000 {
		var gr mmm.GetRecordsResponse
		if err := c.do(ctx, &mmm.GetRecordsRequest{Catalog: catalog, After: after}, &gr); err != nil {
			return nil, err
		}
		if gr.Head == nil {
			return nil, fmt.Errorf("%w: the portal's answer names no catalog head", ErrLog)
		}
		r.items = append(r.items, gr.Records...)
		r.head = gr.Head
		if gr.Log != nil {
			r.cp = gr.Log.Checkpoint
		}
		after += int64(len(gr.Records))
		if gr.Next == 0 {
			if err := c.checkRecords(ctx, catalog, r, gr.Log); err != nil {
				return nil, err
			}
			return r, nil
		}
		if gr.Next != after || len(gr.Records) == 0 {
			return nil, fmt.Errorf("%w: the portal's answer says the rest starts at %d after %d items", ErrLog, gr.Next, after)
		}
	}
	return nil, fmt.Errorf("%w: too many pages", ErrLog)
}

// checkRecords checks r against the head it starts from and the log.
func (c *Client) checkRecords(ctx context.Context, catalog string, r *records, proof *mmm.LogProof) error {
	h := r.head
	if !udf.Equal(h.Catalog, catalog) {
		return fmt.Errorf("%w: the portal answered with the head of catalog %s, not %s", ErrLog, h.Catalog, catalog)
	}
	if h.Size < r.from {
		return fmt.Errorf("%w: the catalog has %d items, but this device has verified %d", ErrRollback, h.Size, r.from)
	}
	if want := r.from + int64(len(r.items)); h.Size != want {
		return fmt.Errorf("%w: the portal sent %d items after %d, its head says %d in all", ErrLog, len(r.items), r.from, h.Size)
	}
	head := r.start
	for i, item := range r.items {
		var err error
		if head, err = vault.ChainHead(head, item); err != nil {
			return fmt.Errorf("%w: item %d: %w", ErrLog, r.from+int64(i), err)
		}
	}
	if head != h.Head {
		return fmt.Errorf("%w: the items do not chain to the catalog head the portal states (items omitted, reordered, replaced or from another catalog)", ErrLog)
	}
	if h.Size == 0 {
		return nil
	}
	if proof == nil {
		return fmt.Errorf("%w: the portal sent no log proof for the catalog head", ErrLog)
	}
	leaf, err := translog.HeadLeafData(h)
	if err != nil {
		return err
	}
	verifiers, err := c.verifiers()
	if err != nil {
		return err
	}
	if err := translog.VerifyInclusion(proof, leaf, verifiers); err != nil {
		return fmt.Errorf("%w: catalog head: %v", ErrLog, err)
	}
	return c.advance(ctx, c.st.Checkpoint, proof.Checkpoint)
}

// openRecords returns a view of v with the new items verified and opened,
// leaving v as it is. Items are opened at their positions from pos.
func (c *Client) openRecords(v *vaultView, ring *keyring, pos int64, items []json.RawMessage) (*vaultView, error) {
	next := c.rebased(v, ring, v.legacy)
	latest, _ := ring.latest()
	for i, item := range items {
		ring.pos = pos + int64(i)
		if _, err := next.verified.AddItem(item); err != nil {
			if epochOf(item) > latest || (errors.Is(err, vault.ErrWriter) && pos+int64(i) >= ring.pp.Epochs[len(ring.pp.Epochs)-1].Start) {
				return nil, fmt.Errorf("%w: catalog item %d: %w", errStaleProfile, ring.pos, err)
			}
			return nil, fmt.Errorf("%w: catalog item %d: %w", ErrTampered, ring.pos, err)
		}
	}
	return next, nil
}

// errStaleProfile: the catalog has records under a key epoch newer than
// the password profile this device read, or by a writer that profile does
// not list yet (another device published both in between); reading the
// profiles again resolves it.
var errStaleProfile = errors.New("client: records newer than the password profile read")

// epochOf returns the key epoch an item claims, unverified, or 0.
func epochOf(item []byte) int {
	s, err := vault.ParseItem(item)
	if err != nil {
		return 0
	}
	payload, err := s.UnverifiedPayload()
	if err != nil {
		return 0
	}
	var probe struct {
		Epoch   int               `json:"Epoch"`
		Records []json.RawMessage `json:"Records"`
	}
	if json.Unmarshal(payload, &probe) != nil {
		return 0
	}
	if len(probe.Records) > 0 && json.Unmarshal(probe.Records[0], &probe) != nil {
		return 0
	}
	return probe.Epoch
}

// latestEpochWriter checks that this device may write under the vault's
// latest epoch.
func (c *Client) latestEpochWriter(ring *keyring) error {
	e := ring.pp.Epochs[len(ring.pp.Epochs)-1]
	if !slices.ContainsFunc(e.Writers, func(w profile.EpochWriter) bool { return udf.Equal(w.Device, c.st.Device) }) {
		return fmt.Errorf("%w: device %s may not write the passwords (not a writer of key epoch %d)", ErrNotAuthorized, c.st.Device, e.Epoch)
	}
	return nil
}

// sealRecords seals one record per entry (one signed record for one
// entry, signed batches for more) under the latest epoch.
func (c *Client) sealRecords(ring *keyring, recs []vault.BatchRecord) ([]json.RawMessage, error) {
	if err := c.latestEpochWriter(ring); err != nil {
		return nil, err
	}
	epoch, key := ring.latest()
	if len(recs) == 1 {
		r := recs[0]
		s, _, err := vault.Seal(vault.Header{Vault: ring.Vault(), Entry: r.Entry.ID, Parents: r.Parents, Writer: c.st.Device, Epoch: epoch, Time: r.Time},
			r.Entry, key, c.keys.sign)
		if err != nil {
			return nil, err
		}
		item, err := vault.Item(s)
		return []json.RawMessage{item}, err
	}
	var out []json.RawMessage
	for len(recs) > 0 {
		n := batchSize(recs)
		s, versions, err := vault.SealBatch(ring.Vault(), c.st.Device, epoch, recs[:n], key, c.keys.sign)
		if err != nil {
			return nil, err
		}
		item, err := vault.Item(s)
		if err != nil {
			return nil, err
		}
		out = append(out, item)
		recs = recs[n:]
		if len(recs) > 0 && recs[0].Chained {
			// A history too large for one batch: the next batch's first
			// record names the last of this one.
			first := recs[0]
			first.Parents = append(slices.Clone(first.Parents), versions[n-1])
			first.Chained = false
			recs = append([]vault.BatchRecord{first}, recs[1:]...)
		}
	}
	return out, nil
}

// maxItemBytes bounds one item: well under a portal's entry limit
// (512 KiB by default) once sealed, signed and base64-encoded.
const maxItemBytes = 200 << 10

// batchSize returns how many of recs go in the next batch: as many as
// keep its sealed size, estimated from the fields' JSON, under
// maxItemBytes (at least one), not cutting an entry's chained records
// (its history) apart unless they alone are larger.
func batchSize(recs []vault.BatchRecord) int {
	total := 0
	for i, r := range recs {
		b, _ := json.Marshal(r.Entry)
		// sealing adds a header (~350 bytes) and base64 twice (x1.8).
		total += (len(b)+16+350)*9/5 + 64
		if total > maxItemBytes && i > 0 {
			start := i
			for start > 0 && recs[start].Chained {
				start--
			}
			if start > 0 {
				return start
			}
			return i
		}
	}
	return len(recs)
}

// maxAppendBytes bounds one AppendRecordsRequest's items.
const maxAppendBytes = mmm.MaxBodySize - 64<<10

// write seals recs, keeps them as pending (saved before anything is
// sent), shows them in the vault and publishes them. If the portal cannot
// be reached they stay pending, to be published by the next Sync, and
// the error wraps ErrPending.
func (c *Client) write(ctx context.Context, recs []vault.BatchRecord) error {
	v, err := c.view()
	if err != nil {
		return err
	}
	if v.ring == nil || v.legacy != nil {
		// A format-1 vault (or none yet) becomes format 2 first; this
		// needs the portal.
		if err := c.upgrade(ctx); err != nil {
			return err
		}
		if v, err = c.view(); err != nil {
			return err
		}
	}
	items, err := c.sealRecords(v.ring, recs)
	if err != nil {
		return err
	}
	cs := c.catalog()
	cs.Pending = append(cs.Pending, items...)
	if err := c.save(); err != nil {
		cs.Pending = cs.Pending[:len(cs.Pending)-len(items)]
		return err
	}
	c.applyPending(v)
	return c.publishPending(ctx)
}

// offline reports an error after which a write stays pending: the portal
// unreachable, or failing on its side.
func offline(err error) bool {
	var e *mmm.Error
	if errors.Is(err, ErrTransport) {
		return true
	}
	return errors.As(err, &e) && (e.Code >= 500 && e.Code != mmm.StatusInsufficientStorage || e.Code == mmm.StatusTooManyRequests)
}

// publishPending publishes this device's pending items, oldest first. A
// 409 (the vault's key epoch changed, an item already appended) is met by
// syncing and sealing again what must be; other refusals (a quota reached,
// this device removed) leave the items pending, never dropped, and are
// returned.
func (c *Client) publishPending(ctx context.Context) error {
	for attempt := 1; len(c.catalog().Pending) > 0; {
		before := len(c.catalog().Pending)
		err := c.appendPending(ctx)
		switch {
		case err == nil && len(c.catalog().Pending) < before:
			continue
		case err == nil:
			// Accepted, yet not among the items the portal serves.
			if attempt >= c.opts.MaxAttempts {
				return fmt.Errorf("%w: the portal accepts records it does not then serve", ErrLog)
			}
			attempt++
			continue
		case offline(err):
			return fmt.Errorf("%w: %w", ErrPending, err)
		case mmm.StatusOf(err) != mmm.StatusConflict:
			return err
		}
		if attempt >= c.opts.MaxAttempts {
			return fmt.Errorf("%w: gave up after %d attempts: %w", ErrConflict, attempt, err)
		}
		attempt++
		if err := c.refresh(ctx); err != nil {
			return fmt.Errorf("client: syncing after a refused write: %w", err)
		}
		if err := c.resealPending(); err != nil {
			return err
		}
	}
	return nil
}

// appendPending sends the first pending items (as many as one request
// carries) and takes the portal's answer as verified state.
func (c *Client) appendPending(ctx context.Context) error {
	v, err := c.view()
	if err != nil {
		return err
	}
	cs := c.catalog()
	n, size := 0, 0
	for n < len(cs.Pending) && n < mmm.MaxRecordsPerAppend && (n == 0 || size+len(cs.Pending[n]) <= maxAppendBytes) {
		size += len(cs.Pending[n])
		n++
	}
	items := slices.Clone(cs.Pending[:n])
	var ar mmm.AppendRecordsResponse
	if err := c.do(ctx, &mmm.AppendRecordsRequest{Catalog: v.ring.Vault(), Records: items, CheckIn: c.signCheckIn()}, &ar); err != nil {
		return err
	}
	if ar.Head == nil || ar.Position != cs.Size || ar.Head.Size != cs.Size+int64(n) {
		// Other items came first: read them all, ours included.
		return c.refresh(ctx)
	}
	r := &records{from: cs.Size, start: cs.Head, items: items, head: ar.Head}
	if err := c.checkRecords(ctx, v.ring.Vault(), r, ar.Log); err != nil {
		return err
	}
	return c.commitRecords(v, r, ar.Log.Checkpoint)
}

// commitRecords opens r's items into the vault and saves them; pending
// items the catalog now holds are dropped.
func (c *Client) commitRecords(v *vaultView, r *records, checkpoint string) error {
	cs := c.catalog()
	next, err := c.openRecords(v, v.ring, cs.Size, r.items)
	if err != nil {
		return err
	}
	if err := c.storeItems(cs.Base, cs.Size, r.items); err != nil {
		return err
	}
	cs.Size, cs.Head = r.head.Size, r.head.Head
	cs.Pending = slices.DeleteFunc(cs.Pending, func(item json.RawMessage) bool {
		return slices.ContainsFunc(r.items, func(x json.RawMessage) bool { return bytes.Equal(x, item) })
	})
	if checkpoint != "" {
		c.st.Checkpoint = checkpoint
	}
	if err := c.save(); err != nil {
		return err
	}
	c.applyPending(next)
	c.vault = next
	return nil
}

// syncRecords reads and verifies the catalog's new items.
func (c *Client) syncRecords(ctx context.Context) error {
	v, err := c.view()
	if err != nil {
		return err
	}
	if v.ring == nil {
		return nil
	}
	cs := c.catalog()
	if cs.Size == 0 {
		// A device that holds nothing yet starts from the portal's
		// snapshot, if it has one.
		if done, err := c.syncFromSnapshot(ctx, v); done || err != nil {
			return err
		}
	}
	r, err := c.fetchRecords(ctx, v.ring.Vault(), cs.Size, cs.Head)
	if err != nil {
		return err
	}
	return c.commitRecords(v, r, r.cp)
}

// resealPending seals again, under the vault's latest epoch, the pending
// records that no longer open under it, and drops those the catalog holds.
func (c *Client) resealPending() error {
	v, err := c.view()
	if err != nil {
		return err
	}
	cs := c.catalog()
	var keep []json.RawMessage
	var again []vault.BatchRecord
	latest, _ := v.ring.latest()
	for _, item := range cs.Pending {
		sum, opened, err := c.openOwn(v.ring, item)
		if err != nil {
			return fmt.Errorf("client: a pending record of this device no longer opens: %w", err)
		}
		held := 0
		for _, o := range opened {
			if v.verified.Has(o.Version) {
				held++
			}
		}
		if held == len(opened) {
			continue
		}
		if sum.Epoch == latest {
			keep = append(keep, item)
			continue
		}
		for _, o := range opened {
			again = append(again, vault.BatchRecord{Entry: o.Entry, Parents: o.Parents, Time: o.Time})
		}
	}
	if len(again) > 0 {
		items, err := c.sealRecords(v.ring, again)
		if err != nil {
			return err
		}
		keep = append(keep, items...)
	}
	cs.Pending = keep
	if err := c.save(); err != nil {
		return err
	}
	c.applyPending(v)
	return nil
}

// openOwn opens one of this device's items, under any epoch it knows.
func (c *Client) openOwn(ring *keyring, item []byte) (*vault.Summary, []*vault.Opened, error) {
	writerKey := func(string) (*keys.PublicKey, error) { return c.keys.sign.Public(), nil }
	sum, err := vault.Inspect(item, ring.Vault(), writerKey)
	if err != nil {
		return nil, nil, err
	}
	any := &ownKeyring{ring: ring, pub: c.keys.sign.Public(), device: c.st.Device}
	s, err := vault.ParseItem(item)
	if err != nil {
		return nil, nil, err
	}
	if sum.Batch {
		o, err := vault.OpenBatch(s, any)
		return sum, o, err
	}
	o, err := vault.Open(s, any)
	return sum, []*vault.Opened{o}, err
}

// ownKeyring opens this device's own records under any known epoch.
type ownKeyring struct {
	ring   *keyring
	pub    *keys.PublicKey
	device string
}

func (k *ownKeyring) Vault() string { return k.ring.Vault() }

func (k *ownKeyring) Writer(w string, _ int) (*keys.PublicKey, error) {
	if !udf.Equal(w, k.device) {
		return nil, fmt.Errorf("%w: not this device", vault.ErrWriter)
	}
	return k.pub, nil
}

func (k *ownKeyring) ContentKey(epoch int) ([]byte, error) { return k.ring.ContentKey(epoch) }

// writers returns the devices of the password application's SignID with
// their signing keys: the writers of a new or updated key epoch.
func (c *Client) writers(app *profile.ApplicationProfileEntry) []profile.EpochWriter {
	var out []profile.EpochWriter
	for _, id := range app.SignID {
		if d := c.personal.Device(id); d != nil {
			out = append(out, profile.EpochWriter{Device: d.Identifier, Key: d.DeviceSignatureKey})
		}
	}
	return out
}

// newContentKey returns a fresh content key.
func newContentKey() ([]byte, error) {
	k := make([]byte, vault.KeySize)
	_, err := rand.Read(k)
	return k, err
}

// publishVaultProfile signs and publishes a format-2 password profile
// with the given epochs and keys, encrypted to the password application's
// recipients, as the next version; legacy, if not nil, are format-1
// entries still to migrate.
func (c *Client) publishVaultProfile(ctx context.Context, epochs []profile.KeyEpoch, keys map[int][]byte, legacy []profile.PasswordEntry) error {
	app := passwordApp(c.personal)
	if app == nil {
		return fmt.Errorf("%w: the profile has no password application", ErrInvalidProfile)
	}
	if !containsID(app.SignID, c.st.Device) {
		return fmt.Errorf("%w: device %s may not write the passwords", ErrNotAuthorized, c.st.Device)
	}
	vk := vaultKeys{Format: profile.FormatCatalog, Entries: []profile.PasswordEntry{upgradeNotice()}}
	if legacy != nil {
		vk.Entries, vk.Migrating = legacy, true
	}
	for _, e := range epochs {
		vk.Keys = append(vk.Keys, epochKey{Epoch: e.Epoch, Key: keys[e.Epoch]})
	}
	plain, err := json.Marshal(vk)
	if err != nil {
		return err
	}
	ed, err := jwe.Encrypt(plain, c.personal.Recipients(app))
	if err != nil {
		return err
	}
	version := profile.FirstVersion()
	if c.st.PasswordVersion > 0 {
		version = profile.Versioned{Version: c.st.PasswordVersion}.Next()
	}
	pp := &profile.PasswordProfile{Identifier: app.Identifier, EncryptedData: ed, Format: profile.FormatCatalog, Epochs: epochs, Versioned: version}
	sp, err := pp.Sign(c.keys.sign)
	if err != nil {
		return err
	}
	vpp, err := profile.VerifyApplicationProfile(sp, c.personal)
	if err != nil {
		return fmt.Errorf("%w: the new password profile: %w", ErrInvalidProfile, err)
	}
	e := &mmm.Entry{SignedApplicationProfile: sp}
	if err := c.publish(ctx, e, c.st.PasswordVersion); err != nil {
		return err
	}
	c.st.Password, c.st.PasswordVersion = sp, version.Version
	if err := c.save(); err != nil {
		return err
	}
	// The view, with the new keyring.
	c.vault = c.rebased(c.vault, &keyring{pp: vpp, keys: keys}, legacy)
	return nil
}

// upgrade makes the vault format 2: a new vault, or a format-1 vault
// whose entries are moved into the catalog (migrate).
func (c *Client) upgrade(ctx context.Context) error {
	v, err := c.view()
	if err != nil {
		return err
	}
	if v.ring == nil {
		key, err := newContentKey()
		if err != nil {
			return err
		}
		app := passwordApp(c.personal)
		if app == nil {
			return fmt.Errorf("%w: the profile has no password application", ErrInvalidProfile)
		}
		var legacy []profile.PasswordEntry
		if len(v.legacy) > 0 {
			legacy = v.legacy
		}
		epochs := []profile.KeyEpoch{{Epoch: 1, Start: 0, Writers: c.writers(app)}}
		c.st.Catalog = &catalogState{Head: vault.EmptyHead, Pending: c.catalog().Pending}
		if legacy != nil {
			// Kept until every entry is a record: if the device stops
			// half way, it (or, through the profile, another writer)
			// goes on from there.
			c.st.Legacy = c.st.Password
		}
		keys := map[int][]byte{1: key}
		err = c.publishVaultProfile(ctx, epochs, keys, legacy)
		if mmm.StatusOf(err) == mmm.StatusTooLarge && legacy != nil {
			// The format-1 entries and the keys do not fit one profile
			// (a vault near format 1's limit): only this device holds
			// them until the migration ends.
			err = c.publishVaultProfile(ctx, epochs, keys, nil)
		}
		if err != nil {
			return err
		}
		if v, err = c.view(); err != nil {
			return err
		}
	}
	if v.legacy != nil {
		return c.migrate(ctx)
	}
	return nil
}

// migrate moves the format-1 entries the catalog lacks into it, in
// batches, then republishes the password profile without them. It can
// stop anywhere and run again: what is in the catalog is not written
// twice.
func (c *Client) migrate(ctx context.Context) error {
	if err := c.syncRecords(ctx); err != nil {
		return err
	}
	v, err := c.view()
	if err != nil {
		return err
	}
	var recs []vault.BatchRecord
	for _, e := range v.legacy {
		if e.Deleted || len(v.cat.Heads(e.Id)) > 0 {
			continue
		}
		ve := fromLegacy(e)
		recs = append(recs, vault.BatchRecord{Entry: ve, Time: e.Updated})
	}
	if len(recs) > 0 {
		items, err := c.sealRecords(v.ring, recs)
		if err != nil {
			return err
		}
		cs := c.catalog()
		cs.Pending = append(cs.Pending, items...)
		if err := c.save(); err != nil {
			return err
		}
		c.applyPending(v)
		if err := c.publishPending(ctx); err != nil {
			return err
		}
	}
	v, err = c.view()
	if err != nil {
		return err
	}
	if err := c.publishVaultProfile(ctx, v.ring.pp.Epochs, v.ring.keys, nil); err != nil {
		return err
	}
	c.st.Legacy = nil
	return c.save()
}

// rekey republishes the vault's keys to the password application's
// current recipients, after devices or escrow keys changed: an added
// writer joins the latest epoch; if a recipient of the keys is no longer
// one (a device removed, old escrow keys dropped), a new epoch starts at
// the catalog's current end, under a fresh key that only the remaining
// recipients get. A format-1 vault is upgraded instead.
func (c *Client) rekey(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		err := c.rekeyOnce(ctx)
		if err == nil || mmm.StatusOf(err) != mmm.StatusConflict {
			return err
		}
		if attempt >= c.opts.MaxAttempts {
			return fmt.Errorf("%w: gave up after %d attempts: %w", ErrConflict, attempt, err)
		}
		if err := c.syncAnyRecipients(ctx); err != nil {
			return fmt.Errorf("client: syncing after a concurrent update: %w", err)
		}
	}
}

func (c *Client) rekeyOnce(ctx context.Context) error {
	v, err := c.view()
	if err != nil {
		return err
	}
	if v.ring == nil || v.legacy != nil {
		return c.upgrade(ctx)
	}
	if err := c.syncRecords(ctx); err != nil {
		return err
	}
	if v, err = c.view(); err != nil {
		return err
	}
	app := passwordApp(c.personal)
	if app == nil {
		return fmt.Errorf("%w: the profile has no password application", ErrInvalidProfile)
	}
	want := c.personal.Recipients(app)
	dropped := slices.ContainsFunc(v.ring.pp.EncryptedData.RecipientIDs(), func(id string) bool {
		return !slices.ContainsFunc(want, func(k *keys.PublicKey) bool { return udf.Equal(k.UDF, id) })
	})
	epochs := slices.Clone(v.ring.pp.Epochs)
	ks := map[int][]byte{}
	for k, key := range v.ring.keys {
		ks[k] = key
	}
	if dropped {
		key, err := newContentKey()
		if err != nil {
			return err
		}
		n := epochs[len(epochs)-1].Epoch + 1
		epochs = append(epochs, profile.KeyEpoch{Epoch: n, Start: c.catalog().Size, Writers: c.writers(app)})
		ks[n] = key
	} else {
		last := epochs[len(epochs)-1]
		last.Writers = c.writers(app)
		epochs[len(epochs)-1] = last
	}
	if err := c.publishVaultProfile(ctx, epochs, ks, nil); err != nil {
		return err
	}
	if dropped {
		return c.resealPending()
	}
	return nil
}

// pendingIDs returns the IDs of entries with pending records.
func (c *Client) pendingIDs() []string {
	v := c.vault
	if v == nil || v.ring == nil {
		return nil
	}
	var ids []string
	for _, item := range c.catalog().Pending {
		_, opened, err := c.openOwn(v.ring, item)
		if err != nil {
			continue
		}
		for _, o := range opened {
			if !slices.Contains(ids, o.Entry.ID) {
				ids = append(ids, o.Entry.ID)
			}
		}
	}
	slices.Sort(ids)
	return ids
}
