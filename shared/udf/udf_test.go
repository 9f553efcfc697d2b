package udf

import (
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"
)

type seedKey struct {
	Line int    `json:"line"`
	Kid  string `json:"kid"`
	N    string `json:"n"`
	E    string `json:"e"`
}

// TestSeedKeyFingerprints reproduces the kid of each of the nine RSA keys
// printed in full in draft-hallambaker-mesh-architecture-01.
func TestSeedKeyFingerprints(t *testing.T) {
	raw, err := os.ReadFile("testdata/seed-keys.json")
	if err != nil {
		t.Fatal(err)
	}
	var keys []seedKey
	if err := json.Unmarshal(raw, &keys); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 9 {
		t.Fatalf("testdata has %d seed keys, want 9", len(keys))
	}
	for _, k := range keys {
		n, err := base64.RawURLEncoding.DecodeString(k.N)
		if err != nil {
			t.Fatalf("%s: n: %v", k.Kid, err)
		}
		e, err := base64.RawURLEncoding.DecodeString(k.E)
		if err != nil {
			t.Fatalf("%s: e: %v", k.Kid, err)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		got, err := KeyFingerprint(pub, 0)
		if err != nil {
			t.Fatalf("%s: %v", k.Kid, err)
		}
		if got != k.Kid {
			t.Errorf("seed line %d: fingerprint %s, the seed prints %s", k.Line, got, k.Kid)
		}
	}
}

func TestFingerprintShape(t *testing.T) {
	data := []byte("hello")
	for bits := MinBits; bits <= MaxBits; bits += 25 {
		for _, f := range []func(string, []byte, int) (string, error){Fingerprint, FingerprintSHA3} {
			fp, err := f("text/plain", data, bits)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(strings.ReplaceAll(fp, "-", "")); n != bits/5 {
				t.Errorf("bits %d: %d characters", bits, n)
			}
			canon, err := Parse(strings.ToLower(strings.ReplaceAll(fp, "-", "")))
			if err != nil || canon != fp {
				t.Errorf("Parse(%s) = %q, %v", fp, canon, err)
			}
		}
	}
	sha2, _ := Fingerprint("text/plain", data, 0)
	sha3, _ := FingerprintSHA3("text/plain", data, 0)
	if sha2[0] != 'M' || sha3[0] != 'S' {
		t.Errorf("version letters: %s %s", sha2, sha3)
	}
	other, _ := Fingerprint("text/html", data, 0)
	if other == sha2 {
		t.Error("content type does not change the fingerprint")
	}
	// A longer fingerprint extends a shorter one except in the last,
	// partial character of the shorter.
	long, _ := Fingerprint("text/plain", data, 500)
	if !strings.HasPrefix(strings.ReplaceAll(long, "-", ""), strings.ReplaceAll(sha2, "-", "")[:29]) {
		t.Errorf("%s is not a prefix of %s", sha2, long)
	}
}

func TestBitsOutOfRange(t *testing.T) {
	for _, bits := range []int{-25, 1, 100, 124, 130, 149, 151, 525, 1 << 30} {
		if _, err := Fingerprint("a", nil, bits); !errors.Is(err, ErrBits) {
			t.Errorf("Fingerprint bits %d: %v", bits, err)
		}
		if _, err := FingerprintSHA3("a", nil, bits); !errors.Is(err, ErrBits) {
			t.Errorf("FingerprintSHA3 bits %d: %v", bits, err)
		}
	}
}

func TestKeyFingerprintEd25519(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(nil)
	fp, err := KeyFingerprint(pub, 0)
	if err != nil || fp[0] != 'M' {
		t.Fatalf("%q %v", fp, err)
	}
	if _, err := KeyFingerprint(struct{}{}, 0); err == nil {
		t.Error("fingerprint of a non-key")
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{
		"",
		"MDJVA",
		"MDJVA-GWBES-2YXPA-7FHWU-GNTHE-D2EL",   // 29 characters
		"MDJVA-GWBES-2YXPA-7FHWU-GNTHE-D2EL1",  // '1' not in alphabet
		"MDJVA-GWBES-2YXPA-7FHWU-GNTHE-D2EL=",  // padding
		"ADJVA-GWBES-2YXPA-7FHWU-GNTHE-D2ELD",  // unknown version
		"MDJVA GWBES 2YXPA 7FHWU GNTHE D2ELD",  // spaces
		"MDJVA-GWBES-2YXPA-7FHWU-GNTHE-D2ELDé", // non-ASCII
		strings.Repeat("M", 105),               // over 500 bits
	} {
		if _, err := Parse(s); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want ErrSyntax", s, err)
		}
	}
	if !Equal("mdjva-gwbes-2yxpa-7fhwu-gnthe-d2eld", "MDJVAGWBES2YXPA7FHWUGNTHED2ELD") {
		t.Error("Equal ignores case and dashes")
	}
	if Equal("x", "x") {
		t.Error("malformed fingerprints are never equal")
	}
}

func FuzzParse(f *testing.F) {
	f.Add("MDJVA-GWBES-2YXPA-7FHWU-GNTHE-D2ELD")
	f.Add("mdjvagwbes2yxpa7fhwugnthed2eld")
	f.Add("SAAAA-AAAAA-AAAAA-AAAAA-AAAAA")
	f.Add("----")
	f.Fuzz(func(t *testing.T, s string) {
		canon, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(canon)
		if err != nil || again != canon {
			t.Fatalf("Parse not idempotent: %q -> %q -> %q, %v", s, canon, again, err)
		}
		if !Equal(s, canon) {
			t.Fatalf("Equal(%q, %q) false", s, canon)
		}
	})
}

func BenchmarkKeyFingerprint(b *testing.B) {
	pub, _, _ := ed25519.GenerateKey(nil)
	for b.Loop() {
		if _, err := KeyFingerprint(pub, 0); err != nil {
			b.Fatal(err)
		}
	}
}
