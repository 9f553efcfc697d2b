package passgen

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestClassesPresent(t *testing.T) {
	for _, o := range []Options{
		DefaultOptions(),
		{Length: MinLength, Lower: true, Upper: true, Digits: true, Symbols: true},
		{Length: MinLength, Digits: true, Symbols: true, AvoidAmbiguous: true},
		{Length: MaxLength, Lower: true},
		{Length: 12, Upper: true, Digits: true, AvoidAmbiguous: true},
	} {
		classes := o.Classes()
		all := strings.Join(classes, "")
		for range 200 {
			pw, err := Generate(o)
			if err != nil {
				t.Fatalf("Generate(%+v): %v", o, err)
			}
			if len(pw) != o.Length {
				t.Fatalf("Generate(%+v) = %q: length %d", o, pw, len(pw))
			}
			for _, c := range classes {
				if !strings.ContainsAny(pw, c) {
					t.Fatalf("Generate(%+v) = %q: nothing of %q", o, pw, c)
				}
			}
			for _, r := range pw {
				if !strings.ContainsRune(all, r) {
					t.Fatalf("Generate(%+v) = %q: %q is not in the chosen classes", o, pw, r)
				}
				if o.AvoidAmbiguous && strings.ContainsRune(Ambiguous, r) {
					t.Fatalf("Generate(%+v) = %q: look-alike %q", o, pw, r)
				}
			}
		}
	}
}

func TestDefaults(t *testing.T) {
	o := DefaultOptions()
	if o.Length != DefaultLength || !o.Lower || !o.Upper || !o.Digits || !o.Symbols || o.AvoidAmbiguous {
		t.Errorf("DefaultOptions() = %+v", o)
	}
	if MinLength != 8 || MaxLength != 128 || DefaultLength != 20 {
		t.Errorf("limits %d..%d, default %d", MinLength, MaxLength, DefaultLength)
	}
	for _, set := range []string{Lower, Upper, Digits, Symbols} {
		for _, r := range set {
			if r <= ' ' || r > '~' || strings.ContainsRune("\"'`\\", r) {
				t.Errorf("class %q holds %q", set, r)
			}
			if strings.Count(Lower+Upper+Digits+Symbols, string(r)) != 1 {
				t.Errorf("%q is in more than one class", r)
			}
		}
	}
	for _, r := range "Il1O0" {
		if !strings.ContainsRune(Ambiguous, r) {
			t.Errorf("Ambiguous lacks %q", r)
		}
	}
}

func TestRefusals(t *testing.T) {
	for _, c := range []struct {
		o    Options
		want error
	}{
		{Options{Length: 20}, ErrNoClass},
		{Options{Length: 20, AvoidAmbiguous: true}, ErrNoClass},
		{Options{Length: MinLength - 1, Lower: true}, ErrLength},
		{Options{Length: MaxLength + 1, Lower: true}, ErrLength},
		{Options{Length: 0, Lower: true}, ErrLength},
		{Options{Length: -20, Lower: true}, ErrLength},
	} {
		pw, err := Generate(c.o)
		if !errors.Is(err, c.want) || pw != "" {
			t.Errorf("Generate(%+v) = %q, %v; want %v", c.o, pw, err, c.want)
		}
		if err := c.o.Check(); !errors.Is(err, c.want) {
			t.Errorf("%+v.Check() = %v; want %v", c.o, err, c.want)
		}
	}
}

// TestUniform: within each class every character is equally likely (a
// chi-square test with a threshold far in the tail, so that it fails for a
// real bias, such as a modulo bias of about 10%, and practically never by
// chance), and every class shows up at every position.
func TestUniform(t *testing.T) {
	for _, o := range []Options{DefaultOptions(), {Length: MaxLength, Lower: true, Upper: true, Digits: true, Symbols: true, AvoidAmbiguous: true}} {
		o.Length = MaxLength
		classes := o.Classes()
		count := map[rune]int{}
		perPos := make([]map[int]bool, o.Length)
		for i := range perPos {
			perPos[i] = map[int]bool{}
		}
		for range 3000 {
			pw, err := Generate(o)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range pw {
				count[r]++
				for k, c := range classes {
					if strings.ContainsRune(c, r) {
						perPos[i][k] = true
					}
				}
			}
		}
		for _, c := range classes {
			total := 0
			for _, r := range c {
				total += count[r]
			}
			expect := float64(total) / float64(len(c))
			chi := 0.0
			for _, r := range c {
				d := float64(count[r]) - expect
				chi += d * d / expect
			}
			df := float64(len(c) - 1)
			// Mean df, standard deviation sqrt(2 df): allow 8 of them.
			if limit := df + 8*math.Sqrt(2*df); chi > limit {
				t.Errorf("class %q (AvoidAmbiguous %v): chi-square %.1f > %.1f with %d samples: not uniform", c, o.AvoidAmbiguous, chi, limit, total)
			}
		}
		for i, seen := range perPos {
			if len(seen) != len(classes) {
				t.Errorf("position %d saw only classes %v", i, seen)
			}
		}
	}
}

// TestBelow: below stays in [0, n) for every n up to 256.
func TestBelow(t *testing.T) {
	var s source
	for n := 1; n <= 256; n++ {
		for range 50 {
			k, err := s.below(n)
			if err != nil || k < 0 || k >= n {
				t.Fatalf("below(%d) = %d, %v", n, k, err)
			}
		}
	}
}
