// Package translog defines the meshpass portal's transparency log (seed
// §9, "an append only log of every transaction") for the portal that
// keeps it and the clients that check it: which bytes are a leaf, how a
// checkpoint is written and signed, and how inclusion and consistency
// proofs are checked.
//
// The tree is RFC 6962's, built and proved with golang.org/x/mod/sumdb/tlog;
// checkpoints are C2SP tlog-checkpoint notes signed with
// golang.org/x/mod/sumdb/note (Ed25519):
//
//	<origin>
//	<tree size>
//	<base64 root hash>
//
//	— <origin> <signature>
//
// The origin is the name of the log's note key. Hashes in mmm.LogProof and
// mmm.AuditResponse are base64url without padding.
package translog

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/meshpass/meshpass/shared/mmm"
)

// Errors of verification; test with errors.Is.
var (
	// ErrCheckpoint: a checkpoint is malformed, unsigned, or signed by
	// another key.
	ErrCheckpoint = errors.New("translog: bad checkpoint")
	// ErrProof: a proof is malformed or does not prove what it claims.
	ErrProof = errors.New("translog: bad proof")
)

// MaxLeafSize is the largest leaf the log accepts.
const MaxLeafSize = mmm.MaxBodySize

// LeafData returns the bytes a log leaf holds for e: its JSON encoding
// (encoding/json of mmm.Entry), the exact bytes that are stored, hashed
// into the tree, returned by Audit and checked by clients.
func LeafData(e *mmm.Entry) ([]byte, error) {
	if e == nil || e.Kind() == "" {
		return nil, errors.New("translog: empty entry")
	}
	return json.Marshal(e)
}

// HeadLeafData returns the bytes a log leaf holds for a catalog head
// (format-2 vaults): the JSON {"CatalogHead": h}.
func HeadLeafData(h *mmm.CatalogHead) ([]byte, error) {
	if h == nil {
		return nil, errors.New("translog: empty catalog head")
	}
	return json.Marshal(struct {
		CatalogHead *mmm.CatalogHead `json:"CatalogHead"`
	}{h})
}

// LeafHash is the RFC 6962 leaf hash of data.
func LeafHash(data []byte) tlog.Hash { return tlog.RecordHash(data) }

// EncodeHashes returns hashes base64url-encoded, as the protocol carries them.
func EncodeHashes(hashes []tlog.Hash) []string {
	out := make([]string, len(hashes))
	for i, h := range hashes {
		out[i] = base64.RawURLEncoding.EncodeToString(h[:])
	}
	return out
}

// DecodeHashes reads base64url-encoded hashes.
func DecodeHashes(in []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(in))
	for i, s := range in {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(b) != tlog.HashSize {
			return nil, fmt.Errorf("%w: hash %d is not %d bytes of base64url", ErrProof, i, tlog.HashSize)
		}
		copy(out[i][:], b)
	}
	return out, nil
}

// GenerateKey returns a new Ed25519 note signer key and its verifier key
// for a log named origin (a name such as "portal.example.com/log": no
// spaces, pluses or newlines).
func GenerateKey(origin string) (signerKey, verifierKey string, err error) {
	return note.GenerateKey(rand.Reader, origin)
}

// NewSigner reads a signer key made by GenerateKey.
func NewSigner(signerKey string) (note.Signer, error) { return note.NewSigner(signerKey) }

// NewVerifiers reads verifier keys made by GenerateKey.
func NewVerifiers(verifierKeys ...string) (note.Verifiers, error) {
	var list []note.Verifier
	for _, k := range verifierKeys {
		v, err := note.NewVerifier(k)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return note.VerifierList(list...), nil
}

// tlog's own note format starts with this line; a checkpoint starts with
// its origin instead, and is otherwise the same text.
const tlogPrefix = "go.sum database tree"

// FormatCheckpoint returns the unsigned checkpoint text of tree.
func FormatCheckpoint(origin string, tree tlog.Tree) []byte {
	text := tlog.FormatTree(tree)
	return append([]byte(origin), text[len(tlogPrefix):]...)
}

// ParseCheckpoint reads unsigned checkpoint text, returning its origin and
// tree. Extension lines after the hash are ignored.
func ParseCheckpoint(text []byte) (origin string, tree tlog.Tree, err error) {
	first, rest, ok := bytes.Cut(text, []byte("\n"))
	if !ok || len(first) == 0 {
		return "", tlog.Tree{}, fmt.Errorf("%w: no origin line", ErrCheckpoint)
	}
	tree, err = tlog.ParseTree(append([]byte(tlogPrefix+"\n"), rest...))
	if err != nil {
		return "", tlog.Tree{}, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	return string(first), tree, nil
}

// SignCheckpoint returns the signed checkpoint of tree; the origin is the
// signer's name.
func SignCheckpoint(signer note.Signer, tree tlog.Tree) (string, error) {
	b, err := note.Sign(&note.Note{Text: string(FormatCheckpoint(signer.Name(), tree))}, signer)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// OpenCheckpoint checks that checkpoint is signed by one of verifiers,
// whose name is its origin, and returns its tree.
func OpenCheckpoint(checkpoint string, verifiers note.Verifiers) (tlog.Tree, error) {
	if verifiers == nil {
		return tlog.Tree{}, fmt.Errorf("%w: no verifier key", ErrCheckpoint)
	}
	n, err := note.Open([]byte(checkpoint), verifiers)
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	origin, tree, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return tlog.Tree{}, err
	}
	for _, s := range n.Sigs {
		if s.Name == origin {
			return tree, nil
		}
	}
	return tlog.Tree{}, fmt.Errorf("%w: origin %q is not the name of the key that signed it", ErrCheckpoint, origin)
}

// VerifyInclusion checks that leaf is the proof's leaf Index of the tree
// of TreeSize whose checkpoint, signed by one of verifiers, the proof
// carries.
func VerifyInclusion(proof *mmm.LogProof, leaf []byte, verifiers note.Verifiers) error {
	if proof == nil {
		return fmt.Errorf("%w: no proof", ErrProof)
	}
	tree, err := OpenCheckpoint(proof.Checkpoint, verifiers)
	if err != nil {
		return err
	}
	if tree.N != proof.TreeSize {
		return fmt.Errorf("%w: checkpoint is of a tree of %d leaves, proof claims %d", ErrProof, tree.N, proof.TreeSize)
	}
	if proof.Index < 0 || proof.Index >= tree.N {
		return fmt.Errorf("%w: leaf %d is not in a tree of %d leaves", ErrProof, proof.Index, tree.N)
	}
	hashes, err := DecodeHashes(proof.Inclusion)
	if err != nil {
		return err
	}
	if err := tlog.CheckRecord(hashes, tree.N, tree.Hash, proof.Index, LeafHash(leaf)); err != nil {
		return fmt.Errorf("%w: leaf %d: %v", ErrProof, proof.Index, err)
	}
	return nil
}

// VerifyConsistency checks that the tree of newCheckpoint extends the tree
// of oldCheckpoint, both signed by one of verifiers, with proof (as
// returned by Audit for OldSize, NewSize). Equal trees need no proof.
func VerifyConsistency(oldCheckpoint, newCheckpoint string, proof []string, verifiers note.Verifiers) error {
	old, err := OpenCheckpoint(oldCheckpoint, verifiers)
	if err != nil {
		return err
	}
	cur, err := OpenCheckpoint(newCheckpoint, verifiers)
	if err != nil {
		return err
	}
	return CheckConsistency(old, cur, proof)
}

// CheckConsistency checks that tree cur extends tree old, with proof.
func CheckConsistency(old, cur tlog.Tree, proof []string) error {
	if old.N > cur.N {
		return fmt.Errorf("%w: the new tree (%d leaves) is smaller than the old (%d)", ErrProof, cur.N, old.N)
	}
	hashes, err := DecodeHashes(proof)
	if err != nil {
		return err
	}
	if old.N == 0 {
		if len(hashes) != 0 {
			return fmt.Errorf("%w: a proof from the empty tree is empty", ErrProof)
		}
		return nil
	}
	if err := tlog.CheckTree(hashes, cur.N, cur.Hash, old.N, old.Hash); err != nil {
		return fmt.Errorf("%w: tree %d does not extend tree %d: %v", ErrProof, cur.N, old.N, err)
	}
	return nil
}

// Append computes what appending leaf to the tree of n leaves, whose
// stored hashes r reads, adds: the stored hashes for indexes
// tlog.StoredHashCount(n) onward, and the tree of n+1 leaves.
func Append(r tlog.HashReader, n int64, leaf []byte) ([]tlog.Hash, tlog.Tree, error) {
	hashes, err := tlog.StoredHashes(n, leaf, r)
	if err != nil {
		return nil, tlog.Tree{}, err
	}
	over := Overlay(r, tlog.StoredHashCount(n), hashes)
	th, err := tlog.TreeHash(n+1, over)
	if err != nil {
		return nil, tlog.Tree{}, err
	}
	return hashes, tlog.Tree{N: n + 1, Hash: th}, nil
}

// Overlay returns a hash reader that reads the stored hashes below base
// from r and those from base on from extra (extra[0] is hash base): the
// log as it will be once extra, computed but not yet written, is stored.
func Overlay(r tlog.HashReader, base int64, extra []tlog.Hash) tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		var old []int64
		for _, i := range idx {
			if i < base {
				old = append(old, i)
			}
		}
		got, err := r.ReadHashes(old)
		if err != nil {
			return nil, err
		}
		if len(got) != len(old) {
			return nil, errors.New("translog: hash reader returned the wrong number of hashes")
		}
		out := make([]tlog.Hash, len(idx))
		j := 0
		for k, i := range idx {
			switch {
			case i < base:
				out[k] = got[j]
				j++
			case i-base < int64(len(extra)):
				out[k] = extra[i-base]
			default:
				return nil, fmt.Errorf("translog: hash %d not stored", i)
			}
		}
		return out, nil
	})
}

// ValidOrigin reports whether origin can name a log.
func ValidOrigin(origin string) bool {
	return origin != "" && !strings.ContainsAny(origin, " +\n\t") && len(origin) < 256
}

// CheckKeyPair checks that verifierKey verifies what signer signs, so a
// portal never publishes checkpoints that its advertised key rejects.
func CheckKeyPair(signer note.Signer, verifierKey string) error {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return fmt.Errorf("%w: verifier key: %v", ErrCheckpoint, err)
	}
	msg, err := note.Sign(&note.Note{Text: "key check\n"}, signer)
	if err != nil {
		return err
	}
	if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
		return fmt.Errorf("%w: the verifier key does not match the signing key", ErrCheckpoint)
	}
	return nil
}
