// Package jwe encrypts and decrypts the Mesh's EncryptedData: a JSON Web
// Encryption (RFC 7516) in general JSON serialization, content encrypted
// with A256GCM, and one recipient per X25519 key using ECDH-ES+A256KW
// (RFC 7518 §4.6 with RFC 8037's X25519), each recipient's "kid" the UDF of
// its key.
//
// go-jose v4 has no X25519 key agreement, and its OpaqueKeyEncrypter cannot
// be implemented outside go-jose (it has an unexported method). So this
// package writes the JWE itself on the standard wire format, with go-jose's
// Concat KDF and AES key wrap; decryption is go-jose's, given the X25519
// step through its OpaqueKeyDecrypter interface.
//
// EncryptDirect and DecryptDirect cover the one symmetric case, "dir" with
// A256GCM under a caller's 256-bit key (the Mesh's escrow entries).
package jwe

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
	josecipher "github.com/go-jose/go-jose/v4/cipher"

	"github.com/meshpass/meshpass/shared/internal/b64"
	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/udf"
)

// Errors a decryption can return; each is wrapped with detail.
var (
	// ErrMalformed reports an EncryptedData that is not a well-formed JWE of the suite.
	ErrMalformed = errors.New("jwe: malformed encrypted data")
	// ErrNotRecipient reports that the data is not encrypted to the given key.
	ErrNotRecipient = errors.New("jwe: not encrypted to this key")
	// ErrDecrypt reports a failed key unwrap or content authentication: tampered data or the wrong key.
	ErrDecrypt = errors.New("jwe: decryption failed")
)

// MaxRecipients is the largest number of recipients one EncryptedData may
// have (go-jose's limit when parsing).
const MaxRecipients = 32

const (
	algorithm = jose.ECDH_ES_A256KW
	content   = jose.A256GCM
	keySize   = 32 // A256GCM and A256KW
)

// EncryptedData is a JWE in JSON serialization. Each string is unpadded
// base64url. Data made by Encrypt has Recipients; data made by
// EncryptDirect has none (the key is the caller's).
type EncryptedData struct {
	Protected  string      `json:"protected"`
	Recipients []Recipient `json:"recipients,omitempty"`
	IV         string      `json:"iv"`
	Ciphertext string      `json:"ciphertext"`
	Tag        string      `json:"tag"`
}

// Recipient is one key's wrapped copy of the content key.
type Recipient struct {
	Header       RecipientHeader `json:"header"`
	EncryptedKey string          `json:"encrypted_key"`
}

// RecipientHeader is a recipient's unprotected header.
type RecipientHeader struct {
	Alg string          `json:"alg"`
	Kid string          `json:"kid"`
	EPK json.RawMessage `json:"epk,omitempty"`
	APU string          `json:"apu,omitempty"`
	APV string          `json:"apv,omitempty"`
}

// UnmarshalJSON reads a recipient, taking the seed's "Header" spelling too.
func (r *Recipient) UnmarshalJSON(b []byte) error {
	var raw struct {
		Header       *RecipientHeader `json:"header"`
		SeedHeader   *RecipientHeader `json:"Header"`
		EncryptedKey string           `json:"encrypted_key"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("%w: recipient: %v", ErrMalformed, err)
	}
	h := raw.Header
	if h == nil {
		h = raw.SeedHeader
	}
	if h == nil {
		return fmt.Errorf("%w: recipient without header", ErrMalformed)
	}
	r.Header = *h
	r.EncryptedKey = b64.StripSpace(raw.EncryptedKey)
	return nil
}

// UnmarshalJSON reads a JWE, ignoring the white space with which the seed
// breaks long values.
func (e *EncryptedData) UnmarshalJSON(b []byte) error {
	type plain EncryptedData
	var p struct {
		plain
		// Members of the standard that the Mesh does not use: refused, not dropped.
		AAD         json.RawMessage `json:"aad"`
		Unprotected json.RawMessage `json:"unprotected"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		if errors.Is(err, ErrMalformed) {
			return err
		}
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if p.AAD != nil || p.Unprotected != nil {
		return fmt.Errorf("%w: \"aad\" and \"unprotected\" are not used by the Mesh", ErrMalformed)
	}
	*e = EncryptedData(p.plain)
	e.Protected = b64.StripSpace(e.Protected)
	e.IV = b64.StripSpace(e.IV)
	e.Ciphertext = b64.StripSpace(e.Ciphertext)
	e.Tag = b64.StripSpace(e.Tag)
	return nil
}

// ephemeralKey is an epk header: an X25519 public key as a JWK.
type ephemeralKey struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
}

// Encrypt encrypts plaintext to each recipient, an X25519 key.
func Encrypt(plaintext []byte, recipients []*keys.PublicKey) (*EncryptedData, error) {
	if len(recipients) == 0 {
		return nil, errors.New("jwe: no recipients")
	}
	if len(recipients) > MaxRecipients {
		return nil, fmt.Errorf("jwe: %d recipients, at most %d", len(recipients), MaxRecipients)
	}
	cek := make([]byte, keySize)
	if _, err := rand.Read(cek); err != nil {
		return nil, err
	}
	out := &EncryptedData{}
	seen := map[string]bool{}
	for _, r := range recipients {
		pub, err := r.Key()
		if err != nil {
			return nil, fmt.Errorf("jwe: recipient: %w", err)
		}
		x, ok := pub.(*ecdh.PublicKey)
		if !ok {
			return nil, fmt.Errorf("jwe: recipient %s is not an X25519 key", r.UDF)
		}
		id, _ := udf.Parse(r.UDF)
		if seen[id] {
			return nil, fmt.Errorf("jwe: recipient %s given twice", r.UDF)
		}
		seen[id] = true
		rec, err := wrapFor(x, id, cek)
		if err != nil {
			return nil, err
		}
		out.Recipients = append(out.Recipients, rec)
	}
	protected, err := json.Marshal(map[string]string{"enc": string(content)})
	if err != nil {
		return nil, err
	}
	out.Protected = b64.Encode(protected)
	if err := out.seal(cek, plaintext); err != nil {
		return nil, err
	}
	return out, nil
}

// seal encrypts plaintext under cek with A256GCM, the protected header as
// additional data (RFC 7516 §5.1).
func (e *EncryptedData) seal(cek, plaintext []byte) error {
	aead, err := newGCM(cek)
	if err != nil {
		return err
	}
	iv := make([]byte, aead.NonceSize())
	if _, err := rand.Read(iv); err != nil {
		return err
	}
	sealed := aead.Seal(nil, iv, plaintext, []byte(e.Protected))
	n := len(sealed) - aead.Overhead()
	e.IV, e.Ciphertext, e.Tag = b64.Encode(iv), b64.Encode(sealed[:n]), b64.Encode(sealed[n:])
	return nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// wrapFor wraps cek for one X25519 recipient with a fresh ephemeral key.
func wrapFor(pub *ecdh.PublicKey, kid string, cek []byte) (Recipient, error) {
	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return Recipient{}, err
	}
	z, err := eph.ECDH(pub)
	if err != nil {
		return Recipient{}, fmt.Errorf("jwe: X25519: %w", err)
	}
	wrapped, err := keyWrap(kek(z, nil, nil), cek)
	if err != nil {
		return Recipient{}, err
	}
	epk, err := json.Marshal(ephemeralKey{Kty: "OKP", Crv: keys.CurveX25519, X: b64.Encode(eph.PublicKey().Bytes())})
	if err != nil {
		return Recipient{}, err
	}
	return Recipient{
		Header:       RecipientHeader{Alg: string(algorithm), Kid: kid, EPK: epk},
		EncryptedKey: b64.Encode(wrapped),
	}, nil
}

// kek derives the key-wrapping key from the shared secret z with the
// Concat KDF of RFC 7518 §4.6.2.
func kek(z, apu, apv []byte) []byte {
	supPubInfo := binary.BigEndian.AppendUint32(nil, keySize*8)
	r := josecipher.NewConcatKDF(crypto.SHA256, z,
		lengthPrefixed([]byte(algorithm)), lengthPrefixed(apu), lengthPrefixed(apv), supPubInfo, nil)
	k := make([]byte, keySize)
	_, _ = r.Read(k) // never fails
	return k
}

func lengthPrefixed(b []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

func keyWrap(kek, cek []byte) ([]byte, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	return josecipher.KeyWrap(block, cek)
}

// RecipientIDs returns the kid of every recipient, as written.
func (e *EncryptedData) RecipientIDs() []string {
	ids := make([]string, len(e.Recipients))
	for i, r := range e.Recipients {
		ids[i] = r.Header.Kid
	}
	return ids
}

// HasRecipient reports whether the data names id as a recipient.
func (e *EncryptedData) HasRecipient(id string) bool {
	for _, r := range e.Recipients {
		if udf.Equal(r.Header.Kid, id) {
			return true
		}
	}
	return false
}

// Decrypt decrypts data encrypted to key.
func (e *EncryptedData) Decrypt(key *keys.DecryptionKey) ([]byte, error) {
	if e == nil {
		return nil, fmt.Errorf("%w: missing", ErrMalformed)
	}
	if len(e.Recipients) == 0 {
		return nil, fmt.Errorf("%w: no recipients", ErrMalformed)
	}
	if !e.HasRecipient(key.ID()) {
		return nil, fmt.Errorf("%w: %s is not among %v", ErrNotRecipient, key.ID(), e.RecipientIDs())
	}
	obj, err := e.parse(algorithm)
	if err != nil {
		return nil, err
	}
	_, _, plaintext, err := obj.DecryptMulti(&x25519Decrypter{key: key})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	return plaintext, nil
}

// parse hands the data to go-jose, allowing only the suite's algorithms and
// refusing compression and critical headers.
func (e *EncryptedData) parse(alg jose.KeyAlgorithm) (*jose.JSONWebEncryption, error) {
	protected, err := b64.Decode(e.Protected)
	if err != nil {
		return nil, fmt.Errorf("%w: protected header: %v", ErrMalformed, err)
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(protected, &h); err != nil {
		return nil, fmt.Errorf("%w: protected header: %v", ErrMalformed, err)
	}
	for _, refused := range []string{"zip", "crit"} {
		if _, ok := h[refused]; ok {
			return nil, fmt.Errorf("%w: %q header is not accepted", ErrMalformed, refused)
		}
	}
	raw, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	obj, err := jose.ParseEncryptedJSON(string(raw), []jose.KeyAlgorithm{alg}, []jose.ContentEncryption{content})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return obj, nil
}

// x25519Decrypter is the ECDH-ES+A256KW step for one X25519 key, given to
// go-jose as an OpaqueKeyDecrypter.
type x25519Decrypter struct {
	key *keys.DecryptionKey
}

// DecryptKey unwraps the content key of the recipient described by header.
func (d *x25519Decrypter) DecryptKey(encryptedKey []byte, header jose.Header) ([]byte, error) {
	if !udf.Equal(header.KeyID, d.key.ID()) {
		return nil, ErrNotRecipient
	}
	if header.Algorithm != string(algorithm) {
		return nil, fmt.Errorf("%w: algorithm %q", ErrMalformed, header.Algorithm)
	}
	epk, err := headerEPK(header)
	if err != nil {
		return nil, err
	}
	apu, err := headerBytes(header, "apu")
	if err != nil {
		return nil, err
	}
	apv, err := headerBytes(header, "apv")
	if err != nil {
		return nil, err
	}
	z, err := d.key.ECDH(epk)
	if err != nil {
		return nil, fmt.Errorf("%w: X25519: %v", ErrDecrypt, err)
	}
	block, err := aes.NewCipher(kek(z, apu, apv))
	if err != nil {
		return nil, err
	}
	return josecipher.KeyUnwrap(block, encryptedKey)
}

func headerEPK(h jose.Header) (*ecdh.PublicKey, error) {
	raw, err := json.Marshal(h.ExtraHeaders["epk"])
	if err != nil {
		return nil, fmt.Errorf("%w: epk: %v", ErrMalformed, err)
	}
	var epk ephemeralKey
	if err := json.Unmarshal(raw, &epk); err != nil || epk.Kty != "OKP" || epk.Crv != keys.CurveX25519 {
		return nil, fmt.Errorf("%w: epk is not an X25519 key", ErrMalformed)
	}
	x, err := b64.Decode(epk.X)
	if err != nil {
		return nil, fmt.Errorf("%w: epk: %v", ErrMalformed, err)
	}
	pub, err := ecdh.X25519().NewPublicKey(x)
	if err != nil {
		return nil, fmt.Errorf("%w: epk: %v", ErrMalformed, err)
	}
	return pub, nil
}

func headerBytes(h jose.Header, name jose.HeaderKey) ([]byte, error) {
	v, ok := h.ExtraHeaders[name]
	if !ok {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not a string", ErrMalformed, name)
	}
	b, err := b64.Decode(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, name, err)
	}
	return b, nil
}

// EncryptDirect encrypts plaintext with A256GCM under key, a 256-bit key the
// caller holds (JWE "dir").
func EncryptDirect(plaintext, key []byte) (*EncryptedData, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("jwe: direct key of %d bytes, want %d", len(key), keySize)
	}
	protected, err := json.Marshal(map[string]string{"alg": string(jose.DIRECT), "enc": string(content)})
	if err != nil {
		return nil, err
	}
	out := &EncryptedData{Protected: b64.Encode(protected)}
	if err := out.seal(key, plaintext); err != nil {
		return nil, err
	}
	return out, nil
}

// DecryptDirect decrypts data made by EncryptDirect under key.
func (e *EncryptedData) DecryptDirect(key []byte) ([]byte, error) {
	if e == nil {
		return nil, fmt.Errorf("%w: missing", ErrMalformed)
	}
	if len(e.Recipients) != 0 {
		return nil, fmt.Errorf("%w: direct encryption has no recipients", ErrMalformed)
	}
	if len(key) != keySize {
		return nil, fmt.Errorf("jwe: direct key of %d bytes, want %d", len(key), keySize)
	}
	obj, err := e.parse(jose.DIRECT)
	if err != nil {
		return nil, err
	}
	plaintext, err := obj.Decrypt(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	return plaintext, nil
}
