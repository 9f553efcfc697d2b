package translog

// Witness cosignatures (C2SP tlog-cosignature, Ed25519 "cosignature/v1"):
// a witness that checked a checkpoint's consistency with every earlier
// checkpoint it saw of the same log adds its own note signature line,
//
//	— <witness name> base64(key ID || timestamp || Ed25519 signature)
//
// where the key ID is SHA-256(<name> "\n" 0x04 <public key>)[:4], the
// timestamp the signing time (8 bytes, big-endian POSIX seconds) and the
// signed message
//
//	cosignature/v1
//	time <timestamp>
//	<the checkpoint's note text>
//
// Witness verifier keys are vkeys of type 0x04 (signed-note):
// <name>+<key ID hex>+base64(0x04 || public key). A client that pins a
// set of them and a quorum K opens checkpoints with OpenCosigned.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrWitness: a checkpoint carries fewer valid cosignatures from the
// pinned witnesses than the quorum requires.
var ErrWitness = errors.New("translog: not enough witness cosignatures")

const (
	algEd25519Cosignature = 0x04
	cosigTimeSize         = 8
	// MaxWitnesses is the most witnesses a set holds.
	MaxWitnesses = 16
)

// cosigKeyHash is the key ID of an Ed25519 cosignature/v1 key.
func cosigKeyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte("\n"))
	h.Write([]byte{algEd25519Cosignature})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// GenerateWitnessKey returns a new witness signer key and its verifier key
// (cosignature/v1, vkey type 0x04) for a witness named name (such as
// "witness.example.org": no spaces, pluses or newlines).
func GenerateWitnessKey(name string) (signerKey, verifierKey string, err error) {
	if !ValidOrigin(name) {
		return "", "", fmt.Errorf("translog: witness name %q: no spaces, pluses or newlines", name)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	h := cosigKeyHash(name, pub)
	signerKey = fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, h, base64.StdEncoding.EncodeToString(append([]byte{algEd25519Cosignature}, priv.Seed()...)))
	verifierKey = fmt.Sprintf("%s+%08x+%s", name, h, base64.StdEncoding.EncodeToString(append([]byte{algEd25519Cosignature}, pub...)))
	return signerKey, verifierKey, nil
}

// Cosigner makes cosignature/v1 signatures: it is the note.Signer of a
// witness, signing at the time its clock says.
type Cosigner struct {
	name string
	hash uint32
	key  ed25519.PrivateKey
	now  func() time.Time
}

// NewCosigner reads a signer key made by GenerateWitnessKey (an Ed25519
// note signer key, type 0x01, is taken too, as C2SP allows). now is the
// clock (nil: time.Now).
func NewCosigner(signerKey string, now func() time.Time) (*Cosigner, error) {
	bad := errors.New("translog: malformed witness signer key")
	rest, ok := strings.CutPrefix(signerKey, "PRIVATE+KEY+")
	if !ok {
		return nil, bad
	}
	name, rest, _ := strings.Cut(rest, "+")
	hash16, key64, _ := strings.Cut(rest, "+")
	key, err := base64.StdEncoding.DecodeString(key64)
	if err != nil || len(hash16) != 8 || !ValidOrigin(name) || len(key) != 1+ed25519.SeedSize ||
		(key[0] != algEd25519Cosignature && key[0] != 0x01) {
		return nil, bad
	}
	if now == nil {
		now = time.Now
	}
	priv := ed25519.NewKeyFromSeed(key[1:])
	return &Cosigner{name: name, hash: cosigKeyHash(name, priv.Public().(ed25519.PublicKey)), key: priv, now: now}, nil
}

// Name is the witness's name.
func (s *Cosigner) Name() string { return s.name }

// KeyHash is its key ID.
func (s *Cosigner) KeyHash() uint32 { return s.hash }

// Sign cosigns msg, a checkpoint's note text, now.
func (s *Cosigner) Sign(msg []byte) ([]byte, error) {
	t := s.now().Unix()
	if t < 0 {
		return nil, errors.New("translog: a cosignature time before 1970")
	}
	m, err := cosignedMessage(uint64(t), msg)
	if err != nil {
		return nil, err
	}
	sig := binary.BigEndian.AppendUint64(make([]byte, 0, cosigTimeSize+ed25519.SignatureSize), uint64(t))
	return append(sig, ed25519.Sign(s.key, m)...), nil
}

// VerifierKey returns the witness's verifier key.
func (s *Cosigner) VerifierKey() string {
	pub := s.key.Public().(ed25519.PublicKey)
	return fmt.Sprintf("%s+%08x+%s", s.name, s.hash, base64.StdEncoding.EncodeToString(append([]byte{algEd25519Cosignature}, pub...)))
}

// Cosign returns the note signature line ("— name base64\n") cosigning
// the checkpoint whose note text is text.
func (s *Cosigner) Cosign(text string) (string, error) {
	b, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		return "", err
	}
	return string(b[len(text)+1:]), nil
}

func cosignedMessage(t uint64, msg []byte) ([]byte, error) {
	if bytes.Count(msg, []byte("\n")) < 3 || !bytes.HasSuffix(msg, []byte("\n")) {
		return nil, errors.New("translog: a cosigned note has at least three lines")
	}
	return fmt.Appendf(nil, "cosignature/v1\ntime %d\n%s", t, msg), nil
}

// cosigVerifier verifies cosignature/v1 signatures of one witness.
type cosigVerifier struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
}

func (v *cosigVerifier) Name() string    { return v.name }
func (v *cosigVerifier) KeyHash() uint32 { return v.hash }
func (v *cosigVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != cosigTimeSize+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	if t > 1<<63-1 {
		return false
	}
	m, err := cosignedMessage(t, msg)
	return err == nil && ed25519.Verify(v.pub, m, sig[cosigTimeSize:])
}

// NewCosignatureVerifier reads a witness verifier key (vkey type 0x04, or
// an Ed25519 note verifier key of type 0x01, taken as the same key for
// cosignatures, as C2SP allows).
func NewCosignatureVerifier(verifierKey string) (note.Verifier, error) {
	name, rest, _ := strings.Cut(verifierKey, "+")
	hash16, key64, _ := strings.Cut(rest, "+")
	key, err := base64.StdEncoding.DecodeString(key64)
	if err != nil || len(hash16) != 8 || !ValidOrigin(name) || len(key) != 1+ed25519.PublicKeySize ||
		(key[0] != algEd25519Cosignature && key[0] != 0x01) {
		return nil, fmt.Errorf("translog: malformed witness verifier key %q", verifierKey)
	}
	pub := ed25519.PublicKey(key[1:])
	h := cosigKeyHash(name, pub)
	if key[0] == algEd25519Cosignature {
		if want, err := strconv.ParseUint(hash16, 16, 32); err != nil || uint32(want) != h {
			return nil, fmt.Errorf("translog: witness verifier key %q: wrong key ID", verifierKey)
		}
	}
	return &cosigVerifier{name: name, hash: h, pub: pub}, nil
}

// CosignatureTime returns the time in a cosignature/v1 signature (of the
// note signature line's base64), without verifying it.
func CosignatureTime(sig note.Signature) (time.Time, error) {
	b, err := base64.StdEncoding.DecodeString(sig.Base64)
	if err != nil || len(b) != 4+cosigTimeSize+ed25519.SignatureSize {
		return time.Time{}, fmt.Errorf("%w: malformed cosignature", ErrCheckpoint)
	}
	t := binary.BigEndian.Uint64(b[4:])
	if t > 1<<63-1 {
		return time.Time{}, fmt.Errorf("%w: malformed cosignature", ErrCheckpoint)
	}
	return time.Unix(int64(t), 0), nil
}

// Witnesses is a set of witnesses, K of which must cosign a checkpoint.
type Witnesses struct {
	keys      []string
	verifiers []note.Verifier
	k         int
}

// NewWitnesses reads witness verifier keys and the quorum k: 1 ≤ k ≤
// len(keys), or no keys and k 0 (no witnesses: OpenCosigned then asks for
// no cosignature). Two keys may not share a name.
func NewWitnesses(keys []string, k int) (*Witnesses, error) {
	if len(keys) == 0 {
		if k != 0 {
			return nil, fmt.Errorf("translog: a quorum of %d witnesses, but no witness", k)
		}
		return &Witnesses{}, nil
	}
	if len(keys) > MaxWitnesses {
		return nil, fmt.Errorf("translog: %d witnesses; at most %d", len(keys), MaxWitnesses)
	}
	if k < 1 || k > len(keys) {
		return nil, fmt.Errorf("translog: a quorum of %d of %d witnesses", k, len(keys))
	}
	w := &Witnesses{keys: slices.Clone(keys), k: k}
	names := map[string]bool{}
	for _, key := range keys {
		v, err := NewCosignatureVerifier(key)
		if err != nil {
			return nil, err
		}
		if names[v.Name()] {
			return nil, fmt.Errorf("translog: two witnesses named %q", v.Name())
		}
		names[v.Name()] = true
		w.verifiers = append(w.verifiers, v)
	}
	return w, nil
}

// Keys returns the witnesses' verifier keys.
func (w *Witnesses) Keys() []string { return slices.Clone(w.keys) }

// K returns the quorum.
func (w *Witnesses) K() int { return w.k }

// None reports a set without witnesses.
func (w *Witnesses) None() bool { return w == nil || len(w.verifiers) == 0 }

// Verifier returns the verifier of the witness name with key ID hash, if
// it is one of the set.
func (w *Witnesses) Verifier(name string, hash uint32) (note.Verifier, bool) {
	if w == nil {
		return nil, false
	}
	for _, v := range w.verifiers {
		if v.Name() == name && v.KeyHash() == hash {
			return v, true
		}
	}
	return nil, false
}

// both looks keys up among the witnesses, then the log's verifiers.
type both struct {
	w   *Witnesses
	log note.Verifiers
}

func (b both) Verifier(name string, hash uint32) (note.Verifier, error) {
	if v, ok := b.w.Verifier(name, hash); ok {
		return v, nil
	}
	return b.log.Verifier(name, hash)
}

// Cosigned is what OpenCosigned found in a checkpoint.
type Cosigned struct {
	// Tree is the checkpoint's tree.
	Tree tlog.Tree
	// Origin is the log's name.
	Origin string
	// Count is how many of the witnesses cosigned it.
	Count int
	// Time is when the quorum had cosigned it: the K-th newest of the
	// witnesses' cosignature times (zero without witnesses).
	Time time.Time
}

// OpenCosigned checks that checkpoint is signed by one of log, whose name
// is its origin, and cosigned by at least K of w (ErrWitness if fewer
// cosigned it; ErrCheckpoint if a signature of theirs is invalid). With no
// witnesses it is OpenCheckpoint.
func OpenCosigned(checkpoint string, log note.Verifiers, w *Witnesses) (*Cosigned, error) {
	if log == nil {
		return nil, fmt.Errorf("%w: no verifier key", ErrCheckpoint)
	}
	n, err := note.Open([]byte(checkpoint), both{w, log})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	origin, tree, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return nil, err
	}
	c := &Cosigned{Tree: tree, Origin: origin}
	logSigned := false
	var times []time.Time
	for _, s := range n.Sigs {
		if _, ok := w.Verifier(s.Name, s.Hash); ok {
			t, err := CosignatureTime(s)
			if err != nil {
				return nil, err
			}
			times = append(times, t)
			continue
		}
		if s.Name == origin {
			logSigned = true
		}
	}
	if !logSigned {
		return nil, fmt.Errorf("%w: origin %q is not the name of the key that signed it", ErrCheckpoint, origin)
	}
	c.Count = len(times)
	if w.None() {
		return c, nil
	}
	if c.Count < w.k {
		return c, fmt.Errorf("%w: the checkpoint of %d leaves is cosigned by %d of the %d witnesses; %d are required", ErrWitness, tree.N, c.Count, len(w.verifiers), w.k)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return b.Compare(a) })
	c.Time = times[w.k-1]
	return c, nil
}

// NoteText returns the text of a signed note (up to the blank line before
// its signatures) and its signature lines.
func NoteText(signed string) (text, sigs string, err error) {
	i := strings.LastIndex(signed, "\n\n")
	if i < 0 || !strings.HasSuffix(signed, "\n") {
		return "", "", fmt.Errorf("%w: not a signed note", ErrCheckpoint)
	}
	return signed[:i+1], signed[i+2:], nil
}

// AddCosignatures returns checkpoint with the signature lines lines added,
// each in place of any line of the same key (name and key ID) it holds.
// It checks the form of the lines, not their signatures.
func AddCosignatures(checkpoint, lines string) (string, error) {
	text, sigs, err := NoteText(checkpoint)
	if err != nil {
		return "", err
	}
	type id struct {
		name string
		hash uint32
	}
	parse := func(line string) (id, error) {
		rest, ok := strings.CutPrefix(line, "— ")
		name, b64, _ := strings.Cut(rest, " ")
		b, err := base64.StdEncoding.DecodeString(b64)
		if !ok || err != nil || name == "" || len(b) < 5 {
			return id{}, fmt.Errorf("%w: malformed signature line %q", ErrCheckpoint, line)
		}
		return id{name, binary.BigEndian.Uint32(b)}, nil
	}
	var add []string
	replaced := map[id]bool{}
	for line := range strings.Lines(lines) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			continue
		}
		k, err := parse(line)
		if err != nil {
			return "", err
		}
		if replaced[k] {
			continue // one line per key
		}
		replaced[k] = true
		add = append(add, line)
	}
	var out strings.Builder
	out.WriteString(text)
	out.WriteString("\n")
	for line := range strings.Lines(sigs) {
		k, err := parse(strings.TrimSuffix(line, "\n"))
		if err != nil {
			return "", err
		}
		if !replaced[k] {
			out.WriteString(line)
		}
	}
	for _, line := range add {
		out.WriteString(line + "\n")
	}
	return out.String(), nil
}

// LogCode is a short code of a log's tree, for people to compare by eye
// on two devices: four groups of four characters (base32 of SHA-256 of
// the checkpoint text of origin and tree; 80 bits). Two devices that show
// the same tree size and code hold the same log; the same size and a
// different code is a forked log.
func LogCode(origin string, tree tlog.Tree) string {
	sum := sha256.Sum256(FormatCheckpoint(origin, tree))
	s := base32.StdEncoding.EncodeToString(sum[:10])
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}
