package portal

import (
	"bytes"
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Store errors. A Store returns them (possibly wrapped) so the handler can
// answer with the right status.
var (
	// ErrNotFound: no such account, entry or connection request.
	ErrNotFound = errors.New("portal: not found")
	// ErrConflict: a write's precondition failed (the account exists, the
	// entry is no longer the version the write was made from, the log has
	// grown, the nonce was seen). Nothing was written.
	ErrConflict = errors.New("portal: conflict")
	// ErrLimit: an account has too many pending connection requests.
	ErrLimit = errors.New("portal: limit reached")
)

// Entry is a stored entry: the latest accepted version of a profile or an
// escrow entry, with the log leaf that holds it.
type Entry struct {
	// Identifier is the entry's canonical UDF (udf.Parse).
	Identifier string
	// Kind is the mmm.Entry member: SignedPersonalProfile, …
	Kind string
	// Account is the account whose personal profile this is, or "".
	Account string
	// Version is the profile's Version (1 for escrow entries).
	Version uint64
	// Data is the log leaf: translog.LeafData of the mmm.Entry.
	Data []byte
	// Index is the leaf's index in the log.
	Index int64
}

// Append is one accepted Create or Publish: everything in it is written
// atomically, or nothing is.
type Append struct {
	// Account, if set, is created for Entry; it must not exist yet.
	Account string
	// Entry is stored in place of the entry with the same Identifier.
	Entry Entry
	// Previous is the Version the stored entry must have; 0 means no entry
	// with that Identifier may exist.
	Previous uint64
	// Applications are application profile Identifiers the personal
	// profile lists: each not yet claimed is recorded as owned by
	// Entry.Account (the first account to list an application owns it).
	Applications []string
	// Entry.Index is the new leaf's index: the log must hold exactly that
	// many leaves. Hashes are the stored hashes from
	// tlog.StoredHashCount(Entry.Index) onward, Checkpoint the signed
	// checkpoint of the tree of Entry.Index+1 leaves.
	Hashes     []tlog.Hash
	Checkpoint string
}

// Pending is a pending connection request.
type Pending struct {
	Account string
	// Device is the requesting device's canonical UDF.
	Device string
	// Request is the JSON of the profile.SignedConnectionRequest.
	Request []byte
	Expires time.Time
}

// Store keeps a portal's state. Every method is atomic; the handler never
// reads and writes in one Store call except through the preconditions
// written into Append, StartConnection and UseNonce, so a Store maps onto
// a database with transactions (SQLite) and onto one that only runs
// batches of statements (D1 batch()).
type Store interface {
	// Account returns the Identifier of the personal profile of account.
	Account(ctx context.Context, account string) (string, error)
	// Entry returns the stored entry named id (canonical UDF).
	Entry(ctx context.Context, id string) (*Entry, error)
	// Latest returns the log's size and latest checkpoint ("" when empty).
	Latest(ctx context.Context) (int64, string, error)
	// tlog.HashReader over the stored hashes, with a context.
	ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error)
	// Leaves returns leaves [start, end), all of them stored.
	Leaves(ctx context.Context, start, end int64) ([][]byte, error)
	// ApplicationOwner returns the account that first listed application id.
	ApplicationOwner(ctx context.Context, id string) (string, error)
	// Append writes a, or returns ErrConflict and writes nothing.
	Append(ctx context.Context, a *Append) error

	// StartConnection drops the account's expired requests (those that
	// expire before now), then stores p in place of any request from the
	// same device, unless the account already has max others (ErrLimit).
	StartConnection(ctx context.Context, p *Pending, max int, now time.Time) error
	// PendingConnections returns the account's requests that have not
	// expired at now.
	PendingConnections(ctx context.Context, account string, now time.Time) ([]*Pending, error)
	// CompleteConnection stores result (JSON of a SignedConnectionResult)
	// for the device and removes its pending request, which must exist
	// and not have expired (else ErrNotFound).
	CompleteConnection(ctx context.Context, account, device string, result []byte, now time.Time) error
	// Connection returns the device's request, unexpired or answered, and
	// the answer (nil if none yet); ErrNotFound if there is no such request.
	Connection(ctx context.Context, account, device string, now time.Time) (*Pending, []byte, error)
	// UseNonce records that device used nonce, until expires; ErrConflict
	// if it was recorded before and has not expired. It may drop records
	// that expired before now.
	UseNonce(ctx context.Context, device, nonce string, expires, now time.Time) error
}

type completed struct {
	request *Pending
	result  []byte
}

// MemStore is a Store in memory, for tests.
type MemStore struct {
	mu       sync.Mutex
	accounts map[string]string
	entries  map[string]*Entry
	leaves   [][]byte
	hashes   []tlog.Hash
	cp       string
	pending  map[[2]string]*Pending
	results  map[[2]string]completed
	nonces   map[[2]string]time.Time
	apps     map[string]string
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{
		accounts: map[string]string{}, entries: map[string]*Entry{},
		pending: map[[2]string]*Pending{}, results: map[[2]string]completed{}, nonces: map[[2]string]time.Time{}, apps: map[string]string{},
	}
}

// Account implements Store.
func (m *MemStore) Account(_ context.Context, account string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.accounts[account]
	if !ok {
		return "", ErrNotFound
	}
	return id, nil
}

// Entry implements Store.
func (m *MemStore) Entry(_ context.Context, id string) (*Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[id]
	if !ok {
		return nil, ErrNotFound
	}
	c := *e
	return &c, nil
}

// Latest implements Store.
func (m *MemStore) Latest(context.Context) (int64, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int64(len(m.leaves)), m.cp, nil
}

// ReadHashes implements Store.
func (m *MemStore) ReadHashes(_ context.Context, idx []int64) ([]tlog.Hash, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, ErrNotFound
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

// Leaves implements Store.
func (m *MemStore) Leaves(_ context.Context, start, end int64) ([][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if start < 0 || end > int64(len(m.leaves)) || start > end {
		return nil, ErrNotFound
	}
	return append([][]byte(nil), m.leaves[start:end]...), nil
}

// Append implements Store.
func (m *MemStore) Append(_ context.Context, a *Append) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a.Entry.Index != int64(len(m.leaves)) || tlog.StoredHashCount(a.Entry.Index) != int64(len(m.hashes)) {
		return ErrConflict
	}
	if a.Account != "" {
		if _, ok := m.accounts[a.Account]; ok {
			return ErrConflict
		}
	}
	old, ok := m.entries[a.Entry.Identifier]
	if (a.Previous == 0) == ok || (ok && old.Version != a.Previous) {
		return ErrConflict
	}
	if a.Account != "" {
		m.accounts[a.Account] = a.Entry.Identifier
	}
	e := a.Entry
	e.Data = bytes.Clone(e.Data)
	m.entries[e.Identifier] = &e
	m.leaves = append(m.leaves, e.Data)
	m.hashes = append(m.hashes, a.Hashes...)
	m.cp = a.Checkpoint
	for _, id := range a.Applications {
		if _, ok := m.apps[id]; !ok {
			m.apps[id] = e.Account
		}
	}
	return nil
}

// ApplicationOwner implements Store.
func (m *MemStore) ApplicationOwner(_ context.Context, id string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.apps[id]
	if !ok {
		return "", ErrNotFound
	}
	return a, nil
}

// StartConnection implements Store.
func (m *MemStore) StartConnection(_ context.Context, p *Pending, max int, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for k, q := range m.pending {
		if k[0] != p.Account {
			continue
		}
		if q.Expires.Before(now) {
			delete(m.pending, k)
		} else if k[1] != p.Device {
			n++
		}
	}
	if n >= max {
		return ErrLimit
	}
	c := *p
	m.pending[[2]string{p.Account, p.Device}] = &c
	return nil
}

// PendingConnections implements Store.
func (m *MemStore) PendingConnections(_ context.Context, account string, now time.Time) ([]*Pending, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Pending
	for k, q := range m.pending {
		if k[0] == account && !q.Expires.Before(now) {
			c := *q
			out = append(out, &c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Device < out[j].Device })
	return out, nil
}

// CompleteConnection implements Store.
func (m *MemStore) CompleteConnection(_ context.Context, account, device string, result []byte, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{account, device}
	q, ok := m.pending[k]
	if !ok || q.Expires.Before(now) {
		return ErrNotFound
	}
	delete(m.pending, k)
	m.results[k] = completed{q, bytes.Clone(result)}
	return nil
}

// Connection implements Store.
func (m *MemStore) Connection(_ context.Context, account, device string, now time.Time) (*Pending, []byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{account, device}
	var p *Pending
	if q, ok := m.pending[k]; ok && !q.Expires.Before(now) {
		c := *q
		p = &c
	}
	c, done := m.results[k]
	r := c.result
	if p == nil && done {
		q := *c.request
		p = &q
	}
	if p == nil {
		return nil, nil, ErrNotFound
	}
	return p, r, nil
}

// UseNonce implements Store.
func (m *MemStore) UseNonce(_ context.Context, device, nonce string, expires, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, t := range m.nonces {
		if t.Before(now) {
			delete(m.nonces, k)
		}
	}
	k := [2]string{device, nonce}
	if _, ok := m.nonces[k]; ok {
		return ErrConflict
	}
	m.nonces[k] = expires
	return nil
}
