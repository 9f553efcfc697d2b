// Package b64 is the unpadded base64url of JOSE, read leniently enough for
// the seed, which breaks long values over lines.
package b64

import (
	"encoding/base64"
	"strings"
)

// Encode returns the unpadded base64url encoding of b.
func Encode(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Decode decodes unpadded base64url, ignoring white space.
func Decode(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(StripSpace(s)) }

// StripSpace removes the white space (space, tab, CR, LF) from s.
func StripSpace(s string) string {
	if !strings.ContainsAny(s, " \t\r\n") {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}
