package shamir

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// The binary form of a share, before Base32 encoding, is
//
//	version (1 byte, currently 1)
//	split ID (4 bytes, big endian)
//	threshold (1 byte)
//	index (1 byte)
//	share bytes (1 to 64 bytes, as long as the secret)
//	checksum (4 bytes)
//
// where the checksum is the first 4 bytes of
// SHA-256(checksumPrefix || everything before the checksum).
const (
	textVersion    = 1
	checksumPrefix = "meshpass-share-v1"
	headerSize     = 1 + 4 + 1 + 1
	checksumSize   = 4
	groupSize      = 5
	alphabet       = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" // RFC 4648 Base32
)

// Errors returned by [ParseShare], wrapped with details where useful; test
// for them with [errors.Is]. Their messages are meant to be shown to the
// person typing the share, after a prefix such as "share 2: ".
var (
	// ErrChecksum means the text has the form of a share but its checksum
	// does not match: almost certainly a typo.
	ErrChecksum = errors.New("checksum wrong: the share was mistyped")

	// ErrInvalidCharacter means the text contains a character that is not
	// a letter, a digit from 2 to 7, a dash or white space.
	ErrInvalidCharacter = errors.New("invalid character")

	// ErrLength means the text has too few or too many characters to be a
	// share, for example because a character or a group is missing.
	ErrLength = errors.New("wrong length")

	// ErrUnknownVersion means the text starts with an unknown format
	// version: it was mistyped or written by a newer program.
	ErrUnknownVersion = errors.New("unknown share version")
)

// String returns the text form of s, for a person to write down: upper-case
// Base32 (RFC 4648 alphabet, no padding) in groups of five characters joined
// by dashes, such as "AEXQ4-UZ2LM-...". It encodes the split ID, threshold,
// index and share bytes, followed by a checksum that lets [ParseShare] catch
// typos. A 32-byte secret gives 69 characters.
func (s Share) String() string {
	b := make([]byte, 0, headerSize+len(s.data)+checksumSize)
	b = append(b, textVersion)
	b = binary.BigEndian.AppendUint32(b, s.splitID)
	b = append(b, s.threshold, s.index)
	b = append(b, s.data...)
	b = append(b, checksum(b)...)

	enc := encodeBase32(b)
	var sb strings.Builder
	sb.Grow(len(enc) + len(enc)/groupSize)
	for i := 0; i < len(enc); i += groupSize {
		if i > 0 {
			sb.WriteByte('-')
		}
		sb.WriteString(enc[i:min(i+groupSize, len(enc))])
	}
	return sb.String()
}

// ParseShare parses the text form of a share produced by [Share.String].
//
// Letters may be in either case, and dashes and white space anywhere are
// ignored. Otherwise parsing is strict: any other character is refused
// (naming the character and its 1-based position in s), and the checksum
// catches any single mistyped character.
//
// Errors wrap [ErrInvalidCharacter], [ErrLength], [ErrUnknownVersion],
// [ErrChecksum] or [ErrInvalidShare].
func ParseShare(s string) (Share, error) {
	// Collect the 5-bit values of the Base32 characters.
	vals := make([]byte, 0, len(s))
	pos := 0
	for _, r := range s {
		pos++
		if r == '-' || unicode.IsSpace(r) {
			continue
		}
		v, ok := base32Value(r)
		if !ok {
			return Share{}, fmt.Errorf("%w %q at position %d (a share has only letters A to Z and digits 2 to 7)",
				ErrInvalidCharacter, r, pos)
		}
		vals = append(vals, v)
	}

	const (
		minBytes = headerSize + 1 + checksumSize
		maxBytes = headerSize + maxSecretSize + checksumSize
		minChars = (minBytes*8 + 4) / 5
		maxChars = (maxBytes*8 + 4) / 5
	)
	n := len(vals)
	switch {
	case n == 0:
		return Share{}, fmt.Errorf("%w: the share is empty", ErrLength)
	case n < minChars || n > maxChars:
		return Share{}, fmt.Errorf("%w: %d characters, a share has %d to %d", ErrLength, n, minChars, maxChars)
	case n*5%8 >= 5:
		// No byte string encodes to this many characters.
		return Share{}, fmt.Errorf("%w: %d characters, a character is missing or extra", ErrLength, n)
	}

	b, ok := decodeBase32(vals)
	if !ok {
		// Nonzero padding bits in the last character: a typo there.
		return Share{}, ErrChecksum
	}

	if b[0] != textVersion {
		return Share{}, fmt.Errorf("%w %d: the share was mistyped or made by a newer program", ErrUnknownVersion, b[0])
	}
	body, sum := b[:len(b)-checksumSize], b[len(b)-checksumSize:]
	if subtle.ConstantTimeCompare(sum, checksum(body)) != 1 {
		return Share{}, ErrChecksum
	}

	sh := Share{
		splitID:   binary.BigEndian.Uint32(body[1:5]),
		threshold: body[5],
		index:     body[6],
		data:      append([]byte(nil), body[headerSize:]...),
	}
	if err := sh.validate(); err != nil {
		return Share{}, err
	}
	return sh, nil
}

// checksum returns the checksum of the binary form of a share up to the
// checksum itself.
func checksum(body []byte) []byte {
	h := sha256.New()
	h.Write([]byte(checksumPrefix))
	h.Write(body)
	return h.Sum(nil)[:checksumSize]
}

// base32Value returns the 5-bit value of the Base32 character r, in either
// case.
func base32Value(r rune) (byte, bool) {
	switch {
	case 'A' <= r && r <= 'Z':
		return byte(r - 'A'), true
	case 'a' <= r && r <= 'z':
		return byte(r - 'a'), true
	case '2' <= r && r <= '7':
		return byte(r-'2') + 26, true
	}
	return 0, false
}

// encodeBase32 encodes b in upper-case Base32 without padding.
func encodeBase32(b []byte) string {
	out := make([]byte, 0, (len(b)*8+4)/5)
	var acc uint
	bits := 0
	for _, c := range b {
		acc = acc<<8 | uint(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out = append(out, alphabet[acc>>bits&31])
		}
	}
	if bits > 0 {
		out = append(out, alphabet[acc<<(5-bits)&31])
	}
	return string(out)
}

// decodeBase32 decodes 5-bit values into bytes. It reports false if the
// leftover bits after the last whole byte are not zero, so that every byte
// string has exactly one encoding. The caller has checked that len(vals)
// is a possible encoded length.
func decodeBase32(vals []byte) ([]byte, bool) {
	out := make([]byte, 0, len(vals)*5/8)
	var acc uint
	bits := 0
	for _, v := range vals {
		acc = acc<<5 | uint(v)
		bits += 5
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	return out, acc&(1<<bits-1) == 0
}
