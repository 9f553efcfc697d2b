package mmm

import (
	"encoding/base64"
	"encoding/json"

	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/udf"
)

// A vault of format 2 (docs/vault.md) is a catalog: a sequence of signed
// items (shared/vault records and batches of records) that a portal keeps
// per vault, numbered from 0 by their position. The catalog's head after
// n items is a hash chain over them (vault.ChainHead), and every append is
// committed to the portal's transparency log as one leaf holding the new
// head (translog.HeadLeafData), so that a portal cannot show two devices
// different records, or the same records in another order, without a log
// proof failing.

// MaxRecordsPerAppend is the most items one AppendRecordsRequest carries.
const MaxRecordsPerAppend = 64

// CatalogHead is what the log commits for a catalog: its Size (items)
// and the chain hash over them (base64url SHA-256).
type CatalogHead struct {
	Catalog string `json:"Catalog"`
	Size    int64  `json:"Size"`
	Head    string `json:"Head"`
}

// Check reports a head whose Catalog is not a fingerprint, or whose Size
// or Head is malformed.
func (h *CatalogHead) Check() error {
	if _, err := udf.Parse(h.Catalog); err != nil {
		return badRequest("Catalog: %v", err)
	}
	if h.Size < 0 {
		return badRequest("negative catalog Size %d", h.Size)
	}
	if b, err := base64.RawURLEncoding.DecodeString(h.Head); err != nil || len(b) != 32 {
		return badRequest("catalog Head is not a base64url SHA-256 hash")
	}
	return nil
}

// AppendRecordsRequest appends items to the catalog of a format-2 vault.
// Each item is a signed vault record or batch (vault.Signed); the portal
// checks that each is of the vault, signed by a device the vault's owner
// lets write it, under the vault's current key epoch, and appends them
// all, in order, or none.
type AppendRecordsRequest struct {
	// Catalog is the vault's identifier (its PasswordProfile's).
	Catalog string `json:"Catalog"`
	// Records are the items, each the JSON of a vault.Signed.
	Records []json.RawMessage `json:"Records"`
	// CheckIn, if set, is the writer's signed check-in (checkin.go), as
	// in a PublishRequest.
	CheckIn *jws.SignedData `json:"CheckIn,omitempty"`
}

// AppendRecordsResponse reports where the items were appended: positions
// [Position, Head.Size), and the log proof of the leaf committing Head.
type AppendRecordsResponse struct {
	Status
	Position int64        `json:"Position"`
	Head     *CatalogHead `json:"Head,omitempty"`
	Log      *LogProof    `json:"Log,omitempty"`
}

// GetRecordsRequest asks for the items of a catalog from position After
// on (After is how many items the client holds already).
type GetRecordsRequest struct {
	Catalog string `json:"Catalog"`
	After   int64  `json:"After,omitempty"`
}

// GetRecordsResponse holds items [After, After+len(Records)) of the
// catalog, its latest committed head and that head's log proof. Next, when
// not 0, says the answer stops short (answers are capped in bytes): the
// rest is asked with After = Next.
type GetRecordsResponse struct {
	Status
	Records []json.RawMessage `json:"Records,omitempty"`
	Head    *CatalogHead      `json:"Head,omitempty"`
	Log     *LogProof         `json:"Log,omitempty"`
	Next    int64             `json:"Next,omitempty"`
}

// MessageType returns "AppendRecordsRequest".
func (*AppendRecordsRequest) MessageType() string { return "AppendRecordsRequest" }

// MessageType returns "AppendRecordsResponse".
func (*AppendRecordsResponse) MessageType() string { return "AppendRecordsResponse" }

// MessageType returns "GetRecordsRequest".
func (*GetRecordsRequest) MessageType() string { return "GetRecordsRequest" }

// MessageType returns "GetRecordsResponse".
func (*GetRecordsResponse) MessageType() string { return "GetRecordsResponse" }

// Check requires a Catalog fingerprint and 1 to MaxRecordsPerAppend items.
func (r *AppendRecordsRequest) Check() error {
	if _, err := udf.Parse(r.Catalog); err != nil {
		return badRequest("Catalog: %v", err)
	}
	if n := len(r.Records); n == 0 || n > MaxRecordsPerAppend {
		return badRequest("an AppendRecordsRequest carries 1 to %d records, this one %d", MaxRecordsPerAppend, n)
	}
	return checkOptionalCheckIn(r.CheckIn)
}

// Check requires a Catalog fingerprint and a position not negative.
func (r *GetRecordsRequest) Check() error {
	if _, err := udf.Parse(r.Catalog); err != nil {
		return badRequest("Catalog: %v", err)
	}
	if r.After < 0 {
		return badRequest("After %d is negative", r.After)
	}
	return nil
}

// A snapshot (docs/vault.md, "Snapshots") is a writer's signed summary of
// a catalog's first Position items: a manifest (vault.Manifest, signed,
// in the canonical form of an item) naming the catalog's chained head at
// that position and the SHA-256 of each sealed chunk, and the chunks. A
// new device reads the latest snapshot and the items after its position
// instead of every item.

// PutSnapshotRequest uploads chunk Chunk of the snapshot Snapshot names.
// The portal checks the manifest (vault, a writer of the latest key epoch,
// signature, a position the catalog has reached, the catalog's head at
// that position) and the chunk's hash; once it holds every chunk of the
// manifest, the snapshot replaces the catalog's earlier one, if older.
type PutSnapshotRequest struct {
	// Catalog is the vault's identifier.
	Catalog string `json:"Catalog"`
	// Snapshot is the signed manifest.
	Snapshot json.RawMessage `json:"Snapshot"`
	// Chunk numbers the chunk, from 0, and Data is its sealed bytes.
	Chunk int    `json:"Chunk"`
	Data  []byte `json:"Data"`
}

// PutSnapshotResponse says how many of the manifest's chunks the portal
// holds, and whether the snapshot is complete (the one it now serves).
type PutSnapshotResponse struct {
	Status
	Stored   int  `json:"Stored"`
	Complete bool `json:"Complete,omitempty"`
}

// GetSnapshotRequest asks for chunk Chunk of the catalog's latest
// complete snapshot, with its manifest.
type GetSnapshotRequest struct {
	Catalog string `json:"Catalog"`
	Chunk   int    `json:"Chunk,omitempty"`
}

// GetSnapshotResponse holds the manifest of the catalog's latest complete
// snapshot and the chunk asked for; no Snapshot when the catalog has none.
type GetSnapshotResponse struct {
	Status
	Snapshot json.RawMessage `json:"Snapshot,omitempty"`
	Chunk    int             `json:"Chunk,omitempty"`
	Data     []byte          `json:"Data,omitempty"`
}

// MessageType returns "PutSnapshotRequest".
func (*PutSnapshotRequest) MessageType() string { return "PutSnapshotRequest" }

// MessageType returns "PutSnapshotResponse".
func (*PutSnapshotResponse) MessageType() string { return "PutSnapshotResponse" }

// MessageType returns "GetSnapshotRequest".
func (*GetSnapshotRequest) MessageType() string { return "GetSnapshotRequest" }

// MessageType returns "GetSnapshotResponse".
func (*GetSnapshotResponse) MessageType() string { return "GetSnapshotResponse" }

// Check requires a Catalog fingerprint, a manifest, a chunk number not
// negative and chunk bytes.
func (r *PutSnapshotRequest) Check() error {
	if _, err := udf.Parse(r.Catalog); err != nil {
		return badRequest("Catalog: %v", err)
	}
	if len(r.Snapshot) == 0 {
		return badRequest("a PutSnapshotRequest without its Snapshot manifest")
	}
	if r.Chunk < 0 || len(r.Data) == 0 {
		return badRequest("a PutSnapshotRequest needs a Chunk number (from 0) and its Data")
	}
	return nil
}

// Check requires a Catalog fingerprint and a chunk number not negative.
func (r *GetSnapshotRequest) Check() error {
	if _, err := udf.Parse(r.Catalog); err != nil {
		return badRequest("Catalog: %v", err)
	}
	if r.Chunk < 0 {
		return badRequest("Chunk %d is negative", r.Chunk)
	}
	return nil
}
