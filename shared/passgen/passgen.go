// Package passgen is meshpass's one password generator, used by the
// command line (cmd/meshpass) and, through the wasm core, by the
// extension's popup.
//
// A password is drawn uniformly from every password of the chosen length
// over the chosen character classes that holds at least one character of
// each chosen class: characters come from crypto/rand by rejection
// sampling (no modulo bias), and a password missing a class is drawn
// again rather than patched, so no position or class is favoured.
package passgen

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
)

// Length limits, in characters.
const (
	// MinLength is the shortest password Generate makes.
	MinLength = 8
	// MaxLength is the longest password Generate makes.
	MaxLength = 128
	// DefaultLength is the length of DefaultOptions.
	DefaultLength = 20
)

// The character classes. Every character is printable ASCII; there are no
// spaces, quotes, backslashes or backticks, which sites and shells often
// mishandle.
const (
	// Lower is the lowercase class.
	Lower = "abcdefghijklmnopqrstuvwxyz"
	// Upper is the uppercase class.
	Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	// Digits is the digit class.
	Digits = "0123456789"
	// Symbols is the one symbol class.
	Symbols = "!#$%&()*+,-./:;<=>?@[]^_{|}~"
	// Ambiguous are the look-alike characters Options.AvoidAmbiguous
	// leaves out: capital i, lowercase L, one and the bar; capital o,
	// zero and lowercase o.
	Ambiguous = "Il1|O0o"
)

// Errors of Generate, wrapped with detail; test with errors.Is.
var (
	// ErrNoClass means no character class was chosen.
	ErrNoClass = errors.New("passgen: choose at least one kind of character")
	// ErrLength means the length is outside MinLength..MaxLength.
	ErrLength = fmt.Errorf("passgen: the length must be %d to %d", MinLength, MaxLength)
)

// Options say what password to generate. The JSON names are those the
// wasm core and the shared test vectors use.
type Options struct {
	// Length is the number of characters, MinLength to MaxLength.
	Length int `json:"length"`
	// Lower, Upper, Digits and Symbols choose the classes the password
	// draws from; it holds at least one character of each chosen class.
	Lower   bool `json:"lower"`
	Upper   bool `json:"upper"`
	Digits  bool `json:"digits"`
	Symbols bool `json:"symbols"`
	// AvoidAmbiguous leaves out the Ambiguous look-alikes.
	AvoidAmbiguous bool `json:"avoidAmbiguous"`
}

// DefaultOptions are DefaultLength characters of every class.
func DefaultOptions() Options {
	return Options{Length: DefaultLength, Lower: true, Upper: true, Digits: true, Symbols: true}
}

// Classes returns the character sets o chooses, in the order Lower, Upper,
// Digits, Symbols, without the Ambiguous characters if o.AvoidAmbiguous.
func (o Options) Classes() []string {
	var out []string
	for _, c := range []struct {
		on  bool
		set string
	}{{o.Lower, Lower}, {o.Upper, Upper}, {o.Digits, Digits}, {o.Symbols, Symbols}} {
		if !c.on {
			continue
		}
		set := c.set
		if o.AvoidAmbiguous {
			set = strings.Map(func(r rune) rune {
				if strings.ContainsRune(Ambiguous, r) {
					return -1
				}
				return r
			}, set)
		}
		out = append(out, set)
	}
	return out
}

// Check reports whether Generate accepts o: an error wrapping ErrLength or
// ErrNoClass, or nil.
func (o Options) Check() error {
	if o.Length < MinLength || o.Length > MaxLength {
		return fmt.Errorf("%w, not %d", ErrLength, o.Length)
	}
	if !o.Lower && !o.Upper && !o.Digits && !o.Symbols {
		return ErrNoClass
	}
	return nil
}

// Generate returns a random password as o says (see the package comment),
// or an error wrapping ErrLength or ErrNoClass.
func Generate(o Options) (string, error) {
	if err := o.Check(); err != nil {
		return "", err
	}
	classes := o.Classes()
	all := strings.Join(classes, "")
	var src source
	pw := make([]byte, o.Length)
	for {
		for i := range pw {
			k, err := src.below(len(all))
			if err != nil {
				return "", err
			}
			pw[i] = all[k]
		}
		if hasEach(pw, classes) {
			return string(pw), nil
		}
	}
}

// hasEach reports whether pw holds a character of every class.
func hasEach(pw []byte, classes []string) bool {
	for _, c := range classes {
		if !strings.ContainsAny(string(pw), c) {
			return false
		}
	}
	return true
}

// source draws uniform small numbers from crypto/rand, a buffer at a time.
type source struct {
	buf [64]byte
	n   int // bytes of buf not used yet, at its end
}

// below returns a uniform number in [0, n), 0 < n <= 256, rejecting the
// bytes at or above the largest multiple of n.
func (s *source) below(n int) (int, error) {
	limit := 256 - 256%n
	for {
		if s.n == 0 {
			if _, err := rand.Read(s.buf[:]); err != nil {
				return 0, err
			}
			s.n = len(s.buf)
		}
		b := int(s.buf[len(s.buf)-s.n])
		s.n--
		if b < limit {
			return b % n, nil
		}
	}
}
