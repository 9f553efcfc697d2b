package client

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/meshpass/meshpass/shared/match"
	"github.com/meshpass/meshpass/shared/vault"
	"golang.org/x/crypto/chacha20poly1305"
)

// The site index lets a device answer "which logins may fill this page"
// right after a restart or an unlock, before it has read and opened the
// whole stored catalog (about a second and a half for 10,000 entries in
// the browser). It is the vault's live entries, as a full read lists
// them, split by the key a page is matched under (match.PageKey) into
// siteShards shards, each sealed with XChaCha20-Poly1305 under a key
// derived from this device's private encryption key: only this device,
// unlocked, opens it, as it alone opens the catalog's content keys. A
// manifest, sealed alike, names the catalog state the shards were written
// from (size, head, password profile version, pending records) and the
// SHA-256 of each shard's plaintext. The index is trusted only while that
// state is still the device's: once the head moved (a sync, a write), a
// call reads the whole vault as before, and the index is written again
// afterwards (SaveSiteIndex). Storage keys name shards by number, the
// number an HMAC of the site key: the stored index does not say which
// sites the vault holds.

// siteIndexKey is the Storage key of the index's manifest; its shards are
// under siteShardKey.
const siteIndexKey = StateKey + "-sites"

// siteShards is how many shards the index has: a page reads one, about
// 1/256 of the entries.
const siteShards = 256

// siteIndexVersion is the format of the index's manifest and shards.
const siteIndexVersion = 1

func siteShardKey(n int) string { return fmt.Sprintf("%s-%03d", siteIndexKey, n) }

// siteManifest is the plaintext of the sealed manifest.
type siteManifest struct {
	V int `json:"v"`
	// Size, Head, PasswordVersion, Legacy and Pending are the state the
	// index was written from (Pending: the hash of the pending items).
	Size            int64  `json:"Size"`
	Head            string `json:"Head"`
	PasswordVersion uint64 `json:"PasswordVersion"`
	Legacy          bool   `json:"Legacy,omitempty"`
	Pending         []byte `json:"Pending"`
	// PendingIDs are the entries with pending records (Client.Pending).
	PendingIDs []string `json:"PendingIDs,omitempty"`
	// Shards holds the SHA-256 of each non-empty shard's plaintext.
	Shards map[int][]byte `json:"Shards"`
}

// siteEntry is an entry as a shard holds it: what Matching returns.
type siteEntry struct {
	ID      string         `json:"ID"`
	Entry   vault.Entry    `json:"Entry"`
	Updated time.Time      `json:"Updated"`
	History []vault.Change `json:"History,omitempty"`
}

// siteKeys are the keys of the index of this device: seal for the
// AEAD, shard for the HMAC that places a site key in a shard.
type siteKeys struct {
	seal, shard []byte
}

// siteIndexKeys derives the index's keys from the device's private
// encryption key; c.mu held, unlocked.
func (c *Client) siteIndexKeys() (*siteKeys, error) {
	secret := c.keys.enc.Bytes()
	sealKey, err := hkdf.Key(sha256.New, secret, nil, "meshpass site index seal v1 "+c.st.Device, chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	shardKey, err := hkdf.Key(sha256.New, secret, nil, "meshpass site index shard v1 "+c.st.Device, 32)
	if err != nil {
		return nil, err
	}
	return &siteKeys{seal: sealKey, shard: shardKey}, nil
}

func (k *siteKeys) shardOf(siteKey string) int {
	m := hmac.New(sha256.New, k.shard)
	m.Write([]byte(siteKey))
	return int(m.Sum(nil)[0]) % siteShards
}

// sealValue seals plain for storage under name (the associated data, so
// a value moved to another key does not open).
func (k *siteKeys) sealValue(name string, plain []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(k.seal)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plain, []byte(name)), nil
}

// openValue opens what sealValue sealed under name.
func (k *siteKeys) openValue(name string, sealed []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(k.seal)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("client: site index value cut short")
	}
	return aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(name))
}

// pendingHash is the hash of the pending items, in order.
func pendingHash(items []json.RawMessage) []byte {
	h := sha256.New()
	for _, item := range items {
		fmt.Fprintf(h, "%d:", len(item))
		h.Write(item)
	}
	return h.Sum(nil)
}

// current reports whether m was written from the device's present state.
// c.mu held.
func (c *Client) current(m *siteManifest) bool {
	cs := c.catalog()
	return m != nil && m.V == siteIndexVersion && m.Size == cs.Size && m.Head == cs.Head &&
		m.PasswordVersion == c.st.PasswordVersion && m.Legacy == (c.st.Legacy != nil) &&
		bytes.Equal(m.Pending, pendingHash(cs.Pending))
}

// siteManifest returns the stored manifest if it opens and is current,
// else nil. c.mu held, unlocked.
func (c *Client) siteManifest(k *siteKeys) *siteManifest {
	if c.sites != nil && c.current(c.sites) {
		return c.sites
	}
	m := c.storedManifest(k)
	if !c.current(m) {
		return nil
	}
	c.sites = m
	return m
}

// storedManifest returns the stored manifest if it opens, current or not.
func (c *Client) storedManifest(k *siteKeys) *siteManifest {
	b, err := c.opts.Storage.Get(siteIndexKey)
	if err != nil {
		return nil
	}
	return openManifest(k, b)
}

// preloadSiteIndex reads the stored manifest, without holding c.mu while
// it waits for storage, and keeps it if it is current: Warm calls it
// before its read, so that a call right after a restart needs one storage
// read (the page's shard), not two.
func (c *Client) preloadSiteIndex() {
	c.mu.Lock()
	if c.ready() != nil || c.sites != nil && c.current(c.sites) {
		c.mu.Unlock()
		return
	}
	k, err := c.siteIndexKeys()
	c.mu.Unlock()
	if err != nil {
		return
	}
	b, err := c.opts.Storage.Get(siteIndexKey)
	if err != nil {
		return
	}
	m := openManifest(k, b)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ready() == nil && c.current(m) {
		c.sites = m
	}
}

// openManifest opens a stored manifest, current or not; nil if it does not.
func openManifest(k *siteKeys, b []byte) *siteManifest {
	plain, err := k.openValue(siteIndexKey, b)
	if err != nil {
		return nil
	}
	var m siteManifest
	if json.Unmarshal(plain, &m) != nil {
		return nil
	}
	return &m
}

// indexedMatching answers Matching from the site index, if it is current
// and the page's shard opens and is the one the manifest names; ok false
// otherwise (then the whole vault is read). c.mu held, unlocked.
func (c *Client) indexedMatching(pageURL string, opts match.Options) (entries []vault.Entry, ranked []match.Ranked, ok bool) {
	key, err := match.PageKey(pageURL, opts)
	if err != nil {
		return []vault.Entry{}, nil, true // no entry fills such a page
	}
	k, err := c.siteIndexKeys()
	if err != nil {
		return nil, nil, false
	}
	m := c.siteManifest(k)
	if m == nil {
		return nil, nil, false
	}
	n := k.shardOf(key)
	want, stored := m.Shards[n]
	if !stored {
		return []vault.Entry{}, nil, true // no entry has a site of this key
	}
	b, err := c.opts.Storage.Get(siteShardKey(n))
	if err != nil {
		return nil, nil, false
	}
	plain, err := k.openValue(siteShardKey(n), b)
	if err != nil {
		return nil, nil, false
	}
	if sum := sha256.Sum256(plain); !bytes.Equal(sum[:], want) {
		return nil, nil, false // a shard of another state
	}
	var shard []siteEntry
	if json.Unmarshal(plain, &shard) != nil {
		return nil, nil, false
	}
	list := make([]vault.Entry, len(shard))
	for i, s := range shard {
		list[i] = s.Entry
		list[i].ID, list[i].Updated, list[i].History = s.ID, s.Updated, s.History
	}
	ranked = match.NewIndex(list).Rank(list, pageURL, opts)
	entries = make([]vault.Entry, len(ranked))
	for i := range ranked {
		entries[i] = list[ranked[i].Index]
		ranked[i].Index = i
	}
	return entries, ranked, true
}

// indexedPending answers Pending from the site index's manifest, if it is
// current. c.mu held, unlocked.
func (c *Client) indexedPending() ([]string, bool) {
	if len(c.catalog().Pending) == 0 {
		return nil, true
	}
	k, err := c.siteIndexKeys()
	if err != nil {
		return nil, false
	}
	if m := c.siteManifest(k); m != nil {
		return slices.Clone(m.PendingIDs), true
	}
	return nil, false
}

// SaveSiteIndex writes the site index of the vault as this device holds
// it now, if the stored one is not of this state: only the shards whose
// entries changed, then the manifest. It does nothing while the vault is
// not read yet (Warm reads it; the extension calls SaveSiteIndex after),
// or while a migration from format 1 is under way. The sealing and the
// writes run without the Client's lock; a state that changed meanwhile
// leaves an index that is simply not trusted.
func (c *Client) SaveSiteIndex() error {
	c.indexMu.Lock()
	defer c.indexMu.Unlock()
	c.mu.Lock()
	if c.ready() != nil || c.vault == nil || len(c.vault.legacy) > 0 {
		c.mu.Unlock()
		return nil
	}
	k, err := c.siteIndexKeys()
	if err != nil {
		c.mu.Unlock()
		return err
	}
	old := c.siteManifest(k)
	if old != nil {
		c.mu.Unlock()
		return nil // current
	}
	// Shards that hash as in what this process last wrote are unchanged
	// in storage; those of an older stored manifest are only deleted when
	// they become empty.
	written, old := c.sites, c.storedManifest(k)
	cs := c.catalog()
	m := &siteManifest{V: siteIndexVersion, Size: cs.Size, Head: cs.Head, PasswordVersion: c.st.PasswordVersion,
		Legacy: c.st.Legacy != nil, Pending: pendingHash(cs.Pending), PendingIDs: c.pendingIDs(), Shards: map[int][]byte{}}
	list := c.vault.entries()
	storage := c.opts.Storage
	c.mu.Unlock()

	shards := map[int][]siteEntry{}
	for _, e := range list {
		var in []int
		for _, key := range match.SiteKeys(e.Sites) {
			if n := k.shardOf(key); !slices.Contains(in, n) {
				in = append(in, n)
				shards[n] = append(shards[n], siteEntry{ID: e.ID, Entry: e, Updated: e.Updated, History: e.History})
			}
		}
	}
	values := map[string][]byte{}
	for n, shard := range shards {
		plain, err := json.Marshal(shard)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(plain)
		m.Shards[n] = sum[:]
		if written != nil && bytes.Equal(written.Shards[n], sum[:]) {
			continue
		}
		if values[siteShardKey(n)], err = k.sealValue(siteShardKey(n), plain); err != nil {
			return err
		}
	}
	plain, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if values[siteIndexKey], err = k.sealValue(siteIndexKey, plain); err != nil {
		return err
	}
	// One call where the storage takes many (the extension's); else the
	// manifest is written last: shards of a write cut short do not hash
	// as the manifest before it says.
	manifest := values[siteIndexKey]
	if _, many := storage.(ManyStorage); !many {
		delete(values, siteIndexKey)
	}
	if err := putMany(storage, values); err != nil {
		return fmt.Errorf("client: saving the site index: %w", err)
	}
	if _, many := storage.(ManyStorage); !many {
		if err := storage.Put(siteIndexKey, manifest); err != nil {
			return fmt.Errorf("client: saving the site index: %w", err)
		}
	}

	for n := range siteShards {
		if _, ok := m.Shards[n]; !ok && old != nil && old.Shards[n] != nil {
			if err := storage.Delete(siteShardKey(n)); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		}
	}
	c.mu.Lock()
	c.sites = m
	c.mu.Unlock()
	return nil
}

// deleteSiteIndex removes the site index. c.mu held.
func (c *Client) deleteSiteIndex() error {
	c.sites = nil
	for _, key := range append([]string{siteIndexKey}, shardKeys()...) {
		if err := c.opts.Storage.Delete(key); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}

func shardKeys() []string {
	out := make([]string, siteShards)
	for n := range out {
		out[n] = siteShardKey(n)
	}
	return out
}
