package vault

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/keys"
)

// KeySize is the size of a content key.
const KeySize = chacha20poly1305.KeySize

// Errors of Open and Catalog.Add; each names what a record got wrong.
var (
	// ErrMalformed: the record does not parse.
	ErrMalformed = errors.New("vault: malformed record")
	// ErrSignature: the record is not signed by its writer's key.
	ErrSignature = errors.New("vault: record signature does not verify")
	// ErrWriter: the writer is not a device that may write the vault (or
	// not under that epoch).
	ErrWriter = errors.New("vault: record writer not authorized")
	// ErrOtherVault: the record is of another vault.
	ErrOtherVault = errors.New("vault: record of another vault")
	// ErrTampered: the record's ciphertext does not open under its
	// identity (fields swapped between records, a changed header).
	ErrTampered = errors.New("vault: record does not decrypt under its identity")
	// ErrEpoch: no content key for the record's epoch.
	ErrEpoch = errors.New("vault: no content key for the record's epoch")
	// ErrParents: the record names a parent that is not an earlier record
	// of the same entry.
	ErrParents = errors.New("vault: record parents unknown or of another entry")
)

// Header is what a record says about itself, in clear: bound to the
// ciphertext as associated data and covered by the writer's signature.
type Header struct {
	// Vault is the vault's identifier (its PasswordProfile's).
	Vault string `json:"Vault"`
	// Entry is the entry's ID.
	Entry string `json:"Entry"`
	// Parents are the versions of the entry this record was written on
	// (sorted; none for the entry's first record).
	Parents []string `json:"Parents,omitempty"`
	// Writer is the writing device's identifier, and Key the UDF of the
	// signing key it signed with.
	Writer string `json:"Writer"`
	Key    string `json:"Key"`
	// Epoch numbers the content key the fields are encrypted under.
	Epoch int `json:"Epoch"`
	// Time is when the writer wrote it (its clock; a merge's tie-break).
	Time time.Time `json:"Time"`
}

// Record is one add, edit or delete of an entry: Header, and the entry's
// fields sealed with XChaCha20-Poly1305 under the epoch's content key with
// the header's JSON as associated data.
type Record struct {
	Header
	Nonce  []byte `json:"Nonce"`
	Sealed []byte `json:"Sealed"`
}

// Signed is a record as stored and sent: the Record's JSON signed by the
// writer's key (a flattened JWS).
type Signed = jws.SignedData

// Version names a record: the base32 SHA-256 of its signed payload. The
// parents of a record are versions, so no one can change a record without
// changing every record written on it.
func Version(s *Signed) (string, error) {
	p, err := s.UnverifiedPayload()
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return versionOf(p), nil
}

// ad is the associated data: the header's JSON, parents sorted.
func (h Header) ad() ([]byte, error) {
	return encodeHeader(sortedParents(h))
}

// Seal encrypts e's fields under key (the content key of h.Epoch), binds
// them to h and signs the record with the writer's key, whose UDF becomes
// h.Key. It returns the signed record and its version.
func Seal(h Header, e Entry, key []byte, writer *keys.SigningKey) (*Signed, string, error) {
	h.Key = writer.ID()
	h.Parents = slices.Clone(h.Parents)
	slices.Sort(h.Parents)
	h.Time = h.Time.UTC().Round(time.Millisecond)
	ad, err := h.ad()
	if err != nil {
		return nil, "", err
	}
	plain, err := json.Marshal(e)
	if err != nil {
		return nil, "", err
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, "", err
	}
	r := Record{Header: h, Nonce: make([]byte, aead.NonceSize())}
	if _, err := rand.Read(r.Nonce); err != nil {
		return nil, "", err
	}
	r.Sealed = aead.Seal(nil, r.Nonce, plain, ad)
	payload, err := json.Marshal(r)
	if err != nil {
		return nil, "", err
	}
	s, err := jws.Sign(writer, payload)
	if err != nil {
		return nil, "", err
	}
	v, err := Version(s)
	return s, v, err
}

// Keyring is what opening a record needs from the vault's profile.
type Keyring interface {
	// Vault returns the vault's identifier.
	Vault() string
	// Writer returns the signing key by which device writer may write
	// records under epoch, or an error wrapping ErrWriter.
	Writer(writer string, epoch int) (*keys.PublicKey, error)
	// ContentKey returns the content key of epoch, or an error wrapping
	// ErrEpoch.
	ContentKey(epoch int) ([]byte, error)
}

// Pauser is a Keyring that asks to be called now and then while a batch
// is opened or a catalog's entries are merged (every pauseRecords): a
// runtime with one thread (js/wasm) lets other work run there.
type Pauser interface {
	// Pause is called between records.
	Pause()
}

// pauseRecords is how many records are opened or merged between two
// calls of Pauser.Pause.
const pauseRecords = 32

// pauseOf returns k's Pause, or nil if k is no Pauser.
func pauseOf(k Keyring) func() {
	if p, ok := k.(Pauser); ok {
		return p.Pause
	}
	return nil
}

// Opened is a record verified and decrypted.
type Opened struct {
	Header
	// Version is the record's version.
	Version string
	// Entry is the entry's fields as written (ID set to Header.Entry).
	Entry Entry
}

// Open verifies a signed record against the keyring (vault, writer and
// its key, epoch) and decrypts its fields.
func Open(s *Signed, k Keyring) (*Opened, error) { return open(s, k, true) }

// open is Open, checking the signature only if verify.
func open(s *Signed, k Keyring, verify bool) (*Opened, error) {
	payload, err := s.UnverifiedPayload()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var r Record
	if err := decodeRecord(payload, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if r.Vault != k.Vault() {
		return nil, fmt.Errorf("%w: %s, not %s", ErrOtherVault, r.Vault, k.Vault())
	}
	if r.Entry == "" || r.Writer == "" {
		return nil, fmt.Errorf("%w: no entry or writer", ErrMalformed)
	}
	pub, err := k.Writer(r.Writer, r.Epoch)
	if err != nil {
		return nil, err
	}
	if pub.UDF != r.Key {
		return nil, fmt.Errorf("%w: record says key %s, device %s signs with %s", ErrWriter, r.Key, r.Writer, pub.UDF)
	}
	if verify {
		if _, err := s.Verify(pub); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrSignature, err)
		}
	}
	o, err := openRecord(&r, k)
	if err != nil {
		return nil, err
	}
	o.Version = versionOf(payload)
	return o, nil
}

// Batch is many records of one writer signed once: a bulk write (an
// import, a migration) costs one signature to make and one to check, not
// one per record. Each record's version is the SHA-256 of its JSON as the
// batch holds it, as for a record signed alone.
type Batch struct {
	// Vault, Writer and Key are those of every record in the batch.
	Vault  string `json:"Vault"`
	Writer string `json:"Writer"`
	Key    string `json:"Key"`
	// Records are the records' JSON.
	Records []json.RawMessage `json:"Records"`
}

// BatchRecord is one record of a bulk write: its entry and parents; the
// batch gives vault, writer and epoch.
type BatchRecord struct {
	Entry   Entry
	Parents []string
	Time    time.Time
	// Chained says the record is also written on the record before it in
	// the batch (whose version is not known until it is sealed): the
	// records of one entry's history (HistoryRecords). The first record
	// of a batch cannot be chained.
	Chained bool
}

// SealBatch seals each record as Seal does, under the content key of
// epoch, and signs them all at once with the writer's key. It returns the
// signed batch and the records' versions, in order.
func SealBatch(vaultID, writerID string, epoch int, recs []BatchRecord, key []byte, writer *keys.SigningKey) (*Signed, []string, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, nil, err
	}
	b := Batch{Vault: vaultID, Writer: writerID, Key: writer.ID(), Records: make([]json.RawMessage, 0, len(recs))}
	versions := make([]string, 0, len(recs))
	for _, br := range recs {
		h := Header{Vault: vaultID, Entry: br.Entry.ID, Parents: slices.Clone(br.Parents), Writer: writerID, Key: writer.ID(), Epoch: epoch,
			Time: br.Time.UTC().Round(time.Millisecond)}
		if h.Entry == "" {
			return nil, nil, fmt.Errorf("%w: a record without an entry ID", ErrMalformed)
		}
		if br.Chained {
			if len(versions) == 0 || recs[len(versions)-1].Entry.ID != h.Entry {
				return nil, nil, fmt.Errorf("%w: record %d of entry %s chained to no earlier record of its entry", ErrMalformed, len(versions), h.Entry)
			}
			h.Parents = append(h.Parents, versions[len(versions)-1])
		}
		slices.Sort(h.Parents)
		ad, err := h.ad()
		if err != nil {
			return nil, nil, err
		}
		plain, err := json.Marshal(br.Entry)
		if err != nil {
			return nil, nil, err
		}
		r := Record{Header: h, Nonce: make([]byte, aead.NonceSize())}
		if _, err := rand.Read(r.Nonce); err != nil {
			return nil, nil, err
		}
		r.Sealed = aead.Seal(nil, r.Nonce, plain, ad)
		raw, err := json.Marshal(r)
		if err != nil {
			return nil, nil, err
		}
		b.Records = append(b.Records, raw)
		versions = append(versions, versionOf(raw))
	}
	payload, err := json.Marshal(b)
	if err != nil {
		return nil, nil, err
	}
	s, err := jws.Sign(writer, payload)
	return s, versions, err
}

func versionOf(payload []byte) string {
	sum := sha256.Sum256(payload)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:]))
}

// OpenBatch verifies a signed batch once against the keyring and opens
// each of its records, which must all be of the batch's vault and writer.
func OpenBatch(s *Signed, k Keyring) ([]*Opened, error) { return openBatch(s, k, true) }

// openBatch is OpenBatch, checking the signature only if verify.
func openBatch(s *Signed, k Keyring, verify bool) ([]*Opened, error) {
	payload, err := s.UnverifiedPayload()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	b, recs, err := decodeBatch(payload)
	var re *recordError
	if errors.As(err, &re) && b.Vault != k.Vault() || err == nil && b.Vault != k.Vault() {
		return nil, fmt.Errorf("%w: %s, not %s", ErrOtherVault, b.Vault, k.Vault())
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	epochs := map[int]bool{}
	for i := range recs {
		if recs[i].Vault != b.Vault || recs[i].Writer != b.Writer || recs[i].Key != b.Key || recs[i].Entry == "" {
			return nil, fmt.Errorf("%w: record %d is not of the batch's vault and writer", ErrMalformed, i)
		}
		epochs[recs[i].Epoch] = true
	}
	var pub *keys.PublicKey
	for epoch := range epochs {
		if pub, err = k.Writer(b.Writer, epoch); err != nil {
			return nil, err
		}
	}
	if pub == nil { // an empty batch: check the writer all the same
		if pub, err = k.Writer(b.Writer, 0); err != nil {
			return nil, err
		}
	}
	if pub.UDF != b.Key {
		return nil, fmt.Errorf("%w: batch says key %s, device %s signs with %s", ErrWriter, b.Key, b.Writer, pub.UDF)
	}
	if verify {
		if _, err := s.Verify(pub); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrSignature, err)
		}
	}
	out := make([]*Opened, len(recs))
	pause := pauseOf(k)
	for i := range recs {
		if out[i], err = openRecord(&recs[i], k); err != nil {
			return nil, err
		}
		out[i].Version = versionOf(b.Records[i])
		if pause != nil && i%pauseRecords == pauseRecords-1 {
			pause()
		}
	}
	return out, nil
}

// openRecord decrypts a record whose signature was checked.
func openRecord(r *Record, k Keyring) (*Opened, error) {
	key, err := k.ContentKey(r.Epoch)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	ad, err := r.Header.ad()
	if err != nil {
		return nil, err
	}
	if len(r.Nonce) != aead.NonceSize() {
		return nil, fmt.Errorf("%w: nonce of %d bytes", ErrMalformed, len(r.Nonce))
	}
	plain, err := aead.Open(nil, r.Nonce, r.Sealed, ad)
	if err != nil {
		return nil, fmt.Errorf("%w: entry %s by %s", ErrTampered, r.Entry, r.Writer)
	}
	o := &Opened{Header: r.Header}
	if err := json.Unmarshal(plain, &o.Entry); err != nil {
		return nil, fmt.Errorf("%w: fields: %v", ErrTampered, err)
	}
	o.Entry.ID = r.Entry
	return o, nil
}
