// Package policy holds the rules meshpass applies to what a person types,
// written once for every client: the command line (cmd/meshpass), the
// client core (shared/client), the extension's popup through the wasm
// core, and the portal (account names).
//
//   - A new passphrase: at least MinPassphrase characters, at most
//     MaxPassphraseBytes bytes of valid UTF-8 (CheckPassphrase).
//   - Escrow: a threshold of at least MinShares, and at most MaxShares
//     shares (CheckShares).
//   - An account name: MinAccount to MaxAccount characters, none of
//     AccountInvalidCharacters, no spaces or unprintable characters
//     (CheckAccount).
//   - A site of a password entry: a host name, a wildcard, an IP address,
//     each with an optional port, or an http(s) URL, stored in the
//     canonical form shared/match gives it (CheckSite).
//   - The one-time code secret of a password entry: none, or an
//     otpauth:// URI of type totp or hotp with a base32 secret
//     (CheckTOTP).
//
// A refused input is an *Error that wraps one of ErrPassphrase,
// ErrShares, ErrAccount, ErrSite or ErrTOTP (test with errors.Is), so that callers
// can map it to their own codes. The test vectors in vectors/rules.json
// are run against this package, the command line and the wasm core alike.
package policy

import (
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/meshpass/meshpass/shared/match"
	"github.com/meshpass/meshpass/shared/mmm"
)

// Passphrase rules, for a new passphrase only: unlocking takes any.
const (
	// MinPassphrase is the fewest characters (Unicode code points) of a
	// new passphrase.
	MinPassphrase = 8
	// MaxPassphraseBytes is the most bytes (UTF-8) of a passphrase.
	MaxPassphraseBytes = 1024
)

// Escrow share rules.
const (
	// MinShares is the smallest threshold: the fewest shares that
	// recover a profile (one share alone must never do).
	MinShares = 2
	// MaxShares is the most shares one escrow makes.
	MaxShares = 16
)

// Account name rules, the protocol's (shared/mmm), which the portal
// enforces and reports by its Validate answer.
const (
	// MinAccount is the fewest characters of an account name.
	MinAccount = mmm.MinAccount
	// MaxAccount is the most characters of an account name.
	MaxAccount = mmm.MaxAccount
	// AccountInvalidCharacters are the characters an account name may not
	// hold, beside spaces and unprintable characters.
	AccountInvalidCharacters = mmm.AccountInvalidCharacters
)

// MaxSite is the most bytes of a site as given (a URL may be long; the
// canonical form is at most a host name and a port).
const MaxSite = 2048

// The rules a refused input breaks; an *Error wraps one of them.
var (
	// ErrPassphrase means a new passphrase is refused.
	ErrPassphrase = errors.New("policy: passphrase refused")
	// ErrShares means an escrow's threshold or number of shares is refused.
	ErrShares = errors.New("policy: escrow shares refused")
	// ErrAccount means an account name is refused.
	ErrAccount = errors.New("policy: account name refused")
	// ErrSite means a site is refused.
	ErrSite = errors.New("policy: site refused")
	// ErrTOTP means the one-time code URI of an entry is refused.
	ErrTOTP = errors.New("policy: one-time code URI refused")
)

// Error is a refused input. Its message names the input (quoted, except a
// passphrase, which is never shown) and says why: `site "not a url": not a
// host name, ...`.
type Error struct {
	// Rule is ErrPassphrase, ErrShares, ErrAccount, ErrSite or ErrTOTP.
	Rule error
	// Subject names the input, as the message starts: `site "x"`,
	// "passphrase", "escrow of 1 of 3 shares".
	Subject string
	// Reason says why, without the input: "shorter than 8 characters";
	// for an account name it reads after "the account name" ("is
	// empty", "holds ' ', which is not allowed").
	Reason string
	// Err is the underlying error, if any (from shared/match for a site).
	Err error
}

// Error returns Subject + ": " + Reason.
func (e *Error) Error() string { return e.Subject + ": " + e.Reason }

// Unwrap returns Rule and Err, so that errors.Is(err, ErrSite) holds.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Rule, e.Err}
	}
	return []error{e.Rule}
}

// CheckPassphrase checks a new passphrase: valid UTF-8, at least
// MinPassphrase characters (code points, so "ééééé" counts 5 when
// composed) and at most MaxPassphraseBytes bytes. The error never holds
// the passphrase.
func CheckPassphrase(p string) error {
	why := ""
	switch n := utf8.RuneCountInString(p); {
	case p == "":
		why = "empty"
	case !utf8.ValidString(p):
		why = "not valid UTF-8"
	case len(p) > MaxPassphraseBytes:
		why = fmt.Sprintf("longer than %d bytes", MaxPassphraseBytes)
	case n < MinPassphrase:
		why = fmt.Sprintf("shorter than %d characters", MinPassphrase)
	}
	if why == "" {
		return nil
	}
	return &Error{Rule: ErrPassphrase, Subject: "passphrase", Reason: why}
}

// CheckShares checks an escrow of shares shares any threshold of which
// recover the profile: MinShares <= threshold <= shares <= MaxShares.
func CheckShares(threshold, shares int) error {
	why := ""
	switch {
	case threshold < MinShares:
		why = fmt.Sprintf("the threshold must be at least %d", MinShares)
	case shares > MaxShares:
		why = fmt.Sprintf("at most %d shares", MaxShares)
	case shares < threshold:
		why = "fewer shares than the threshold"
	}
	if why == "" {
		return nil
	}
	return &Error{Rule: ErrShares, Subject: fmt.Sprintf("escrow of %d of %d shares", threshold, shares), Reason: why}
}

// CheckAccount checks a name for a new account by the protocol's rules
// (mmm.AccountProblem): valid UTF-8, MinAccount to MaxAccount characters
// (code points), none of AccountInvalidCharacters, no space
// (unicode.IsSpace) and nothing unprintable (unicode.IsPrint). It
// returns the name as the portal stores it: unchanged (the portal compares
// names case-folded, so "Alice" and "alice" are one account, but keeps
// the name as given; nothing is trimmed).
func CheckAccount(name string) (string, error) {
	why := mmm.AccountProblem(name)
	if why == "" {
		return name, nil
	}
	return "", &Error{Rule: ErrAccount, Subject: fmt.Sprintf("account %q", truncate(name)), Reason: why}
}

// CheckSite checks a site of a password entry and returns its canonical
// form (match.CanonicalSite): a host name ("example.com", "bücher.de",
// "localhost"), a wildcard ("*.example.com": any subdomain, not the
// domain itself), an IPv4 or IPv6 address ("192.0.2.1", "[::1]"), each
// with an optional port (":8443"), or an http or https URL, of which only
// the host and port are kept. Surrounding spaces are ignored. It refuses
// anything else, anything longer than MaxSite bytes, and a site that
// would never fill a page (a wildcard over a public suffix, "*.com").
func CheckSite(s string) (string, error) {
	var cause error
	why := ""
	if len(s) > MaxSite {
		why = fmt.Sprintf("longer than %d bytes", MaxSite)
	} else if c, err := match.CanonicalSite(s); err == nil {
		return c, nil
	} else {
		cause = err
		why = "not a host name, wildcard (*.example.com), IP address or http(s) URL: " + err.Error()
	}
	return "", &Error{Rule: ErrSite, Subject: fmt.Sprintf("site %q", truncate(s)), Reason: why, Err: cause}
}

// CheckSites checks each site with CheckSite and returns their canonical
// forms in the order given, each once (nil for none). It returns the first
// refusal.
func CheckSites(sites []string) ([]string, error) {
	var out []string
	for _, s := range sites {
		c, err := CheckSite(s)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// MaxTOTP is the most bytes of an entry's one-time code URI.
const MaxTOTP = 2048

// CheckTOTP checks the one-time code secret of a password entry and
// returns it without surrounding spaces: "" (none), or an otpauth:// URI
// (the form authenticator apps read from QR codes) of type totp or hotp,
// at most MaxTOTP bytes, whose secret parameter is base32 (spaces and
// padding allowed, any case).
func CheckTOTP(uri string) (string, error) {
	uri = strings.TrimSpace(uri)
	if uri == "" {
		return "", nil
	}
	why := ""
	u, err := url.Parse(uri)
	switch {
	case len(uri) > MaxTOTP:
		why = fmt.Sprintf("longer than %d bytes", MaxTOTP)
	case err != nil || !strings.EqualFold(u.Scheme, "otpauth"):
		why = "not an otpauth:// URI"
	case !strings.EqualFold(u.Host, "totp") && !strings.EqualFold(u.Host, "hotp"):
		why = "not of type totp or hotp (otpauth://totp/...)"
	default:
		secret := strings.ToUpper(strings.NewReplacer(" ", "", "=", "").Replace(u.Query().Get("secret")))
		if secret == "" {
			why = "no secret parameter"
		} else if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret); err != nil {
			why = "the secret is not base32"
		} else {
			return uri, nil
		}
	}
	return "", &Error{Rule: ErrTOTP, Subject: "one-time code URI", Reason: why}
}

// truncate shortens an input quoted in a message to 80 bytes (on a
// character boundary), marking the cut with "...".
func truncate(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}
