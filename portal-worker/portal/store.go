package portal

import (
	"context"
	"errors"
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
	// ErrLogMoved: the log grew while an Append was prepared (another
	// process appended); nothing was written, and the Append can be made
	// again on the new log.
	ErrLogMoved = errors.New("portal: the log moved")
	// ErrLimit: an account has too many pending connection requests.
	ErrLimit = errors.New("portal: limit reached")
	// ErrQuota: the write would take the account past its Quota.
	ErrQuota = errors.New("portal: account quota reached")
	// ErrFull: the write would take the portal past Quota.TotalBytes.
	ErrFull = errors.New("portal: storage full")
	// ErrInvitation: the invitation code is unknown or used.
	ErrInvitation = errors.New("portal: invitation not valid")
	// ErrCatalogMoved: a catalog no longer holds the number of items a
	// write was made for, or the vault's profile is no longer the version
	// it was checked against (another write came first); nothing was
	// written.
	ErrCatalogMoved = errors.New("portal: the catalog moved")
)

// Quota bounds storage. The log is append-only, so what an account writes
// stays: AccountBytes bounds the bytes an account has written in all
// (every version of its entries, as logged and stored: see Append.Cost,
// and every catalog item: RecordsAppend.Cost), AccountRecords the entries
// and vault records it holds (a batch counts each of its records), and
// TotalBytes everything the portal stores, a watermark below the
// database's own limit (D1: 10 GB; 500 MB on the free plan). Zero fields
// set no limit.
type Quota struct {
	AccountBytes   int64
	AccountRecords int64
	TotalBytes     int64
}

// DefaultAccountRecords is the programs' default Quota.AccountRecords: a
// format-2 vault keeps every record (an edit is a new one), so a vault of
// 50,000 logins, each written and edited a few times, fits.
const DefaultAccountRecords = 250_000

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
	// Invitation, if set, is the hash of the invitation code that Account
	// uses up: it must be stored and unused (else ErrInvitation).
	Invitation string
	// Escrow, if set, is an escrow entry written with Entry, as the next
	// leaf (Index Entry.Index+1; no entry with its Identifier may exist);
	// Hashes and Checkpoint then cover both leaves.
	Escrow *Entry
	// Cost (bytes) and Records (new entries) are charged to
	// Entry.Account, and Cost to the portal's total; the write fails with
	// ErrQuota or ErrFull, writing nothing, if that passes Quota.
	Cost    int64
	Records int64
	Quota   Quota
	// Catalog, if set, is a catalog that must hold exactly CatalogSize
	// items (else ErrCatalogMoved): a password profile that starts a key
	// epoch at CatalogSize is published only on that catalog.
	Catalog     string
	CatalogSize int64
}

// CatalogHead is the latest head of a format-2 vault's catalog.
type CatalogHead struct {
	// Catalog is the vault's Identifier (canonical UDF).
	Catalog string
	// Size is how many items the catalog holds; Head the chain hash over
	// them (vault.ChainHead; vault.EmptyHead when Size is 0).
	Size int64
	Head string
	// Index is the log leaf that committed the head (translog.HeadLeafData;
	// -1 when Size is 0).
	Index int64
	// Account owns the vault ("" when Size is 0).
	Account string
	// Indexed is how many of the items have their records' versions
	// stored (Versions): all of them but in a catalog written before
	// migration 0006, which the portal indexes (IndexVersions).
	Indexed int64
}

// Version is one record of a catalog as the portal keeps it to check
// parents: its version and entry.
type Version struct {
	Version string
	Entry   string
}

// Snapshot is a catalog's snapshot as stored (docs/vault.md).
type Snapshot struct {
	// Catalog is the vault's Identifier; Hash the base64url SHA-256 of
	// Manifest, the signed manifest.
	Catalog  string
	Hash     string
	Manifest []byte
	// Position is the manifest's, Chunks its number of chunks.
	Position int64
	Chunks   int
	// Account owns the vault (charged for the snapshot).
	Account string
}

// SnapshotChunk is one accepted PutSnapshot: chunk N of Snapshot.
type SnapshotChunk struct {
	Snapshot Snapshot
	N        int
	Data     []byte
	// Quota bounds the account's bytes, which the snapshot's bytes count
	// toward while it is stored (ErrQuota, ErrFull).
	Quota Quota
}

// RecordsAppend is one accepted AppendRecords: items at positions
// [Start, Start+len(Items)) of a catalog, its new head and the one log
// leaf committing it, written atomically or not at all.
type RecordsAppend struct {
	// Head is the new head: Head.Size is Start+len(Items), Head.Index the
	// new leaf's index (the log must hold exactly that many leaves, else
	// ErrLogMoved), Head.Account the vault's owner.
	Head CatalogHead
	// Start is how many items the catalog must hold (else
	// ErrCatalogMoved).
	Start int64
	// Items are the items' bytes; none may be in the catalog already
	// (else ErrConflict).
	Items [][]byte
	// Profile is the vault's PasswordProfile entry, which must still be
	// at Version (else ErrCatalogMoved): the items were checked against it.
	Profile string
	Version uint64
	// Leaf is the log leaf (translog.HeadLeafData of Head); Hashes the
	// stored hashes from tlog.StoredHashCount(Head.Index) on, Checkpoint
	// the signed checkpoint of the tree of Head.Index+1 leaves.
	Leaf       []byte
	Hashes     []tlog.Hash
	Checkpoint string
	// Cost (bytes) and Records (vault records, a batch counting each of
	// its records) are charged to Head.Account, and Cost to the portal's
	// total, as Append charges them (ErrQuota, ErrFull).
	Cost    int64
	Records int64
	Quota   Quota
	// Versions are the items' records, stored for the parent check of
	// later appends (the catalog must have Start items indexed, else
	// ErrCatalogMoved; a version stored already is ErrConflict).
	Versions []Version
}

// Pending is a pending connection request.
type Pending struct {
	Account string
	// Device is the requesting device's canonical UDF.
	Device string
	// Request is the JSON of the profile.SignedConnectionRequest.
	Request []byte
	Expires time.Time
	// Code, if set, is the hash of a connect code an administration
	// device issued (AddConnectCode): the request uses it up and is kept
	// until answered or expired, never dropped for newer requests. An
	// unknown or used code is ErrInvitation.
	Code string
	// Contribution and Reveal are the JSON of the request's witness
	// exchange (profile.SignedConnectionContribution and
	// profile.SignedConnectionReveal), nil until posted. StartConnection
	// clears both.
	Contribution []byte
	Reveal       []byte
}

// CheckIn is a device's latest signed check-in (mmm.DeviceCheckIn).
type CheckIn struct {
	// Profile is the personal profile's Identifier and Device the
	// device's (both canonical UDF).
	Profile, Device string
	// Time is the check-in's own Time.
	Time time.Time
	// Data is the JSON of the signed check-in.
	Data []byte
}

// Store keeps a portal's state. Every method is atomic; the handler never
// reads and writes in one Store call except through the preconditions
// written into Append, StartConnection and UseNonce, so a Store maps onto
// a database with transactions (SQLite) and onto one that only runs
// batches of statements (D1 batch()).
type Store interface {
	// Account returns the Identifier of the personal profile of account.
	// An account, once stored, is never changed or removed: the portal
	// keeps what Account returns (accountcache.go).
	Account(ctx context.Context, account string) (string, error)
	// Entry returns the stored entry named id (canonical UDF).
	Entry(ctx context.Context, id string) (*Entry, error)
	// Latest returns the log's size and latest checkpoint ("" when empty).
	Latest(ctx context.Context) (int64, string, error)
	// Cosign replaces the stored checkpoint of the tree of size leaves
	// with checkpoint: the same checkpoint with witness cosignatures
	// added (cosign.go).
	Cosign(ctx context.Context, size int64, checkpoint string) error
	// tlog.HashReader over the stored hashes, with a context.
	ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error)
	// Leaves returns leaves [start, end), all of them stored, or only
	// the first ones up to maxBytes in all (at least one): it never holds
	// more than that in memory.
	Leaves(ctx context.Context, start, end int64, maxBytes int) ([][]byte, error)
	// ApplicationOwner returns the account that first listed application id.
	ApplicationOwner(ctx context.Context, id string) (string, error)
	// Append writes a, or writes nothing and returns ErrLogMoved (the log
	// no longer has Entry.Index leaves), ErrCatalogMoved (a.Catalog no
	// longer has a.CatalogSize items) or ErrConflict (another
	// precondition failed).
	Append(ctx context.Context, a *Append) error

	// Catalog returns the latest head of catalog id (a vault's canonical
	// Identifier): Size 0, Head vault.EmptyHead and Index -1 when it has
	// no items.
	Catalog(ctx context.Context, id string) (*CatalogHead, error)
	// CatalogItems returns items [start, end) of catalog id, all of them
	// stored, or only the first ones up to maxBytes in all (at least one):
	// it never holds more than that in memory.
	CatalogItems(ctx context.Context, id string, start, end int64, maxBytes int) ([][]byte, error)
	// AppendRecords writes a, or writes nothing and returns ErrLogMoved
	// (the log no longer has a.Head.Index leaves), ErrCatalogMoved (the
	// catalog no longer has a.Start items, or the profile is no longer at
	// a.Version), ErrConflict (an item is in the catalog already),
	// ErrQuota or ErrFull.
	AppendRecords(ctx context.Context, a *RecordsAppend) error
	// CatalogVersions returns which of versions catalog id holds, with
	// their entries.
	CatalogVersions(ctx context.Context, id string, versions []string) (map[string]string, error)
	// IndexVersions stores the versions of items [from, to) of catalog
	// id, which must have exactly from items indexed (else
	// ErrCatalogMoved), and marks to items indexed.
	IndexVersions(ctx context.Context, id string, from, to int64, versions []Version) error
	// CatalogHeadAt returns the chained head of catalog id's first
	// position items (vault.ChainHead), recomputed from their hashes;
	// ErrNotFound if it has fewer.
	CatalogHeadAt(ctx context.Context, id string, position int64) (string, error)
	// PutSnapshotChunk stores a chunk of a snapshot being uploaded (the
	// catalog's other incomplete snapshot is dropped) and, once every
	// chunk is stored, makes it the catalog's snapshot in place of the
	// earlier one, which is dropped; the snapshot's bytes are charged to
	// its account while stored. ErrConflict if the catalog has a complete
	// snapshot at the same or a later position. It returns how many of
	// the snapshot's chunks are stored and whether it is complete.
	PutSnapshotChunk(ctx context.Context, c *SnapshotChunk) (int, bool, error)
	// CatalogSnapshot returns catalog id's complete snapshot, or
	// ErrNotFound.
	CatalogSnapshot(ctx context.Context, id string) (*Snapshot, error)
	// SnapshotData returns chunk n of the snapshot hash of catalog id.
	SnapshotData(ctx context.Context, id, hash string, n int) ([]byte, error)

	// StartConnection drops the account's expired requests (those that
	// expire before now), then stores p in place of any request from the
	// same device; if the account then has more than max requests, the
	// oldest others are dropped (a flood of requests cannot lock the
	// account's owner out; it can only push out other unanswered requests).
	StartConnection(ctx context.Context, p *Pending, max int, now time.Time) error
	// AddConnectCode stores the hash of a connect code for account until
	// expires, dropping expired ones; ErrLimit if the account already has
	// max codes.
	AddConnectCode(ctx context.Context, account, code string, expires time.Time, max int, now time.Time) error
	// SetContribution stores the contribution to the device's pending
	// request, which must exist, not have expired and have none yet
	// (ErrNotFound, ErrConflict).
	SetContribution(ctx context.Context, account, device string, contribution []byte, now time.Time) error
	// SetReveal stores the device's reveal for its pending request, which
	// must exist, not have expired, have a contribution (ErrNotFound) and
	// no reveal yet (ErrConflict).
	SetReveal(ctx context.Context, account, device string, reveal []byte, now time.Time) error
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

	// PutCheckIn stores c as its device's check-in unless the stored one
	// has a later Time (then it writes nothing and returns nil); ErrLimit
	// if the profile holds max check-ins of other devices already.
	PutCheckIn(ctx context.Context, c *CheckIn, max int) error
	// CheckIns returns the profile's stored check-ins.
	CheckIns(ctx context.Context, profile string) ([]*CheckIn, error)
}

// GroupStore is a Store that can commit several Appends in one
// transaction (group commit: one fsync for many writes). The portal then
// writes concurrent Creates and Publishes as one group: each is still
// checked and refused on its own (Group.Append), the group shares one log
// tree update and one signed checkpoint, and none is acknowledged before
// the group's commit returned. A Store without it (D1, which has no
// transactions that span calls) gets one Append per write.
type GroupStore interface {
	Store
	// AppendGroup runs fn in one transaction and commits it if fn returns
	// nil; when AppendGroup returns nil, everything fn wrote is durable.
	// An error (fn's, or the commit's) writes nothing at all.
	AppendGroup(ctx context.Context, fn func(g Group) error) error
}

// Group is the transaction of one GroupStore.AppendGroup.
type Group interface {
	// Append writes a as Store.Append does, except its Checkpoint (the
	// group writes one, Checkpoint): on an error (ErrLogMoved,
	// ErrConflict, …) nothing of a is written and the group goes on.
	Append(ctx context.Context, a *Append) error
	// Checkpoint stores the signed checkpoint of the tree of size leaves.
	Checkpoint(ctx context.Context, size int64, checkpoint string) error
}
