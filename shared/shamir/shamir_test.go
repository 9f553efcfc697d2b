package shamir

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func randomSecret(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func mustSplit(t testing.TB, secret []byte, threshold, shares int) []Share {
	t.Helper()
	s, err := Split(secret, threshold, shares)
	if err != nil {
		t.Fatalf("Split(%d bytes, %d, %d): %v", len(secret), threshold, shares, err)
	}
	return s
}

func equalShares(a, b Share) bool {
	return a.splitID == b.splitID && a.threshold == b.threshold &&
		a.index == b.index && bytes.Equal(a.data, b.data)
}

// slowMul multiplies in GF(2⁸) by carry-less multiplication of polynomials
// followed by long division by 0x11b: an implementation independent of mul.
func slowMul(a, b byte) byte {
	var p uint16
	for i := range 8 {
		if b>>i&1 == 1 {
			p ^= uint16(a) << i
		}
	}
	for i := 15; i >= 8; i-- {
		if p>>i&1 == 1 {
			p ^= 0x11b << (i - 8)
		}
	}
	return byte(p)
}

func TestMulKnownValues(t *testing.T) {
	// FIPS-197, section 4.2 and 4.2.1.
	for _, c := range []struct{ a, b, want byte }{
		{0x57, 0x83, 0xc1},
		{0x57, 0x13, 0xfe},
		{0x57, 0x02, 0xae},
		{0x57, 0x04, 0x47},
		{0x57, 0x08, 0x8e},
		{0x57, 0x10, 0x07},
		{0x00, 0xff, 0x00},
		{0x01, 0xab, 0xab},
	} {
		if got := mul(c.a, c.b); got != c.want {
			t.Errorf("mul(%#02x, %#02x) = %#02x, want %#02x", c.a, c.b, got, c.want)
		}
	}
}

func TestMulAllPairs(t *testing.T) {
	for a := range 256 {
		for b := range 256 {
			got, want := mul(byte(a), byte(b)), slowMul(byte(a), byte(b))
			if got != want {
				t.Fatalf("mul(%#02x, %#02x) = %#02x, want %#02x", a, b, got, want)
			}
		}
	}
}

func TestInv(t *testing.T) {
	if got := inv(0); got != 0 {
		t.Errorf("inv(0) = %#02x, want 0", got)
	}
	// FIPS-197, section 4.4: {53}·{ca} = {01}.
	if got := inv(0x53); got != 0xca {
		t.Errorf("inv(0x53) = %#02x, want 0xca", got)
	}
	for a := 1; a < 256; a++ {
		if p := mul(byte(a), inv(byte(a))); p != 1 {
			t.Errorf("%#02x · inv(%#02x) = %#02x, want 1", a, a, p)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	type combo struct{ threshold, shares int }
	var combos []combo
	for n := 2; n <= 7; n++ {
		for m := n; m <= 8; m++ {
			combos = append(combos, combo{n, m})
		}
	}
	combos = append(combos, combo{2, 255}, combo{17, 40}, combo{255, 255})
	for _, c := range combos {
		for _, size := range []int{1, 16, 32, 64} {
			secret := randomSecret(t, size)
			shares := mustSplit(t, secret, c.threshold, c.shares)
			if len(shares) != c.shares {
				t.Fatalf("%v: got %d shares", c, len(shares))
			}
			for i, s := range shares {
				if s.Index() != i+1 || s.Threshold() != c.threshold ||
					s.SplitID() != shares[0].SplitID() || len(s.data) != size {
					t.Fatalf("%v: share %d has index %d, threshold %d, split %08x, %d bytes",
						c, i, s.Index(), s.Threshold(), s.SplitID(), len(s.data))
				}
			}
			// The first, the last, and the last in reverse order, each
			// through their text form.
			subsets := [][]Share{
				shares[:c.threshold],
				shares[c.shares-c.threshold:],
			}
			rev := make([]Share, c.threshold)
			for i := range rev {
				rev[i] = shares[c.shares-1-i]
			}
			subsets = append(subsets, rev)
			for _, sub := range subsets {
				parsed := make([]Share, len(sub))
				for i, s := range sub {
					p, err := ParseShare(s.String())
					if err != nil {
						t.Fatalf("%v: ParseShare(%q): %v", c, s, err)
					}
					if !equalShares(p, s) {
						t.Fatalf("%v: ParseShare(%q) = %+v, want %+v", c, s, p, s)
					}
					parsed[i] = p
				}
				got, err := Combine(parsed)
				if err != nil {
					t.Fatalf("%v, %d bytes: Combine: %v", c, size, err)
				}
				if !bytes.Equal(got, secret) {
					t.Fatalf("%v, %d bytes: Combine = %x, want %x", c, size, got, secret)
				}
			}
		}
	}
}

// subsets calls f with every subset of {0, ..., n-1}, in increasing order.
func subsets(n int, f func([]int)) {
	for mask := range 1 << n {
		var sub []int
		for i := range n {
			if mask>>i&1 == 1 {
				sub = append(sub, i)
			}
		}
		f(sub)
	}
}

func TestEverySubset(t *testing.T) {
	secret := randomSecret(t, 32)
	shares := mustSplit(t, secret, 3, 5)
	ok := 0
	subsets(5, func(idx []int) {
		// Every subset, forwards and backwards.
		for _, reverse := range []bool{false, true} {
			var sub []Share
			for _, i := range idx {
				sub = append(sub, shares[i])
			}
			if reverse {
				for i, j := 0, len(sub)-1; i < j; i, j = i+1, j-1 {
					sub[i], sub[j] = sub[j], sub[i]
				}
			}
			got, err := Combine(sub)
			if len(idx) < 3 {
				if !errors.Is(err, ErrTooFewShares) {
					t.Errorf("Combine(shares %v) = %x, %v; want ErrTooFewShares", idx, got, err)
				}
				continue
			}
			if err != nil || !bytes.Equal(got, secret) {
				t.Errorf("Combine(shares %v) = %x, %v; want %x", idx, got, err, secret)
				continue
			}
			if len(idx) == 3 && !reverse {
				ok++
			}
		}
	})
	if ok != 10 {
		t.Errorf("%d subsets of 3 shares worked, want 10", ok)
	}
}

func TestTooFewShares(t *testing.T) {
	shares := mustSplit(t, randomSecret(t, 32), 3, 5)
	for _, sub := range [][]Share{nil, {}, shares[:1], shares[3:]} {
		_, err := Combine(sub)
		if !errors.Is(err, ErrTooFewShares) {
			t.Errorf("Combine(%d shares) error = %v, want ErrTooFewShares", len(sub), err)
		}
	}
	_, err := Combine(shares[1:3])
	if err == nil || !strings.Contains(err.Error(), "need 3 shares, got 2") {
		t.Errorf("Combine(2 shares) error = %v, want it to say \"need 3 shares, got 2\"", err)
	}
}

func TestDifferentSplits(t *testing.T) {
	secret := randomSecret(t, 32)
	a := mustSplit(t, secret, 2, 3)
	b := mustSplit(t, secret, 2, 3)
	if a[0].SplitID() == b[0].SplitID() {
		t.Fatal("two splits have the same split ID")
	}
	for _, sub := range [][]Share{
		{a[0], b[1]},
		{b[1], a[0]},
		{a[0], a[1], b[2]}, // the odd one out is an extra share
		{a[0], b[0]},       // same index
	} {
		got, err := Combine(sub)
		if !errors.Is(err, ErrDifferentSplits) {
			t.Errorf("Combine(mixed splits) = %x, %v; want ErrDifferentSplits", got, err)
		}
	}
}

func TestDuplicateIndex(t *testing.T) {
	shares := mustSplit(t, randomSecret(t, 32), 2, 3)
	altered := shares[1]
	altered.data = bytes.Clone(altered.data)
	altered.data[0] ^= 1
	for _, sub := range [][]Share{
		{shares[1], shares[1]},
		{shares[1], altered},
		{shares[0], shares[2], shares[0]}, // the duplicate is an extra share
	} {
		got, err := Combine(sub)
		if !errors.Is(err, ErrDuplicateIndex) {
			t.Errorf("Combine(duplicates) = %x, %v; want ErrDuplicateIndex", got, err)
		}
	}
}

func TestMismatchAndInvalid(t *testing.T) {
	shares := mustSplit(t, randomSecret(t, 32), 2, 3)
	with := func(f func(*Share)) Share {
		s := shares[1]
		s.data = bytes.Clone(s.data)
		f(&s)
		return s
	}
	for _, c := range []struct {
		name  string
		share Share
		want  error
	}{
		{"threshold", with(func(s *Share) { s.threshold = 3 }), ErrMismatch},
		{"length", with(func(s *Share) { s.data = s.data[:31] }), ErrMismatch},
		{"index 0", with(func(s *Share) { s.index = 0 }), ErrInvalidShare},
		{"threshold 1", with(func(s *Share) { s.threshold = 1 }), ErrInvalidShare},
		{"empty", with(func(s *Share) { s.data = nil }), ErrInvalidShare},
		{"too long", with(func(s *Share) { s.data = make([]byte, 65) }), ErrInvalidShare},
		{"zero Share", Share{}, ErrInvalidShare},
	} {
		for _, sub := range [][]Share{{shares[0], c.share}, {c.share, shares[0]}} {
			got, err := Combine(sub)
			if !errors.Is(err, c.want) {
				t.Errorf("%s: Combine = %x, %v; want %v", c.name, got, err, c.want)
			}
		}
	}
}

func TestSplitErrors(t *testing.T) {
	for _, c := range []struct{ size, threshold, shares int }{
		{0, 2, 3},
		{65, 2, 3},
		{32, 1, 3},
		{32, 0, 0},
		{32, -1, 3},
		{32, 3, 2},
		{32, 2, 256},
		{32, 256, 256},
		{32, 2, -1},
	} {
		s, err := Split(make([]byte, c.size), c.threshold, c.shares)
		if err == nil {
			t.Errorf("Split(%d bytes, %d, %d) = %d shares, want error", c.size, c.threshold, c.shares, len(s))
		}
	}
}

func TestSplitDoesNotAliasSecret(t *testing.T) {
	secret := randomSecret(t, 16)
	shares := mustSplit(t, secret, 2, 2)
	want := bytes.Clone(secret)
	secret[0] ^= 0xff
	got, err := Combine(shares)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("Combine = %x, %v; want %x", got, err, want)
	}
}

func TestStringFormat(t *testing.T) {
	s := mustSplit(t, randomSecret(t, 32), 2, 3)[0]
	text := s.String()
	groups := strings.Split(text, "-")
	// 7 header + 32 share + 4 checksum bytes = 43 bytes = 69 characters.
	if len(groups) != 14 {
		t.Errorf("%q has %d groups, want 14", text, len(groups))
	}
	for i, g := range groups {
		if len(g) != 5 && !(i == len(groups)-1 && len(g) == 4) {
			t.Errorf("%q: group %d is %q", text, i+1, g)
		}
		if strings.Trim(g, alphabet) != "" {
			t.Errorf("%q: group %q has characters outside the alphabet", text, g)
		}
	}
}

func TestParseTolerant(t *testing.T) {
	s := mustSplit(t, randomSecret(t, 32), 2, 3)[2]
	text := s.String()
	bare := strings.ReplaceAll(text, "-", "")
	var spaced, weird strings.Builder
	for i, r := range bare {
		if i > 0 && i%4 == 0 {
			spaced.WriteByte(' ')
		}
		spaced.WriteRune(r)
		weird.WriteRune(r)
		weird.WriteString([]string{"", "-", " ", "\t", "\n", "--", " - ", "\r\n", "\u00a0"}[i%9])
	}
	for _, in := range []string{
		text,
		strings.ToLower(text),
		bare,
		strings.ToLower(bare),
		spaced.String(),
		"  " + text + "\n",
		"-" + strings.ReplaceAll(text, "-", " - ") + "-",
		weird.String(),
		mixedCase(text),
	} {
		p, err := ParseShare(in)
		if err != nil {
			t.Errorf("ParseShare(%q): %v", in, err)
			continue
		}
		if !equalShares(p, s) {
			t.Errorf("ParseShare(%q) = %+v, want %+v", in, p, s)
		}
	}
}

func mixedCase(s string) string {
	b := []byte(s)
	for i := range b {
		if i%2 == 0 && 'A' <= b[i] && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

// TestEveryTypo replaces each character of a share's text by every other
// character of the alphabet, and checks ParseShare refuses every result.
func TestEveryTypo(t *testing.T) {
	for _, size := range []int{1, 32, 64} {
		s := mustSplit(t, randomSecret(t, size), 2, 3)[1]
		text := []byte(s.String())
		tried, checksum := 0, 0
		for i, orig := range text {
			if orig == '-' {
				continue
			}
			for _, c := range []byte(alphabet) {
				if c == orig {
					continue
				}
				text[i] = c
				p, err := ParseShare(string(text))
				tried++
				switch {
				case err == nil:
					t.Errorf("%d bytes: typo %q at %d accepted: %q parsed to %+v", size, c, i+1, text, p)
				case errors.Is(err, ErrChecksum):
					checksum++
				case errors.Is(err, ErrUnknownVersion):
					if i >= 2 {
						t.Errorf("%d bytes: typo %q at %d gave %v", size, c, i+1, err)
					}
				default:
					t.Errorf("%d bytes: typo %q at %d gave unexpected error %v", size, c, i+1, err)
				}
			}
			text[i] = orig
		}
		t.Logf("%d bytes: %d typos refused, %d by the checksum", size, tried, checksum)
		if want := len(strings.ReplaceAll(string(text), "-", "")) * 31; tried != want {
			t.Errorf("%d bytes: tried %d typos, want %d", size, tried, want)
		}
	}
}

// TestEveryBadCharacter replaces each character by characters outside the
// alphabet and checks the error names the character and its position.
func TestEveryBadCharacter(t *testing.T) {
	s := mustSplit(t, randomSecret(t, 32), 2, 3)[0]
	text := []rune(s.String())
	for i, orig := range text {
		for _, c := range []rune{'0', '1', '8', '9', '+', '/', '=', '_', '.', 'é', '\x00', '\uFFFD'} {
			text[i] = c
			_, err := ParseShare(string(text))
			if !errors.Is(err, ErrInvalidCharacter) {
				t.Errorf("character %q at %d: error %v, want ErrInvalidCharacter", c, i+1, err)
				continue
			}
			want := fmt.Sprintf("%q at position %d", c, i+1)
			if !strings.Contains(err.Error(), want) {
				t.Errorf("character %q at %d: error %q does not contain %q", c, i+1, err, want)
			}
		}
		text[i] = orig
	}
	_, err := ParseShare(" " + s.String()[:6] + "0")
	if err == nil || !strings.Contains(err.Error(), "'0' at position 8") {
		t.Errorf("error %v, want '0' at position 8", err)
	}
}

func TestParseLength(t *testing.T) {
	s := mustSplit(t, randomSecret(t, 32), 2, 3)[0]
	bare := strings.ReplaceAll(s.String(), "-", "")
	for _, in := range []string{"", "   ", "-----", "A", bare[:19], bare + strings.Repeat("A", 60)} {
		_, err := ParseShare(in)
		if !errors.Is(err, ErrLength) {
			t.Errorf("ParseShare(%q) error = %v, want ErrLength", in, err)
		}
	}
	// Deleting or inserting one character anywhere must be refused.
	for i := range len(bare) + 1 {
		if i < len(bare) {
			in := bare[:i] + bare[i+1:]
			if _, err := ParseShare(in); err == nil {
				t.Errorf("ParseShare with character %d deleted succeeded", i+1)
			}
		}
		for _, c := range alphabet {
			in := bare[:i] + string(c) + bare[i:]
			if _, err := ParseShare(in); err == nil {
				t.Errorf("ParseShare with %q inserted at %d succeeded", c, i+1)
			}
		}
	}
}

// encodeRaw builds the text form of an arbitrary binary share body,
// with a correct checksum.
func encodeRaw(body []byte) string {
	return encodeBase32(append(bytes.Clone(body), checksum(body)...))
}

func TestParseStructural(t *testing.T) {
	data := bytes.Repeat([]byte{0x42}, 32)
	body := func(version, threshold, index byte, data []byte) []byte {
		return append([]byte{version, 1, 2, 3, 4, threshold, index}, data...)
	}
	valid := encodeRaw(body(1, 2, 1, data))
	p, err := ParseShare(valid)
	if err != nil || p.SplitID() != 0x01020304 || p.Threshold() != 2 || p.Index() != 1 || !bytes.Equal(p.data, data) {
		t.Fatalf("ParseShare(valid) = %+v, %v", p, err)
	}
	for _, c := range []struct {
		name string
		text string
		want error
	}{
		{"version 0", encodeRaw(body(0, 2, 1, data)), ErrUnknownVersion},
		{"version 2", encodeRaw(body(2, 2, 1, data)), ErrUnknownVersion},
		{"index 0", encodeRaw(body(1, 2, 0, data)), ErrInvalidShare},
		{"threshold 0", encodeRaw(body(1, 0, 1, data)), ErrInvalidShare},
		{"threshold 1", encodeRaw(body(1, 1, 1, data)), ErrInvalidShare},
		{"no data", encodeRaw(body(1, 2, 1, nil)), ErrLength},
		{"65 bytes", encodeRaw(body(1, 2, 1, make([]byte, 65))), ErrLength},
		{"bad checksum", encodeBase32(append(body(1, 2, 1, data), 0, 0, 0, 0)), ErrChecksum},
	} {
		_, err := ParseShare(c.text)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
	}
	if ErrChecksum.Error() != "checksum wrong: the share was mistyped" {
		t.Errorf("ErrChecksum = %q", ErrChecksum)
	}
}

// TestNonCanonicalPadding checks that the unused low bits of the last
// character must be zero, so that each share has exactly one text form.
func TestNonCanonicalPadding(t *testing.T) {
	s := mustSplit(t, randomSecret(t, 32), 2, 3)[0]
	bare := strings.ReplaceAll(s.String(), "-", "")
	last, _ := base32Value(rune(bare[len(bare)-1]))
	// 43 bytes = 344 bits = 68 characters and 4 bits: 1 bit is unused.
	in := bare[:len(bare)-1] + string(alphabet[last|1])
	if _, err := ParseShare(in); !errors.Is(err, ErrChecksum) {
		t.Errorf("ParseShare(non-canonical) error = %v, want ErrChecksum", err)
	}
}

func TestBase32MatchesStandard(t *testing.T) {
	// Compare against encoding/base32 for every length a share can have.
	for n := range 80 {
		b := randomSecret(t, n)
		got := encodeBase32(b)
		want := stdBase32(b)
		if got != want {
			t.Fatalf("encodeBase32(%x) = %q, want %q", b, got, want)
		}
		vals := make([]byte, len(got))
		for i := range got {
			vals[i], _ = base32Value(rune(got[i]))
		}
		dec, ok := decodeBase32(vals)
		if !ok || !bytes.Equal(dec, b) {
			t.Fatalf("decodeBase32(%q) = %x, %v; want %x", got, dec, ok, b)
		}
	}
}

func FuzzParseShare(f *testing.F) {
	for _, size := range []int{1, 2, 16, 32, 63, 64} {
		for _, s := range mustSplit(f, randomSecret(f, size), 2, 3) {
			f.Add(s.String())
			f.Add(strings.ToLower(strings.ReplaceAll(s.String(), "-", " ")))
		}
	}
	for _, junk := range []string{
		"", "-", " ", "A", "AAAAA-AAAAA-AAAAA-AAAAA", "0123456789",
		"AEAAAAAAAAAAAAAAAAAAAAAA", "\xff\xfe", "é", strings.Repeat("7", 200),
		encodeRaw([]byte{1, 0, 0, 0, 0, 2, 0, 42}),
		encodeRaw([]byte{1, 0, 0, 0, 0, 255, 255, 42}),
	} {
		f.Add(junk)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseShare(in)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if err := s.validate(); err != nil {
			t.Fatalf("ParseShare(%q) returned an invalid share: %v", in, err)
		}
		text := s.String()
		s2, err := ParseShare(text)
		if err != nil {
			t.Fatalf("ParseShare(%q) = %+v, but ParseShare(%q): %v", in, s, text, err)
		}
		if !equalShares(s, s2) {
			t.Fatalf("ParseShare(%q) = %+v, but ParseShare(%q) = %+v", in, s, text, s2)
		}
		if s2.String() != text {
			t.Fatalf("String not stable: %q, then %q", text, s2.String())
		}
	})
}

func stdBase32(b []byte) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}
