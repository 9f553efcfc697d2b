package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/meshpass/meshpass/shared/passgen"
	"github.com/meshpass/meshpass/shared/policy/vectors"
)

func load(t *testing.T) *vectors.Set {
	t.Helper()
	v, err := vectors.Load()
	if err != nil {
		t.Fatalf("vectors: %v", err)
	}
	if len(v.Passphrases) == 0 || len(v.Shares) == 0 || len(v.Accounts) == 0 || len(v.Sites) == 0 || len(v.Generator) == 0 {
		t.Fatal("vectors: a list is empty")
	}
	return v
}

// checkErr fails unless err is nil for an accepted case, or wraps rule and
// is a *Error for a refused one.
func checkErr(t *testing.T, what string, ok bool, err, rule error) {
	t.Helper()
	var pe *Error
	switch {
	case ok && err != nil:
		t.Errorf("%s: refused: %v", what, err)
	case !ok && err == nil:
		t.Errorf("%s: accepted", what)
	case !ok && (!errors.Is(err, rule) || !errors.As(err, &pe) || pe.Reason == ""):
		t.Errorf("%s: error %v (%T) does not wrap %v", what, err, err, rule)
	}
}

func TestVectors(t *testing.T) {
	v := load(t)
	for _, c := range v.Passphrases {
		in := c.Input()
		err := CheckPassphrase(in)
		checkErr(t, "passphrase "+c.Note, c.OK, err, ErrPassphrase)
		if err != nil && in != "" && strings.Contains(err.Error(), in) {
			t.Errorf("the passphrase error shows the passphrase: %v", err)
		}
	}
	for _, c := range v.Shares {
		checkErr(t, "shares "+c.Note, c.OK, CheckShares(c.Threshold, c.Shares), ErrShares)
	}
	for _, c := range v.Accounts {
		got, err := CheckAccount(c.Input())
		checkErr(t, "account "+c.Input(), c.OK, err, ErrAccount)
		if c.OK && got != c.Input() {
			t.Errorf("CheckAccount(%q) = %q: changed", c.Input(), got)
		}
		if c.OK && c.Want != "" && got != c.Want {
			t.Errorf("CheckAccount(%q) = %q, want %q", c.Input(), got, c.Want)
		}
	}
	for _, c := range v.Sites {
		got, err := CheckSite(c.Input())
		checkErr(t, "site "+c.Input(), c.OK, err, ErrSite)
		if c.OK && got != c.Want {
			t.Errorf("CheckSite(%q) = %q, want %q", c.Input(), got, c.Want)
		}
		if c.OK { // the canonical form is canonical
			if again, err := CheckSite(got); err != nil || again != got {
				t.Errorf("CheckSite(%q) = %q, %v", got, again, err)
			}
		}
	}
	for _, c := range v.Generator {
		pw, err := passgen.Generate(c.Options)
		switch {
		case c.OK && (err != nil || len(pw) != c.Options.Length):
			t.Errorf("Generate(%+v) = %q, %v", c.Options, pw, err)
		case !c.OK && !errors.Is(err, passgen.ErrLength) && !errors.Is(err, passgen.ErrNoClass):
			t.Errorf("Generate(%+v) = %q, %v; want a refusal", c.Options, pw, err)
		}
	}
}

func TestMessages(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{CheckPassphrase("short"), "passphrase: shorter than 8 characters"},
		{CheckPassphrase(strings.Repeat("x", 1025)), "passphrase: longer than 1024 bytes"},
		{CheckPassphrase("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8"), "passphrase: not valid UTF-8"},
		{CheckShares(1, 3), "escrow of 1 of 3 shares: the threshold must be at least 2"},
		{CheckShares(2, 17), "escrow of 2 of 17 shares: at most 16 shares"},
		{CheckShares(3, 2), "escrow of 3 of 2 shares: fewer shares than the threshold"},
		{second(CheckAccount("al ice")), `account "al ice": holds ' ', which is not allowed`},
		{second(CheckAccount("")), `account "": is empty`},
		{second(CheckAccount("a\xffb")), `account "a\xffb": is not valid UTF-8`},
		{second(CheckSite("not a url")), `site "not a url": not a host name, wildcard (*.example.com), IP address or http(s) URL: a site holds no spaces`},
		{second(CheckSite("*.com")), `site "*.com": not a host name, wildcard (*.example.com), IP address or http(s) URL: a wildcard over the public suffix "com" matches nothing`},
		{second(CheckSite(strings.Repeat("é", 2000))), `site "` + strings.Repeat("é", 40) + `...": longer than 2048 bytes`},
	} {
		if c.err == nil || c.err.Error() != c.want {
			t.Errorf("got %v\nwant %s", c.err, c.want)
		}
	}
}

func second(_ string, err error) error { return err }

func TestCheckSites(t *testing.T) {
	got, err := CheckSites([]string{"Example.com", "https://example.com/login", "*.example.com", "[::1]:8443"})
	if err != nil || strings.Join(got, ",") != "example.com,*.example.com,[::1]:8443" {
		t.Errorf("CheckSites = %q, %v", got, err)
	}
	if got, err := CheckSites(nil); err != nil || len(got) != 0 {
		t.Errorf("CheckSites(nil) = %q, %v", got, err)
	}
	if _, err := CheckSites([]string{"example.com", "not a url"}); !errors.Is(err, ErrSite) || !strings.Contains(err.Error(), `"not a url"`) {
		t.Errorf("CheckSites with a bad site: %v", err)
	}
}

func TestConstants(t *testing.T) {
	if MinPassphrase != 8 || MaxPassphraseBytes != 1024 || MinShares != 2 || MaxShares != 16 ||
		MinAccount != 1 || MaxAccount != 64 || AccountInvalidCharacters != ".,:;{}()[]<>?|\\@#" {
		t.Error("a rule's constant changed: update the test vectors, the docs and the popup together")
	}
}

func TestCheckTOTP(t *testing.T) {
	for _, ok := range []string{"", "  ", "otpauth://totp/Bank:alice?secret=JBSWY3DPEHPK3PXP&issuer=Bank", " OTPAUTH://TOTP/x?secret=jbsw y3dp ehpk 3pxp ", "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=1"} {
		if _, err := CheckTOTP(ok); err != nil {
			t.Errorf("CheckTOTP(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"JBSWY3DPEHPK3PXP", "https://totp/x?secret=JBSWY3DPEHPK3PXP", "otpauth://motp/x?secret=JBSWY3DPEHPK3PXP", "otpauth://totp/x", "otpauth://totp/x?secret=not-base32!", "otpauth://totp/x?secret=" + strings.Repeat("A", MaxTOTP)} {
		_, err := CheckTOTP(bad)
		if !errors.Is(err, ErrTOTP) {
			t.Errorf("CheckTOTP(%q) = %v, want ErrTOTP", bad, err)
		} else if strings.Contains(err.Error(), "secret=") {
			t.Errorf("CheckTOTP(%q): the message %q shows the secret", bad, err)
		}
	}
}
