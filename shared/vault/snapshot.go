package vault

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/keys"
)

// A snapshot is the catalog's records at a position, opened, so that a new
// device reads one signed snapshot and the items after it instead of every
// item ever appended (docs/vault.md, "Snapshots"). Its manifest, signed by
// the writer, names the vault, the position, the catalog's chained head
// at that position (which the log's later heads chain from) and the
// SHA-256 of each sealed chunk; each chunk holds records as SnapshotRecord
// sealed under the epoch's content key with the manifest as associated
// data. Entries that are deleted at the position are compacted: only their
// head records stay, and the versions of the others are listed so that a
// record written later on one of them is still known.

// SnapshotKind is the Kind of every snapshot manifest.
const SnapshotKind = "MeshpassSnapshot"

// MaxSnapshotChunk is the most bytes of one sealed chunk: with base64 and
// the manifest it fits one request of the portal's protocol (1 MiB).
const MaxSnapshotChunk = 640 << 10

// MaxSnapshotChunks bounds a snapshot's chunks (100 MiB in all).
const MaxSnapshotChunks = 160

// ErrSnapshot: a snapshot's manifest or chunks are not what the snapshot
// claims (a chunk missing or changed, records out of order, a head that
// the catalog does not chain from), or a snapshot does not match the
// records it summarises (CheckSnapshot).
var ErrSnapshot = errors.New("vault: snapshot does not match what it summarises")

// Manifest is a snapshot's signed description.
type Manifest struct {
	// Kind is SnapshotKind.
	Kind string `json:"Kind"`
	// Vault, Writer and Key are as in a record's Header; Epoch numbers
	// the content key the chunks are sealed under.
	Vault  string `json:"Vault"`
	Writer string `json:"Writer"`
	Key    string `json:"Key"`
	Epoch  int    `json:"Epoch"`
	// Position is how many catalog items the snapshot summarises, and
	// Head the catalog's chained head after them (ChainHead).
	Position int64  `json:"Position"`
	Head     string `json:"Head"`
	// Count is the number of SnapshotRecords in all chunks.
	Count int `json:"Count"`
	// Time is when the writer made it.
	Time time.Time `json:"Time"`
	// Chunks are the base64url SHA-256 of each sealed chunk, in order.
	Chunks []string `json:"Chunks"`
}

// SnapshotRecord is one record as a snapshot holds it: opened.
type SnapshotRecord struct {
	Version string    `json:"V"`
	Entry   string    `json:"E"`
	Parents []string  `json:"P,omitempty"`
	Writer  string    `json:"W"`
	Epoch   int       `json:"N"`
	Time    time.Time `json:"T"`
	Fields  Entry     `json:"F"`
	// Dropped, on a head record of an entry deleted at the position, are
	// the versions of the entry's other records, compacted away.
	Dropped []string `json:"D,omitempty"`
}

// Snapshot is a verified snapshot: its manifest and records.
type Snapshot struct {
	Manifest Manifest
	Records  []SnapshotRecord
}

// snapshotRecords returns the records a snapshot of c holds, parents
// first: every record of an entry that is live, and the heads of a
// deleted entry (parents cleared, its other versions in Dropped).
func (c *Catalog) snapshotRecords() []SnapshotRecord {
	var out []SnapshotRecord
	for _, id := range c.IDs() {
		e, _ := c.Entry(id)
		versions := slices.Clone(c.entries[id])
		if e.Deleted {
			heads := c.Heads(id)
			var dropped []string
			for _, v := range versions {
				if !slices.Contains(heads, v) {
					dropped = append(dropped, v)
				}
			}
			dropped = append(dropped, c.droppedOf[id]...)
			slices.Sort(dropped)
			for i, h := range heads {
				r := c.records[h]
				sr := SnapshotRecord{Version: h, Entry: id, Writer: r.Writer, Epoch: r.Epoch, Time: r.Time, Fields: r.Entry}
				if i == 0 {
					sr.Dropped = dropped
				}
				out = append(out, sr)
			}
			continue
		}
		for _, v := range versions {
			r := c.records[v]
			out = append(out, SnapshotRecord{Version: v, Entry: id, Parents: r.Parents, Writer: r.Writer, Epoch: r.Epoch, Time: r.Time, Fields: r.Entry,
				Dropped: c.droppedBy[v]})
		}
	}
	// Parents first: by generation, then version.
	slices.SortStableFunc(out, func(a, b SnapshotRecord) int {
		return cmp.Or(cmp.Compare(c.generation[a.Version], c.generation[b.Version]), cmp.Compare(a.Entry, b.Entry), cmp.Compare(a.Version, b.Version))
	})
	for i := range out {
		out[i].Fields.ID, out[i].Fields.History, out[i].Fields.Updated = "", nil, time.Time{}
	}
	return out
}

// chunkAD is the associated data of chunk n: the manifest without its
// chunk hashes (they hash the sealed chunks), and n.
func chunkAD(m Manifest, n int) ([]byte, error) {
	m.Chunks = nil
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return binary.BigEndian.AppendUint64(append([]byte("meshpass snapshot chunk\x00"), b...), uint64(n)), nil
}

// chunkHash names a sealed chunk in a manifest.
func chunkHash(chunk []byte) string {
	h := sha256.Sum256(chunk)
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// MakeSnapshot seals a snapshot of c, which holds the records of the
// catalog's first position items, whose chained head is head: its records
// in chunks under the content key of epoch, and the manifest signed by
// the writer's key (its UDF becomes the manifest's Key). It returns the
// signed manifest and the sealed chunks.
func MakeSnapshot(c *Catalog, position int64, head string, writerID string, epoch int, key []byte, writer *keys.SigningKey, now time.Time) (*Signed, [][]byte, error) {
	recs := c.snapshotRecords()
	m := Manifest{Kind: SnapshotKind, Vault: c.keys.Vault(), Writer: writerID, Key: writer.ID(), Epoch: epoch,
		Position: position, Head: head, Count: len(recs), Time: now.UTC().Round(time.Millisecond)}
	// Chunks of records whose JSON stays under the limit once sealed.
	var plains [][]byte
	cur := []byte{'['}
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			return nil, nil, err
		}
		if len(cur) > 1 && len(cur)+len(b)+2+chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead > MaxSnapshotChunk {
			plains = append(plains, append(cur, ']'))
			cur = []byte{'['}
		}
		if len(cur) > 1 {
			cur = append(cur, ',')
		}
		cur = append(cur, b...)
	}
	plains = append(plains, append(cur, ']'))
	if len(plains) > MaxSnapshotChunks {
		return nil, nil, fmt.Errorf("%w: a snapshot of %d chunks; at most %d", ErrSnapshot, len(plains), MaxSnapshotChunks)
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, nil, err
	}
	chunks := make([][]byte, len(plains))
	for n, p := range plains {
		ad, err := chunkAD(m, n)
		if err != nil {
			return nil, nil, err
		}
		nonce := make([]byte, aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, nil, err
		}
		chunks[n] = aead.Seal(nonce, nonce, p, ad)
		m.Chunks = append(m.Chunks, chunkHash(chunks[n]))
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return nil, nil, err
	}
	s, err := jws.Sign(writer, payload)
	return s, chunks, err
}

// ParseManifest reads a signed manifest (in the canonical form of Item)
// without verifying it.
func ParseManifest(b []byte) (*Signed, *Manifest, error) {
	s, payload, err := parseItem(b)
	if err != nil {
		return nil, nil, err
	}
	var m Manifest
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, nil, fmt.Errorf("%w: snapshot manifest: %v", ErrMalformed, err)
	}
	switch {
	case m.Kind != SnapshotKind:
		return nil, nil, fmt.Errorf("%w: not a snapshot manifest", ErrMalformed)
	case m.Position < 1 || m.Count < 0 || m.Writer == "":
		return nil, nil, fmt.Errorf("%w: a snapshot manifest at position %d of %d records by %q", ErrMalformed, m.Position, m.Count, m.Writer)
	case len(m.Chunks) == 0 || len(m.Chunks) > MaxSnapshotChunks:
		return nil, nil, fmt.Errorf("%w: a snapshot of %d chunks (1 to %d)", ErrMalformed, len(m.Chunks), MaxSnapshotChunks)
	}
	if h, err := base64.RawURLEncoding.DecodeString(m.Head); err != nil || len(h) != sha256.Size {
		return nil, nil, fmt.Errorf("%w: snapshot head %q", ErrMalformed, m.Head)
	}
	for i, c := range m.Chunks {
		if h, err := base64.RawURLEncoding.DecodeString(c); err != nil || len(h) != sha256.Size {
			return nil, nil, fmt.Errorf("%w: snapshot chunk hash %d", ErrMalformed, i)
		}
	}
	return s, &m, nil
}

// InspectManifest checks a signed manifest as a portal can, without the
// content key: it parses, is of vault vaultID, and is signed by the
// writer, whose signing key under the manifest's epoch writerKey returns
// (an error wrapping ErrWriter for a device that may not write it).
func InspectManifest(b []byte, vaultID string, writerKey func(device string, epoch int) (*keys.PublicKey, error)) (*Manifest, error) {
	s, m, err := ParseManifest(b)
	if err != nil {
		return nil, err
	}
	if m.Vault != vaultID {
		return nil, fmt.Errorf("%w: a snapshot of %s, not %s", ErrOtherVault, m.Vault, vaultID)
	}
	pub, err := writerKey(m.Writer, m.Epoch)
	if err != nil {
		if !errors.Is(err, ErrWriter) {
			err = fmt.Errorf("%w: %w", ErrWriter, err)
		}
		return nil, err
	}
	if pub.UDF != m.Key {
		return nil, fmt.Errorf("%w: the snapshot says key %s, device %s signs with %s", ErrWriter, m.Key, m.Writer, pub.UDF)
	}
	if _, err := s.Verify(pub); err != nil {
		return nil, fmt.Errorf("%w: snapshot: %v", ErrSignature, err)
	}
	return m, nil
}

// CheckChunk reports whether chunk is chunk n of m (its hash).
func CheckChunk(m *Manifest, n int, chunk []byte) error {
	if n < 0 || n >= len(m.Chunks) {
		return fmt.Errorf("%w: chunk %d of a snapshot of %d", ErrSnapshot, n, len(m.Chunks))
	}
	if chunkHash(chunk) != m.Chunks[n] {
		return fmt.Errorf("%w: chunk %d is not the one the manifest names", ErrSnapshot, n)
	}
	return nil
}

// OpenSnapshot verifies a signed manifest against the keyring (vault,
// writer and key under the manifest's epoch, signature) and opens its
// chunks: each must be the one the manifest names, open under the
// epoch's key bound to the manifest, and hold records parents first.
// With verify false the signature is not checked (a snapshot this device
// verified before, read again from its own storage).
func OpenSnapshot(manifest []byte, chunks [][]byte, k Keyring, verify bool) (*Snapshot, error) {
	var m *Manifest
	var err error
	if verify {
		m, err = InspectManifest(manifest, k.Vault(), k.Writer)
	} else {
		_, m, err = ParseManifest(manifest)
		if err == nil && m.Vault != k.Vault() {
			err = fmt.Errorf("%w: a snapshot of %s, not %s", ErrOtherVault, m.Vault, k.Vault())
		}
	}
	if err != nil {
		return nil, err
	}
	if len(chunks) != len(m.Chunks) {
		return nil, fmt.Errorf("%w: %d chunks of a snapshot of %d", ErrSnapshot, len(chunks), len(m.Chunks))
	}
	key, err := k.ContentKey(m.Epoch)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{Manifest: *m, Records: make([]SnapshotRecord, 0, m.Count)}
	for n, chunk := range chunks {
		if err := CheckChunk(m, n, chunk); err != nil {
			return nil, err
		}
		if len(chunk) < aead.NonceSize() {
			return nil, fmt.Errorf("%w: chunk %d is cut short", ErrSnapshot, n)
		}
		ad, err := chunkAD(*m, n)
		if err != nil {
			return nil, err
		}
		plain, err := aead.Open(nil, chunk[:aead.NonceSize()], chunk[aead.NonceSize():], ad)
		if err != nil {
			return nil, fmt.Errorf("%w: snapshot chunk %d", ErrTampered, n)
		}
		var recs []SnapshotRecord
		if err := json.Unmarshal(plain, &recs); err != nil {
			return nil, fmt.Errorf("%w: snapshot chunk %d: %v", ErrMalformed, n, err)
		}
		s.Records = append(s.Records, recs...)
	}
	if len(s.Records) != m.Count {
		return nil, fmt.Errorf("%w: %d records, the manifest says %d", ErrSnapshot, len(s.Records), m.Count)
	}
	return s, nil
}

// NewCatalogFromSnapshot returns the catalog a snapshot holds, opening
// later records with k. Every record must come after its parents, of its
// entry, once.
func NewCatalogFromSnapshot(k Keyring, s *Snapshot) (*Catalog, error) {
	c := NewCatalog(k)
	for i, r := range s.Records {
		if r.Version == "" || r.Entry == "" || r.Writer == "" {
			return nil, fmt.Errorf("%w: snapshot record %d has no version, entry or writer", ErrSnapshot, i)
		}
		if c.Has(r.Version) {
			return nil, fmt.Errorf("%w: snapshot record %d: version %s twice", ErrSnapshot, i, r.Version)
		}
		o := &Opened{Header: Header{Vault: k.Vault(), Entry: r.Entry, Parents: r.Parents, Writer: r.Writer, Epoch: r.Epoch, Time: r.Time},
			Version: r.Version, Entry: r.Fields.clone()}
		o.Entry.ID = r.Entry
		if err := c.checkParents(o, nil); err != nil {
			return nil, fmt.Errorf("%w: snapshot record %d: %w", ErrSnapshot, i, err)
		}
		c.add(o)
		for _, d := range r.Dropped {
			if c.Has(d) {
				return nil, fmt.Errorf("%w: snapshot record %d drops version %s, which it holds", ErrSnapshot, i, d)
			}
			c.dropped[d] = r.Entry
			c.droppedOf[r.Entry] = append(c.droppedOf[r.Entry], d)
			c.droppedBy[r.Version] = append(c.droppedBy[r.Version], d)
		}
	}
	return c, nil
}

// CheckSnapshot checks a snapshot against c, a catalog of every record of
// the snapshot's first Manifest.Position items (read from the start): the
// snapshot must hold exactly the records a snapshot of c holds, with the
// same fields. A device that reads the whole history so catches a writer
// that signed a snapshot lying about the catalog.
func (c *Catalog) CheckSnapshot(s *Snapshot) error {
	want := c.snapshotRecords()
	if len(want) != len(s.Records) {
		return fmt.Errorf("%w: %d records; the catalog's items make %d", ErrSnapshot, len(s.Records), len(want))
	}
	got := make(map[string]SnapshotRecord, len(s.Records))
	for _, r := range s.Records {
		got[r.Version] = r
	}
	for _, w := range want {
		g, ok := got[w.Version]
		if !ok {
			return fmt.Errorf("%w: record %s of entry %s is missing", ErrSnapshot, w.Version, w.Entry)
		}
		a, _ := json.Marshal(normalized(w))
		b, _ := json.Marshal(normalized(g))
		if !bytes.Equal(a, b) {
			return fmt.Errorf("%w: record %s of entry %s differs from the catalog's", ErrSnapshot, w.Version, w.Entry)
		}
	}
	return nil
}

// normalized returns r in the form compared by CheckSnapshot.
func normalized(r SnapshotRecord) SnapshotRecord {
	r.Parents, r.Dropped = slices.Clone(r.Parents), slices.Clone(r.Dropped)
	slices.Sort(r.Parents)
	slices.Sort(r.Dropped)
	r.Time = r.Time.UTC()
	r.Fields.Created = r.Fields.Created.UTC()
	r.Fields.ID, r.Fields.History, r.Fields.Updated = "", nil, time.Time{}
	return r
}
