package totp

import (
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

type vectors struct {
	Seeds map[string]string
	TOTP  []struct {
		Time      int64
		Algorithm string
		Code      string
	}
	HOTP []string
}

func loadVectors(t *testing.T) vectors {
	raw, err := os.ReadFile("testdata/rfc6238.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func b32(s string) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte(s))
}

// TestRFC6238: every vector of RFC 6238 Appendix B, through an otpauth URI.
func TestRFC6238(t *testing.T) {
	v := loadVectors(t)
	if len(v.TOTP) != 18 {
		t.Fatalf("%d vectors, want 18", len(v.TOTP))
	}
	for _, c := range v.TOTP {
		uri := fmt.Sprintf("otpauth://totp/Example:alice?secret=%s&algorithm=%s&digits=8&period=30", b32(v.Seeds[c.Algorithm]), c.Algorithm)
		code, left, err := Code(uri, time.Unix(c.Time, 0))
		if err != nil {
			t.Fatal(err)
		}
		if code != c.Code {
			t.Errorf("%s at %d: %s, want %s", c.Algorithm, c.Time, code, c.Code)
		}
		if want := 30 - int(c.Time%30); left != want {
			t.Errorf("%s at %d: %d seconds left, want %d", c.Algorithm, c.Time, left, want)
		}
	}
}

// TestRFC4226: the HOTP values of RFC 4226 Appendix D (6 digits).
func TestRFC4226(t *testing.T) {
	v := loadVectors(t)
	for i, want := range v.HOTP {
		uri := fmt.Sprintf("otpauth://hotp/x?secret=%s&counter=%d", strings.ToLower(b32(v.Seeds["SHA1"])), i)
		code, left, err := Code(uri, time.Now())
		if err != nil || code != want || left != 0 {
			t.Errorf("counter %d: %q %d %v, want %s", i, code, left, err, want)
		}
	}
}

func TestDefaultsAndURI(t *testing.T) {
	u, err := URI("jbsw y3dp ehpk 3pxp", "Bank", "erin")
	if err != nil {
		t.Fatal(err)
	}
	if u != "otpauth://totp/Bank:erin?issuer=Bank&secret=JBSWY3DPEHPK3PXP" {
		t.Fatalf("URI: %s", u)
	}
	k, err := Parse(u)
	if err != nil || k.Digits != 6 || k.Period != 30 || k.Algorithm != "SHA1" || k.Issuer != "Bank" {
		t.Fatalf("Parse: %+v %v", k, err)
	}
	code, left, err := Code(u, time.Unix(59, 0))
	if err != nil || len(code) != 6 || left != 1 {
		t.Fatalf("Code: %q %d %v", code, left, err)
	}
}

// TestRefused: bad URIs are refused with ErrURI, and the message never
// holds the secret.
func TestRefused(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXP"
	for _, uri := range []string{
		"",
		"https://example.com/?secret=" + secret,
		"otpauth://sotp/x?secret=" + secret,
		"otpauth://totp/x",
		"otpauth://totp/x?secret=",
		"otpauth://totp/x?secret=" + secret + "1!",
		"otpauth://totp/x?secret=" + secret + "&algorithm=MD5",
		"otpauth://totp/x?secret=" + secret + "&digits=5",
		"otpauth://totp/x?secret=" + secret + "&digits=9",
		"otpauth://totp/x?secret=" + secret + "&period=0",
		"otpauth://totp/x?secret=" + secret + "&period=abc",
		"otpauth://hotp/x?secret=" + secret,
		"otpauth://totp/x?secret=" + secret + "&" + strings.Repeat("a", MaxURI),
		"otpauth://totp/x?secret=" + secret + "%zz",
	} {
		_, _, err := Code(uri, time.Now())
		if !errors.Is(err, ErrURI) {
			t.Errorf("%.60q: %v, want ErrURI", uri, err)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error holds the secret: %v", err)
		}
	}
}

// FuzzCode: any URI gives a code of the digits it asks for, or ErrURI;
// never a panic.
func FuzzCode(f *testing.F) {
	f.Add("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&digits=8&algorithm=SHA512&period=60", int64(59))
	f.Add("otpauth://hotp/a?secret=JBSWY3DPEHPK3PXP&counter=5", int64(0))
	f.Fuzz(func(t *testing.T, uri string, at int64) {
		k, err := Parse(uri)
		if err != nil {
			if !errors.Is(err, ErrURI) {
				t.Fatalf("%v does not wrap ErrURI", err)
			}
			return
		}
		code, left := k.At(time.Unix(at, 0))
		if len(code) != k.Digits || left < 0 || left > k.Period {
			t.Fatalf("code %q, %d left for %+v", code, left, k)
		}
	})
}
