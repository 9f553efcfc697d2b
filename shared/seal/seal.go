// Package seal protects small secrets at rest — a device's private keys —
// under a key derived from the person's passphrase.
//
// The key is Argon2id (RFC 9106) of the passphrase and a random 16-byte
// salt; the secret is encrypted with XChaCha20-Poly1305 under a random
// 24-byte nonce. The sealed form is one compact JSON object that records
// everything needed to open it, so the parameters can be raised later
// without breaking old blobs:
//
//	{"v":1,"kdf":"argon2id","t":3,"m":65536,"p":1,
//	 "salt":"<base64>","nonce":"<base64>","ct":"<base64>"}
//
// t is Argon2id passes, m its memory in KiB, p its lanes (threads); base64
// is standard with padding. The header fields are also the AEAD's
// additional data, so changing any of them is detected even where it would
// not change the key.
//
// Open checks the structure and the parameter bounds before it runs
// Argon2id, so junk fails fast and a hostile blob cannot make the device
// allocate more than MaxMemoryKiB or spend more than MaxTime passes, nor
// downgrade it below MinMemoryKiB.
package seal

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// Params are the Argon2id cost parameters.
type Params struct {
	// Time is the number of passes over the memory (Argon2 t).
	Time uint32
	// MemoryKiB is the memory size in KiB (Argon2 m).
	MemoryKiB uint32
	// Threads is the number of lanes (Argon2 p). The derived key depends
	// on it, so a blob must be opened with the value it was sealed with.
	Threads uint8
}

// DefaultParams are t=3 passes over m=64 MiB with p=1 lane: the second
// recommended option of RFC 9106 §4 (the memory-constrained one; the first
// wants 2 GiB), which is also above OWASP's minimum for Argon2id (19 MiB,
// t=2). One lane because the same code runs as WebAssembly in the browser,
// where Go has a single thread and more lanes only cost time. Callers
// should treat this as read-only.
var DefaultParams = Params{Time: 3, MemoryKiB: 64 * 1024, Threads: 1}

// Bounds on Params, enforced by both Seal and Open.
const (
	// MinTime is the least number of passes.
	MinTime = 1
	// MaxTime is the most passes Open will run.
	MaxTime = 100
	// MinMemoryKiB (8 MiB) refuses blobs that were weakened to be cheap
	// to guess.
	MinMemoryKiB = 8 * 1024
	// MaxMemoryKiB (1 GiB) is the most memory Open will allocate.
	MaxMemoryKiB = 1024 * 1024
	// MinThreads is the least number of lanes.
	MinThreads = 1
	// MaxThreads is the most lanes Open will run.
	MaxThreads = 16
)

// Version is the format version Seal writes and Open reads.
const Version = 1

const (
	kdfName  = "argon2id"
	saltSize = 16
	keySize  = chacha20poly1305.KeySize
)

var (
	// ErrWrongPassphrase means the passphrase does not open the blob (or
	// the blob was altered so that no passphrase does).
	ErrWrongPassphrase = errors.New("wrong passphrase")
	// ErrMalformed means the input is not a sealed blob this package can
	// open: bad JSON, unknown version or KDF, wrong field sizes, or
	// parameters out of bounds (then the error also matches ErrParams).
	ErrMalformed = errors.New("malformed sealed data")
	// ErrEmptyPassphrase means Seal was given an empty passphrase. Open
	// with an empty passphrase returns an error matching both this and
	// ErrWrongPassphrase.
	ErrEmptyPassphrase = errors.New("empty passphrase")
	// ErrParams means Argon2id parameters are outside the bounds
	// MinTime..MaxTime, MinMemoryKiB..MaxMemoryKiB, MinThreads..MaxThreads.
	ErrParams = errors.New("argon2id parameters out of bounds")
)

// Validate returns an error matching ErrParams, saying which bound is
// broken, if p is outside the accepted bounds.
func (p Params) Validate() error {
	switch {
	case p.Time < MinTime || p.Time > MaxTime:
		return fmt.Errorf("%w: t=%d passes, want %d..%d", ErrParams, p.Time, MinTime, MaxTime)
	case p.MemoryKiB < MinMemoryKiB:
		return fmt.Errorf("%w: m=%d KiB is too weak, want at least %d KiB", ErrParams, p.MemoryKiB, MinMemoryKiB)
	case p.MemoryKiB > MaxMemoryKiB:
		return fmt.Errorf("%w: m=%d KiB, want at most %d KiB", ErrParams, p.MemoryKiB, MaxMemoryKiB)
	case p.Threads < MinThreads || p.Threads > MaxThreads:
		return fmt.Errorf("%w: p=%d lanes, want %d..%d", ErrParams, p.Threads, MinThreads, MaxThreads)
	}
	return nil
}

// blob is the JSON form. Field order is fixed by the struct.
type blob struct {
	V     int    `json:"v"`
	KDF   string `json:"kdf"`
	T     uint32 `json:"t"`
	M     uint32 `json:"m"`
	P     uint8  `json:"p"`
	Salt  []byte `json:"salt"`
	Nonce []byte `json:"nonce"`
	CT    []byte `json:"ct"`
}

// Seal encrypts plaintext under passphrase with Argon2id parameters p and
// returns the sealed JSON. It refuses an empty passphrase
// (ErrEmptyPassphrase) and parameters out of bounds (ErrParams).
func Seal(passphrase, plaintext []byte, p Params) ([]byte, error) {
	if len(passphrase) == 0 {
		return nil, fmt.Errorf("seal: %w", ErrEmptyPassphrase)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	b := blob{
		V: Version, KDF: kdfName, T: p.Time, M: p.MemoryKiB, P: p.Threads,
		Salt:  make([]byte, saltSize),
		Nonce: make([]byte, chacha20poly1305.NonceSizeX),
	}
	if _, err := io.ReadFull(rand.Reader, b.Salt); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if _, err := io.ReadFull(rand.Reader, b.Nonce); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := newAEAD(passphrase, &b)
	if err != nil {
		return nil, err
	}
	b.CT = aead.Seal(nil, b.Nonce, plaintext, b.additionalData())
	return json.Marshal(&b) // []byte fields marshal as padded standard base64
}

// Open decrypts a blob made by Seal. A wrong passphrase, or a blob altered
// anywhere, gives ErrWrongPassphrase; input that is not a well-formed blob
// within the parameter bounds gives ErrMalformed (checked before any
// Argon2id work). On error the plaintext is nil.
func Open(passphrase, sealed []byte) ([]byte, error) {
	b, err := parse(sealed)
	if err != nil {
		return nil, err
	}
	if len(passphrase) == 0 {
		return nil, fmt.Errorf("seal: %w: %w", ErrWrongPassphrase, ErrEmptyPassphrase)
	}
	aead, err := newAEAD(passphrase, b)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, b.Nonce, b.CT, b.additionalData())
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	return pt, nil
}

// ParamsOf returns the Argon2id parameters a blob was sealed with, so a
// caller can re-seal under stronger ones after a successful Open. It fails
// with ErrMalformed as Open would, without running Argon2id.
func ParamsOf(sealed []byte) (Params, error) {
	b, err := parse(sealed)
	if err != nil {
		return Params{}, err
	}
	return Params{Time: b.T, MemoryKiB: b.M, Threads: b.P}, nil
}

// newAEAD derives the key for b and returns the cipher. The key is wiped
// once the cipher has its own copy.
func newAEAD(passphrase []byte, b *blob) (cipher.AEAD, error) {
	key := argon2.IDKey(passphrase, b.Salt, b.T, b.M, b.P, keySize)
	defer clear(key)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return aead, nil
}

// additionalData is the header, in a canonical byte form independent of
// how the JSON happened to be written.
func (b *blob) additionalData() []byte {
	return fmt.Appendf(nil, "meshpass-seal\x00v=%d\x00kdf=%s\x00t=%d\x00m=%d\x00p=%d\x00salt=%x\x00nonce=%x",
		b.V, b.KDF, b.T, b.M, b.P, b.Salt, b.Nonce)
}

// fields lists the members a blob must have, each exactly once.
var fields = []string{"v", "kdf", "t", "m", "p", "salt", "nonce", "ct"}

// parse reads a blob strictly: one JSON object with exactly the members in
// fields (names matched case-sensitively, unlike encoding/json's
// Unmarshal), canonical unsigned integers, strict base64, correct sizes,
// version, KDF and parameter bounds, and nothing after it.
func parse(sealed []byte) (*blob, error) {
	malformed := func(format string, args ...any) error {
		return fmt.Errorf("seal: %w: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
	dec := json.NewDecoder(bytes.NewReader(sealed))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, malformed("not a JSON object")
	}
	var b blob
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed("bad JSON")
		}
		name, _ := tok.(string)
		if !isField(name) || seen[name] {
			return nil, malformed("unexpected or repeated member %q", name)
		}
		seen[name] = true
		val, err := dec.Token()
		if err != nil {
			return nil, malformed("bad JSON")
		}
		switch name {
		case "v", "t", "m", "p":
			n, ok := val.(json.Number)
			if !ok {
				return nil, malformed("%s is not a number", name)
			}
			u, err := canonicalUint(string(n))
			if err != nil {
				return nil, malformed("%s: %v", name, err)
			}
			switch name {
			case "v":
				if u != Version {
					return nil, malformed("unknown version %d", u)
				}
				b.V = Version
			case "t":
				b.T = u
			case "m":
				b.M = u
			case "p":
				if u > 255 {
					return nil, malformed("p=%d", u)
				}
				b.P = uint8(u)
			}
		case "kdf":
			s, ok := val.(string)
			if !ok || s != kdfName {
				return nil, malformed("unknown kdf")
			}
			b.KDF = s
		case "salt", "nonce", "ct":
			s, ok := val.(string)
			if !ok {
				return nil, malformed("%s is not a string", name)
			}
			raw, err := strictBase64(s)
			if err != nil {
				return nil, malformed("%s: %v", name, err)
			}
			switch name {
			case "salt":
				b.Salt = raw
			case "nonce":
				b.Nonce = raw
			case "ct":
				b.CT = raw
			}
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, malformed("bad JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed("data after the object")
	}
	if len(seen) != len(fields) {
		return nil, malformed("missing members")
	}
	if err := (Params{Time: b.T, MemoryKiB: b.M, Threads: b.P}).Validate(); err != nil {
		return nil, fmt.Errorf("seal: %w: %w", ErrMalformed, err)
	}
	switch {
	case len(b.Salt) != saltSize:
		return nil, malformed("salt is %d bytes, want %d", len(b.Salt), saltSize)
	case len(b.Nonce) != chacha20poly1305.NonceSizeX:
		return nil, malformed("nonce is %d bytes, want %d", len(b.Nonce), chacha20poly1305.NonceSizeX)
	case len(b.CT) < chacha20poly1305.Overhead:
		return nil, malformed("ciphertext shorter than its tag")
	}
	return &b, nil
}

func isField(name string) bool {
	for _, f := range fields {
		if name == f {
			return true
		}
	}
	return false
}

// canonicalUint parses a decimal uint32 with no sign, fraction, exponent
// or leading zero.
func canonicalUint(s string) (uint32, error) {
	if s == "" || s[0] == '0' && len(s) > 1 {
		return 0, fmt.Errorf("non-canonical number %q", s)
	}
	u, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("not a 32-bit unsigned integer: %q", s)
	}
	return uint32(u), nil
}

// strictBase64 decodes padded standard base64 and refuses anything that
// does not re-encode to the same text (line breaks, non-zero pad bits).
func strictBase64(s string) ([]byte, error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || base64.StdEncoding.EncodeToString(raw) != s {
		return nil, errors.New("not canonical base64")
	}
	return raw, nil
}
