// Package udf computes and parses Uniform Data Fingerprints (UDF), the
// names of Mesh data items and keys.
//
// A fingerprint is the Base32 encoding (RFC 4648 alphabet, no padding) of a
// version byte followed by D(contentType ":" D(data)), truncated to a number
// of bits and written upper case in groups of five characters joined by '-'.
// D is SHA-2-512 (version byte 96, fingerprints start with 'M') or SHA-3-512
// (version byte 144, fingerprints start with 'S').
//
// The truncation reproduces the 2016 reference implementation that produced
// the identifiers of draft-hallambaker-mesh-architecture-01: when the bit
// count is not a multiple of eight, the last, partial byte carries the low
// bits of the next digest byte, shifted up.
package udf

import (
	"crypto"
	"crypto/sha3"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base32"
	"errors"
	"fmt"
	"hash"
	"strings"
)

// Version bytes, the first byte of every fingerprint; they name the digest.
const (
	VersionSHA2 byte = 96  // SHA-2-512; fingerprints start with 'M'
	VersionSHA3 byte = 144 // SHA-3-512; fingerprints start with 'S'
)

// Fingerprint lengths in bits: a length is a multiple of 25 (five Base32
// characters) from MinBits to MaxBits.
const (
	DefaultBits = 150
	MinBits     = 125
	MaxBits     = 500
)

// ContentTypeKeyInfo is the content type of a public key's fingerprint,
// computed over its DER SubjectPublicKeyInfo.
const ContentTypeKeyInfo = "application/x509-keyinfo"

// ErrBits reports a fingerprint length outside the allowed set.
var ErrBits = fmt.Errorf("udf: bits must be a multiple of 25 from %d to %d", MinBits, MaxBits)

// ErrSyntax reports a string that is not a well-formed fingerprint.
var ErrSyntax = errors.New("udf: malformed fingerprint")

var encoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Fingerprint returns the SHA-2-512 fingerprint of data of the given content
// type, bits long (0 means DefaultBits).
func Fingerprint(contentType string, data []byte, bits int) (string, error) {
	return fingerprint(VersionSHA2, sha512.New, contentType, data, bits)
}

// FingerprintSHA3 returns the SHA-3-512 fingerprint of data of the given
// content type, bits long (0 means DefaultBits).
func FingerprintSHA3(contentType string, data []byte, bits int) (string, error) {
	return fingerprint(VersionSHA3, func() hash.Hash { return sha3.New512() }, contentType, data, bits)
}

// KeyFingerprint returns the SHA-2-512 fingerprint of a public key: content
// type ContentTypeKeyInfo over the key's DER SubjectPublicKeyInfo. It takes
// the key types of x509.MarshalPKIXPublicKey (RSA, ECDSA, Ed25519, X25519).
func KeyFingerprint(pub crypto.PublicKey, bits int) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("udf: key fingerprint: %w", err)
	}
	return Fingerprint(ContentTypeKeyInfo, der, bits)
}

func fingerprint(version byte, newHash func() hash.Hash, contentType string, data []byte, bits int) (string, error) {
	if bits == 0 {
		bits = DefaultBits
	}
	if bits < MinBits || bits > MaxBits || bits%25 != 0 {
		return "", ErrBits
	}
	h := newHash()
	h.Write(data)
	inner := h.Sum(nil)
	h = newHash()
	h.Write([]byte(contentType))
	h.Write([]byte{':'})
	h.Write(inner)
	return format(version, h.Sum(nil), bits), nil
}

// format truncates version||digest to bits as the 2016 implementation did
// and writes it in groups of five.
func format(version byte, digest []byte, bits int) string {
	full, extra := bits/8, bits%8
	out := make([]byte, full, full+1)
	out[0] = version
	copy(out[1:], digest[:full-1])
	if extra > 0 {
		out = append(out, digest[full-1]<<(8-extra))
	}
	text := encoding.EncodeToString(out)[:bits/5]
	return group(text)
}

func group(text string) string {
	var b strings.Builder
	for i := 0; i < len(text); i += 5 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(text[i:min(i+5, len(text))])
	}
	return b.String()
}

// Parse checks that s is a fingerprint and returns it in canonical form
// (upper case, groups of five joined by '-'). It accepts any case, with or
// without dashes, and refuses a character outside the Base32 alphabet, a
// length that is not an allowed number of bits, or an unknown version.
func Parse(s string) (string, error) {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '-':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		case r >= 'A' && r <= 'Z', r >= '2' && r <= '7':
		default:
			return "", fmt.Errorf("%w: character %q at offset %d is not in the Base32 alphabet", ErrSyntax, r, i)
		}
		b.WriteRune(r)
	}
	text := b.String()
	bits := len(text) * 5
	if bits < MinBits || bits > MaxBits || bits%25 != 0 {
		return "", fmt.Errorf("%w: %d characters; a fingerprint has a multiple of 5 from %d to %d", ErrSyntax, len(text), MinBits/5, MaxBits/5)
	}
	// Decode the first eight characters (five whole bytes) for the version.
	head, err := encoding.DecodeString(text[:8])
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	if head[0] != VersionSHA2 && head[0] != VersionSHA3 {
		return "", fmt.Errorf("%w: unknown version byte %d", ErrSyntax, head[0])
	}
	return group(text), nil
}

// Equal reports whether a and b are the same fingerprint, ignoring case and
// dashes. Malformed fingerprints are never equal.
func Equal(a, b string) bool {
	ca, err := Parse(a)
	if err != nil {
		return false
	}
	cb, err := Parse(b)
	return err == nil && ca == cb
}
