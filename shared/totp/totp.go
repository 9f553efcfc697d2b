// Package totp computes one-time codes from the otpauth:// URIs that
// entries hold (the Key Uri Format of authenticator apps): time-based
// codes (RFC 6238) and counter-based ones (RFC 4226), with HMAC-SHA1,
// SHA256 or SHA512, 6 to 8 digits and any period.
//
// Errors never hold the secret, nor the URI (which holds it).
package totp

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrURI is wrapped by every error about an otpauth:// URI that cannot give
// codes.
var ErrURI = errors.New("totp: one-time code URI refused")

// Limits on a URI's parameters.
const (
	// MinDigits and MaxDigits bound the digits of a code.
	MinDigits = 6
	MaxDigits = 8
	// MaxPeriod is the longest period, in seconds (a day).
	MaxPeriod = 86400
	// MaxSecret is the most bytes of a decoded secret.
	MaxSecret = 1024
	// MaxURI is the most bytes of a URI.
	MaxURI = 2048
)

// Key is a parsed otpauth:// URI.
type Key struct {
	// Type is "totp" or "hotp".
	Type string
	// Label is the URI's label ("Issuer:account"), Issuer its issuer
	// parameter.
	Label, Issuer string
	// Secret is the shared secret, decoded from base32.
	Secret []byte
	// Algorithm is "SHA1", "SHA256" or "SHA512".
	Algorithm string
	// Digits is the length of a code, Period the seconds a TOTP code
	// lasts, Counter the counter of an HOTP URI.
	Digits  int
	Period  int
	Counter uint64
}

// Names returns whom the codes are for: the issuer (its parameter, else
// the label's part before a colon) and the account (the label's part
// after the colon, or the whole label); either may be empty.
func (k *Key) Names() (issuer, account string) {
	issuer, account = k.Issuer, k.Label
	if i := strings.Index(account, ":"); i >= 0 {
		if issuer == "" {
			issuer = strings.TrimSpace(account[:i])
		}
		account = strings.TrimSpace(account[i+1:])
	}
	return issuer, account
}

func refused(why string) error { return fmt.Errorf("%w: %s", ErrURI, why) }

// DecodeSecret decodes a base32 secret as authenticator apps write it:
// any case, spaces, dashes and padding allowed.
func DecodeSecret(s string) ([]byte, error) {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "=", "", "\t", "").Replace(s))
	if s == "" {
		return nil, refused("the secret is empty")
	}
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, refused("the secret is not base32")
	}
	if len(b) > MaxSecret {
		return nil, refused(fmt.Sprintf("the secret is longer than %d bytes", MaxSecret))
	}
	return b, nil
}

// Parse parses an otpauth:// URI: otpauth://totp/LABEL?secret=BASE32
// with optional issuer, algorithm (SHA1, the default, SHA256 or SHA512),
// digits (6, the default, to 8) and period (30 seconds by default); or
// otpauth://hotp/LABEL?secret=...&counter=N.
func Parse(uri string) (*Key, error) {
	uri = strings.TrimSpace(uri)
	if len(uri) > MaxURI {
		return nil, refused(fmt.Sprintf("longer than %d bytes", MaxURI))
	}
	u, err := url.Parse(uri)
	if err != nil || !strings.EqualFold(u.Scheme, "otpauth") {
		return nil, refused("not an otpauth:// URI")
	}
	k := &Key{Type: strings.ToLower(u.Host), Algorithm: "SHA1", Digits: 6, Period: 30}
	if k.Type != "totp" && k.Type != "hotp" {
		return nil, refused("not of type totp or hotp (otpauth://totp/...)")
	}
	k.Label = strings.TrimPrefix(u.Path, "/")
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, refused("its parameters do not parse")
	}
	k.Issuer = q.Get("issuer")
	if !q.Has("secret") {
		return nil, refused("no secret parameter")
	}
	if k.Secret, err = DecodeSecret(q.Get("secret")); err != nil {
		return nil, err
	}
	if a := q.Get("algorithm"); a != "" {
		switch strings.ToUpper(strings.ReplaceAll(a, "-", "")) {
		case "SHA1":
			k.Algorithm = "SHA1"
		case "SHA256":
			k.Algorithm = "SHA256"
		case "SHA512":
			k.Algorithm = "SHA512"
		default:
			return nil, refused("the algorithm is not SHA1, SHA256 or SHA512")
		}
	}
	if d := q.Get("digits"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < MinDigits || n > MaxDigits {
			return nil, refused(fmt.Sprintf("digits is not %d to %d", MinDigits, MaxDigits))
		}
		k.Digits = n
	}
	if p := q.Get("period"); p != "" && k.Type == "totp" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > MaxPeriod {
			return nil, refused(fmt.Sprintf("period is not 1 to %d seconds", MaxPeriod))
		}
		k.Period = n
	}
	if k.Type == "hotp" {
		c, err := strconv.ParseUint(q.Get("counter"), 10, 64)
		if err != nil {
			return nil, refused("an hotp URI needs a counter")
		}
		k.Counter = c
	}
	return k, nil
}

func (k *Key) hash() func() hash.Hash {
	switch k.Algorithm {
	case "SHA256":
		return sha256.New
	case "SHA512":
		return sha512.New
	}
	return sha1.New
}

// HOTP returns the RFC 4226 code of k's secret for counter c.
func (k *Key) HOTP(c uint64) string {
	mac := hmac.New(k.hash(), k.Secret)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], c)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range k.Digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", k.Digits, bin%mod)
}

// At returns the RFC 6238 code of a totp key at t and the whole seconds
// it stays valid; for an hotp key, the code of its counter and 0.
func (k *Key) At(t time.Time) (code string, remaining int) {
	if k.Type == "hotp" {
		return k.HOTP(k.Counter), 0
	}
	s := t.Unix()
	if s < 0 {
		s = 0
	}
	p := int64(k.Period)
	return k.HOTP(uint64(s / p)), int(p - s%p)
}

// Code returns the code of the otpauth:// URI uri at t and the seconds
// left until the next one (0 for an hotp URI, whose code is that of its
// counter). An error wraps ErrURI and never holds the secret.
func Code(uri string, t time.Time) (code string, remaining int, err error) {
	k, err := Parse(uri)
	if err != nil {
		return "", 0, err
	}
	code, remaining = k.At(t)
	return code, remaining, nil
}

// URI returns an otpauth://totp URI for a bare base32 secret, labelled
// "issuer:account" (either may be empty), with the default parameters.
// The secret is normalized (upper case, no spaces or padding); an error
// wraps ErrURI.
func URI(secret, issuer, account string) (string, error) {
	b, err := DecodeSecret(secret)
	if err != nil {
		return "", err
	}
	label := account
	if issuer != "" {
		label = issuer + ":" + account
	}
	if label == "" {
		label = "meshpass"
	}
	q := url.Values{}
	q.Set("secret", base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	if issuer != "" {
		q.Set("issuer", issuer)
	}
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + label, RawQuery: q.Encode()}
	return u.String(), nil
}
