package importer

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/totp"
	"github.com/meshpass/meshpass/shared/vault"
	"github.com/tobischo/gokeepasslib/v3"
	"github.com/tobischo/gokeepasslib/v3/wrappers"
)

// The fixtures' shared values (testdata/README.md).
const (
	ghPassword = "gh-Pässwörd-3"
	ghNotes    = "Line one\nLigne deux — ünïcödé ✓"
	ghTOTP     = "JBSWY3DPEHPK3PXP"
	kdbxPass   = "fixture password"
	bwPass     = "export password"
)

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func find(t *testing.T, r *Result, name string) vault.Entry {
	t.Helper()
	for _, e := range r.Entries {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("no entry %q in %d entries", name, len(r.Entries))
	return vault.Entry{}
}

func field(e vault.Entry, name string) (vault.Field, bool) {
	for _, f := range e.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return vault.Field{}, false
}

// wantField checks a custom field's value and hiddenness.
func wantField(t *testing.T, e vault.Entry, name, value string, hidden bool) {
	t.Helper()
	for _, f := range e.Fields {
		if f.Name == name && f.Value == value {
			if f.Hidden != hidden {
				t.Errorf("%s: field %q hidden %v, want %v", e.Name, name, f.Hidden, hidden)
			}
			return
		}
	}
	f, ok := field(e, name)
	t.Errorf("%s: no field %q = %q (first of that name %+v, present %v)", e.Name, name, value, f, ok)
}

// wantHistory checks an entry's History: its earlier passwords, one
// "date<TAB>password" a line, newest first, and no other field's.
func wantHistory(t *testing.T, e vault.Entry, want string) {
	t.Helper()
	var lines []string
	for _, c := range e.History {
		if c.Field != "Password" || c.Writer != "" {
			t.Errorf("%s: history of field %q by %q", e.Name, c.Field, c.Writer)
		}
		lines = append(lines, c.Time.UTC().Format(time.RFC3339)+"\t"+c.Value)
	}
	if got := strings.Join(lines, "\n"); got != want {
		t.Errorf("%s: history\n%s\nwant\n%s", e.Name, got, want)
	}
	if _, hidden := field(e, "Password history"); hidden {
		t.Errorf("%s: a custom field \"Password history\"", e.Name)
	}
}

// wantTOTP checks that an entry's one-time code URI has the secret.
func wantTOTP(t *testing.T, e vault.Entry, secret string) {
	t.Helper()
	k, err := totp.Parse(e.TOTP)
	if err != nil {
		t.Errorf("%s: TOTP %q: %v", e.Name, e.TOTP, err)
		return
	}
	want, _ := totp.DecodeSecret(secret)
	if !bytes.Equal(k.Secret, want) {
		t.Errorf("%s: TOTP secret differs", e.Name)
	}
}

func wantLogin(t *testing.T, e vault.Entry, sites []string, user, pw string) {
	t.Helper()
	if !slices.Equal(e.Sites, sites) || e.Username != user || e.Password != pw {
		t.Errorf("%s: sites %q user %q password %q; want %q %q %q", e.Name, e.Sites, e.Username, e.Password, sites, user, pw)
	}
}

func wantSkipped(t *testing.T, r *Result, item, reason string) {
	t.Helper()
	for _, s := range r.Preview.Skipped {
		if s.Item == item && strings.Contains(s.Reason, reason) {
			return
		}
	}
	t.Errorf("the preview does not list %q as skipped for %q: %+v", item, reason, r.Preview.Skipped)
}

const ghHistory = "2023-06-01T00:00:00Z\tgh-old-2\n2023-01-02T03:04:05Z\tgh-old-1"

// TestFixtures: each format's fixture imports to the expected entries.
func TestFixtures(t *testing.T) {
	for _, c := range []struct {
		format   Format
		file     string
		password string
		entries  int
		merged   int
		check    func(t *testing.T, r *Result)
	}{
		{Chrome, "chrome.csv", "", 5, 1, func(t *testing.T, r *Result) {
			gh := find(t, r, "github.com")
			wantLogin(t, gh, []string{"github.com"}, "octo", ghPassword)
			if gh.Notes != ghNotes {
				t.Errorf("notes %q", gh.Notes)
			}
			wantLogin(t, find(t, r, "Bank"), []string{"bank.example:8443"}, "erin", `b@nk, "quoted" pw`)
			wantLogin(t, find(t, r, "Router"), []string{"192.168.1.1"}, "admin", "admin")
			wantField(t, find(t, r, "App"), FieldURL, "android://hash@com.example.app/", false)
		}},
		{Firefox, "firefox.csv", "", 3, 0, func(t *testing.T, r *Result) {
			gh := find(t, r, "github.com")
			wantLogin(t, gh, []string{"github.com"}, "octo", ghPassword)
			if !gh.Created.Equal(time.UnixMilli(1672628645000)) {
				t.Errorf("created %v", gh.Created)
			}
			wantField(t, find(t, r, "intranet.example"), "HTTP realm", "Intranet Realm", false)
		}},
		{Safari, "safari.csv", "", 2, 0, func(t *testing.T, r *Result) {
			gh := find(t, r, "GitHub (octo)")
			wantLogin(t, gh, []string{"github.com"}, "octo", ghPassword)
			wantTOTP(t, gh, ghTOTP)
		}},
		{Bitwarden, "bitwarden.json", "", 5, 1, checkBitwarden},
		{Bitwarden, "bitwarden-encrypted.json", bwPass, 5, 1, checkBitwarden},
		{BitwardenCSV, "bitwarden.csv", "", 3, 0, func(t *testing.T, r *Result) {
			gh := find(t, r, "GitHub")
			wantLogin(t, gh, []string{"github.com", "gist.github.com"}, "octo", ghPassword)
			wantTOTP(t, gh, ghTOTP)
			wantField(t, gh, "Team", "core", false)
			wantField(t, gh, "Recovery codes", "abcd-efgh", false)
			if gh.Folder != "Work" || gh.Notes != ghNotes {
				t.Errorf("folder %q notes %q", gh.Folder, gh.Notes)
			}
			if n := find(t, r, "Wi-Fi at home"); !slices.Contains(n.Tags, "note") || !strings.Contains(n.Notes, "hunter2") {
				t.Errorf("secure note: %+v", n)
			}
		}},
		{OnePassword, "1password.1pux", "", 4, 0, func(t *testing.T, r *Result) {
			gh := find(t, r, "GitHub")
			wantLogin(t, gh, []string{"github.com", "gist.github.com"}, "octo", ghPassword)
			wantTOTP(t, gh, ghTOTP)
			wantField(t, gh, "Recovery: codes", "abcd-efgh", true)
			wantField(t, gh, "Recovery: email", "octo@example.com", false)
			wantHistory(t, gh, ghHistory)
			if gh.Folder != "Personal" || !slices.Equal(gh.Tags, []string{"work", "dev"}) || gh.Notes != ghNotes {
				t.Errorf("folder %q tags %q notes %q", gh.Folder, gh.Tags, gh.Notes)
			}
			card := find(t, r, "Visa")
			wantField(t, card, "number", "4111111111111111", true)
			wantField(t, card, "expiry date", "12/2030", false)
			if router := find(t, r, "Router"); router.Password != "router pw" || !slices.Contains(router.Tags, "archived") || router.Folder != "Shared" {
				t.Errorf("router: %+v", router)
			}
			wantSkipped(t, r, "Lease", "lease.pdf")
		}},
		{OnePassCSV, "1password.csv", "", 2, 0, func(t *testing.T, r *Result) {
			gh := find(t, r, "GitHub")
			wantLogin(t, gh, []string{"github.com"}, "octo", ghPassword)
			wantTOTP(t, gh, ghTOTP)
			if !slices.Equal(gh.Tags, []string{"work", "dev"}) {
				t.Errorf("tags %q", gh.Tags)
			}
			if old := find(t, r, "Old forum"); !slices.Contains(old.Tags, "archived") {
				t.Errorf("archived item: %+v", old)
			}
		}},
		{LastPass, "lastpass.csv", "", 4, 0, func(t *testing.T, r *Result) {
			gh := find(t, r, "GitHub")
			wantLogin(t, gh, []string{"github.com"}, "octo", ghPassword)
			wantTOTP(t, gh, ghTOTP)
			if gh.Folder != "Work/Dev" {
				t.Errorf("folder %q", gh.Folder)
			}
			card := find(t, r, "Visa card")
			wantField(t, card, "Number", "4111111111111111", true)
			wantField(t, card, "Security Code", "123", true)
			wantField(t, card, "Expiration Date", "December,2030", false)
			if _, ok := field(card, "Start Date"); ok || card.Notes != "Card for travel\nsecond line" || !slices.Contains(card.Tags, "card") {
				t.Errorf("card: %+v", card)
			}
			if n := find(t, r, "Door code"); n.Notes != "Door code is 4711\n(the back door)" || len(n.Sites) != 0 {
				t.Errorf("secure note: %+v", n)
			}
		}},
		{ProtonPass, "protonpass.json", "", 2, 0, func(t *testing.T, r *Result) {
			gh := find(t, r, "GitHub")
			wantLogin(t, gh, []string{"github.com", "gist.github.com"}, "octo", ghPassword)
			wantTOTP(t, gh, ghTOTP)
			wantField(t, gh, "Email", "octo@example.com", false)
			wantField(t, gh, "Recovery codes", "abcd-efgh", true)
			wantField(t, gh, "Team", "core", false)
			if gh.Folder != "Personal" || gh.Notes != ghNotes {
				t.Errorf("folder %q notes %q", gh.Folder, gh.Notes)
			}
			card := find(t, r, "Visa")
			wantField(t, card, "Number", "4111111111111111", true)
			wantField(t, card, "Verification number", "123", true)
			wantSkipped(t, r, "Deleted login", "trash")
		}},
		{ProtonPassCSV, "protonpass.csv", "", 3, 0, func(t *testing.T, r *Result) {
			gh := find(t, r, "GitHub")
			wantLogin(t, gh, []string{"github.com", "gist.github.com"}, "octo", ghPassword)
			wantTOTP(t, gh, ghTOTP)
			wantField(t, gh, "Email", "octo@example.com", false)
			if n := find(t, r, "Newsletter"); n.Username != "me@example.com" {
				t.Errorf("the email is not the username: %+v", n)
			}
		}},
		{Dashlane, "dashlane.csv", "", 2, 0, func(t *testing.T, r *Result) {
			gh := find(t, r, "GitHub")
			wantLogin(t, gh, []string{"github.com"}, "octo", ghPassword)
			wantTOTP(t, gh, ghTOTP)
			wantField(t, gh, "Username 2", "octo@example.com", false)
			if gh.Folder != "Work" {
				t.Errorf("folder %q", gh.Folder)
			}
		}},
		{KeePassXCCSV, "keepassxc/export.csv", "", 3, 1, func(t *testing.T, r *Result) {
			gh := find(t, r, "GitHub")
			wantLogin(t, gh, []string{"github.com"}, "octo", ghPassword)
			wantTOTP(t, gh, ghTOTP)
			if gh.Notes != ghNotes || gh.Folder != "" {
				t.Errorf("notes %q folder %q", gh.Notes, gh.Folder)
			}
			if b := find(t, r, "Bank 🏦"); b.Folder != "Banking" {
				t.Errorf("bank folder %q", b.Folder)
			}
			wantSkipped(t, r, "Old thing", "recycle bin")
		}},
		{CXF, "cxf.json", "", 7, 1, checkCXF},
		{KDBX, "keepassxc/fixture.kdbx", kdbxPass, 3, 1, func(t *testing.T, r *Result) {
			gh := find(t, r, "GitHub")
			wantLogin(t, gh, []string{"github.com", "gist.github.com"}, "octo", ghPassword)
			wantTOTP(t, gh, ghTOTP)
			wantField(t, gh, "Recovery codes", "abcd-efgh\nijkl-mnop", true)
			wantField(t, gh, "Team", "core", false)
			wantHistory(t, gh, ghHistory)
			if gh.Notes != ghNotes || !slices.Equal(gh.Tags, []string{"dev", "work"}) || gh.Folder != "" {
				t.Errorf("notes %q tags %q folder %q", gh.Notes, gh.Tags, gh.Folder)
			}
			bank := find(t, r, "Bank 🏦")
			wantTOTP(t, bank, "GEZDGNBVGY3TQOJQ")
			wantField(t, bank, "PIN", "1234", true)
			srv := find(t, r, "Build server")
			wantField(t, srv, FieldURL, "ssh://build.example:2222", false)
			if srv.Folder != "Banking/Servers" {
				t.Errorf("folder %q", srv.Folder)
			}
			wantSkipped(t, r, "Old thing", "recycle bin")
		}},
	} {
		t.Run(c.file, func(t *testing.T) {
			r, err := Parse(c.format, read(t, c.file), Options{Password: c.password})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Entries) != c.entries || r.Preview.Entries != c.entries || r.Preview.Merged != c.merged {
				t.Fatalf("%d entries (preview %d), %d merged; want %d, %d", len(r.Entries), r.Preview.Entries, r.Preview.Merged, c.entries, c.merged)
			}
			if r.Preview.Items != c.entries+c.merged+countSkippedItems(r) {
				t.Errorf("preview: %d items, %d entries, %d merged, skipped %+v", r.Preview.Items, c.entries, c.merged, r.Preview.Skipped)
			}
			c.check(t, r)
		})
	}
}

// countSkippedItems counts the skipped items that were not imported at
// all (a lost passkey or attachment leaves its item imported).
func countSkippedItems(r *Result) int {
	n := 0
	for _, s := range r.Preview.Skipped {
		if !strings.Contains(s.Reason, "not imported") {
			n++
		}
	}
	return n
}

func checkCXF(t *testing.T, r *Result) {
	gh := find(t, r, "GitHub")
	wantLogin(t, gh, []string{"github.com", "gist.github.com"}, "octo", ghPassword)
	wantTOTP(t, gh, ghTOTP)
	wantField(t, gh, "Recovery: codes", "abcd-efgh", true)
	wantField(t, gh, "Recovery: email", "octo@example.com", false)
	wantField(t, gh, "Subtitle", "octo", false)
	wantField(t, gh, FieldURL, "androidapp://com.github.android", false)
	wantField(t, gh, FieldURL, "https://github.com/login", false) // the site is the host
	wantField(t, gh, "Also named", "GitHub (copy)", false)
	if gh.Folder != "Work" || gh.Notes != ghNotes || !slices.Equal(gh.Tags, []string{"work", "dev", "favorite"}) ||
		!gh.Created.Equal(time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("folder %q notes %q tags %q created %v", gh.Folder, gh.Notes, gh.Tags, gh.Created)
	}
	wantSkipped(t, r, "GitHub", "passkey")
	bank := find(t, r, "Bank 🏦")
	wantTOTP(t, bank, "GEZDGNBVGY3TQOJQ")
	if k, err := totp.Parse(bank.TOTP); err != nil || k.Digits != 8 || k.Period != 60 || k.Algorithm != "SHA256" || k.Issuer != "Bank" {
		t.Errorf("bank TOTP %q: %+v %v", bank.TOTP, k, err)
	}
	wantSkipped(t, r, "Bank 🏦", `unknown algorithm "md5"`)
	wantLogin(t, bank, []string{"bank.example"}, "jane", "bank pw 🏦")
	wantField(t, bank, FieldURL, "https://bank.example/online/login?lang=en", false)
	card := find(t, r, "Visa")
	wantField(t, card, "Credit card: Number", "4111111111111111", true)
	wantField(t, card, "Credit card: Expiry date", "2030-12", false)
	wantField(t, card, "Credit card: Verification number", "123", true)
	if !slices.Contains(card.Tags, "card") || len(card.Sites) != 0 {
		t.Errorf("card %+v", card)
	}
	wifi := find(t, r, "Home Wi-Fi")
	wantField(t, wifi, "Wifi: Passphrase", "wifi passphrase", true)
	wantField(t, wifi, "Wifi: Ssid", "octonet", false)
	if wifi.Folder != "Home" {
		t.Errorf("wifi folder %q", wifi.Folder)
	}
	ssh := find(t, r, "Build server key")
	wantField(t, ssh, "Ssh key: Private key", "MC4CAQAwBQYDK2VwBCIEIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", true)
	wantField(t, ssh, "Ssh key: Key type", "ssh-ed25519", false)
	if ssh.Folder != "Work/Servers" {
		t.Errorf("ssh folder %q", ssh.Folder)
	}
	me := find(t, r, "Me")
	wantField(t, me, "Person name: Given", "Octo", false)
	wantField(t, me, "Address: City", "Springfield", false)
	wantField(t, me, "Api key: Key", "sk-test-1234", true)
	wantSkipped(t, r, "Me", `attached file "passport.pdf"`)
	wantSkipped(t, r, "Me", "link to another item")
	wantSkipped(t, r, "Me", `extension "shared"`)
	if n := find(t, r, "Door code"); n.Notes != "4711" || !slices.Contains(n.Tags, "note") {
		t.Errorf("note %+v", n)
	}
}

func checkBitwarden(t *testing.T, r *Result) {
	gh := find(t, r, "GitHub")
	wantLogin(t, gh, []string{"github.com", "gist.github.com"}, "octo", ghPassword)
	wantTOTP(t, gh, ghTOTP)
	wantField(t, gh, "Team", "core", false)
	wantField(t, gh, "Recovery codes", "abcd-efgh\nijkl-mnop", true)
	wantField(t, gh, FieldURL, "androidapp://com.github.android", false)
	wantHistory(t, gh, ghHistory)
	wantField(t, gh, "Also named", "GitHub (duplicate)", false)
	if gh.Folder != "Work" || gh.Notes != ghNotes || !gh.Created.Equal(time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("folder %q notes %q created %v", gh.Folder, gh.Notes, gh.Created)
	}
	bank := find(t, r, "Bank 🏦")
	wantTOTP(t, bank, "GEZDGNBVGY3TQOJQ")
	wantField(t, bank, "PIN", "1234", true)
	card := find(t, r, "Visa")
	wantField(t, card, "Number", "4111111111111111", true)
	wantField(t, card, "Code", "123", true)
	if !slices.Contains(card.Tags, "card") || card.Folder != "Money" || len(card.Sites) != 0 {
		t.Errorf("card: %+v", card)
	}
	wantField(t, find(t, r, "Me"), "Ssn", "078-05-1120", true)
	if n := find(t, r, "Wi-Fi"); n.Notes != "SSID home\nkey hunter2" || !slices.Contains(n.Tags, "note") {
		t.Errorf("note: %+v", n)
	}
	wantSkipped(t, r, "Trashed login", "trash")
	wantSkipped(t, r, "Bank 🏦", "passkey")
	wantSkipped(t, r, "GitHub", "linked custom field")
	if r.Preview.Kinds["login"] != 4 || r.Preview.Kinds["card"] != 1 || r.Preview.Kinds["identity"] != 1 || r.Preview.Kinds["note"] != 1 {
		t.Errorf("kinds %v", r.Preview.Kinds)
	}
}

// TestSkipExisting: importing a file again writes nothing.
func TestSkipExisting(t *testing.T) {
	r, err := Parse(Chrome, read(t, "chrome.csv"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Parse(Chrome, read(t, "chrome.csv"), Options{})
	again.SkipExisting(r.Entries)
	if len(again.Entries) != 0 || again.Preview.Entries != 0 || len(again.Preview.Skipped) != 5 {
		t.Fatalf("%d entries left, skipped %+v", len(again.Entries), again.Preview.Skipped)
	}
	wantSkipped(t, again, "Bank", "already in the vault")
}

// TestMerge: the same site, username and password are one entry with
// every URL; another password for the same site is another entry.
func TestMerge(t *testing.T) {
	csv := "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n" +
		",,login,A,first,,0,\"https://a.example/login,https://www.a.example\",u,p,\n" +
		",,login,A2,,,0,https://a.example/,u,p,\n" +
		",,login,A3,second,,0,\"https://www.a.example/x,https://m.a.example\",u,p,\n" +
		",,login,A4,,,0,https://a.example,u,other,\n" +
		",,login,B,,,0,https://b.example,u,p,\n"
	r, err := Parse(BitwardenCSV, []byte(csv), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Entries) != 3 || r.Preview.Merged != 2 {
		t.Fatalf("%d entries, %d merged: %+v", len(r.Entries), r.Preview.Merged, r.Entries)
	}
	a := find(t, r, "A")
	if !slices.Equal(a.Sites, []string{"a.example", "www.a.example", "m.a.example"}) || a.Notes != "first\n\nsecond" {
		t.Errorf("merged: %+v", a)
	}
}

// TestTOTP: bare secrets become otpauth URIs; secrets that are neither
// are kept in a hidden field, never dropped.
func TestTOTP(t *testing.T) {
	csv := "Title,URL,Username,Password,Notes,OTPAuth\n" +
		"Bare,https://a.example,u,p,,jbsw y3dp ehpk 3pxp\n" +
		"Steam,https://b.example,u,p,,steam://ABCDEF\n" +
		"Junk,https://c.example,u,p,,not a secret!\n"
	r, err := Parse(Safari, []byte(csv), Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantTOTP(t, find(t, r, "Bare"), ghTOTP)
	wantField(t, find(t, r, "Steam"), FieldOneTimeCode, "steam://ABCDEF", true)
	wantField(t, find(t, r, "Junk"), FieldOneTimeCode, "not a secret!", true)
	if len(r.Preview.Notes) != 2 {
		t.Errorf("notes %q", r.Preview.Notes)
	}
}

// TestRefused: files that are not of the format, cut short, junk, too
// large, or locked with another password are refused with a named error
// and nothing returned.
func TestRefused(t *testing.T) {
	junk := make([]byte, 1<<20)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(junk)
	files := map[Format]string{
		Chrome: "chrome.csv", Firefox: "firefox.csv", Safari: "safari.csv", Bitwarden: "bitwarden.json",
		BitwardenCSV: "bitwarden.csv", OnePassword: "1password.1pux", OnePassCSV: "1password.csv", LastPass: "lastpass.csv",
		ProtonPass: "protonpass.json", ProtonPassCSV: "protonpass.csv", Dashlane: "dashlane.csv",
		KeePassXCCSV: "keepassxc/export.csv", KDBX: "keepassxc/fixture.kdbx", CXF: "cxf.json",
	}
	check := func(t *testing.T, what string, f Format, data []byte, o Options, want error) {
		t.Helper()
		r, err := Parse(f, data, o)
		if !errors.Is(err, want) || r != nil {
			t.Errorf("%s as %s: %v (result %v), want %v", what, f, err, r != nil, want)
		}
	}
	for f, file := range files {
		o := Options{Password: kdbxPass}
		check(t, "junk", f, junk, o, ErrFormat)
		check(t, "nothing", f, nil, o, ErrFormat)
		check(t, "text", f, []byte("hello, world\n"), o, ErrFormat)
		data := read(t, file)
		// Another format's file.
		other := "chrome.csv"
		if f == Chrome {
			other = "bitwarden.json"
		}
		check(t, other, f, read(t, other), o, ErrFormat)
		// Cut short: JSON, zip and KDBX anywhere; CSV inside a row.
		cuts := []int{len(data) / 2, len(data) - 40, 7}
		if strings.HasSuffix(file, ".csv") {
			cuts = nil
			for i := 1; i < len(data)-1; i++ {
				if data[i] == ',' && data[i-1] != '\n' {
					cuts = append(cuts, i+1)
					break
				}
			}
		}
		for _, n := range cuts {
			check(t, fmt.Sprintf("%s cut at %d", file, n), f, data[:n], o, ErrFormat)
		}
	}
	check(t, "wrong password", KDBX, read(t, "keepassxc/fixture.kdbx"), Options{Password: "wrong"}, ErrPassword)
	check(t, "no password", KDBX, read(t, "keepassxc/fixture.kdbx"), Options{}, ErrPasswordNeeded)
	check(t, "wrong password", Bitwarden, read(t, "bitwarden-encrypted.json"), Options{Password: "wrong"}, ErrPassword)
	check(t, "no password", Bitwarden, read(t, "bitwarden-encrypted.json"), Options{}, ErrPasswordNeeded)
	check(t, "account-encrypted", Bitwarden, []byte(`{"encrypted":true,"encKeyValidation_DO_NOT_EDIT":"2.a|b|c","folders":[],"items":[]}`), Options{}, ErrUnsupported)
	check(t, "unknown", "word", nil, Options{}, ErrUnknownFormat)
	check(t, "a later major version", CXF, []byte(`{"version":{"major":2,"minor":0},"accounts":[]}`), Options{}, ErrFormat)
	check(t, "no version", CXF, []byte(`{"accounts":[]}`), Options{}, ErrFormat)
	check(t, "Bitwarden JSON", CXF, read(t, "bitwarden.json"), Options{}, ErrFormat)
	check(t, "items not a list", CXF, []byte(`{"version":{"major":1,"minor":0},"accounts":[{"id":"a","items":{}}]}`), Options{}, ErrFormat)

	// 50 MB of junk, and more than MaxInput.
	big := bytes.Repeat(junk, 50)
	check(t, "50 MB of junk", Chrome, big, Options{}, ErrFormat)
	check(t, "50 MB of junk", KDBX, big, Options{Password: "x"}, ErrFormat)
	check(t, "50 MB of junk", Bitwarden, big, Options{}, ErrFormat)
	check(t, "more than MaxInput", Chrome, make([]byte, MaxInput+1), Options{}, ErrTooLarge)

	// More rows than MaxItems.
	var b bytes.Buffer
	b.WriteString("name,url,username,password,note\n")
	for i := 0; i <= MaxItems; i++ {
		fmt.Fprintf(&b, "n,https://s%d.example,u,p,\n", i)
	}
	check(t, "too many rows", Chrome, b.Bytes(), Options{}, ErrTooLarge)

	// A KDBX whose key derivation asks for too much memory is refused
	// before it runs.
	kd := bytes.Clone(read(t, "keepassxc/fixture.kdbx"))
	if _, err := checkKDBXHeader(kd); err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(kd, []byte("\x01\x00\x00\x00R\x08\x00\x00\x00"))
	if i < 0 {
		t.Fatal("no R parameter in the fixture's header")
	}
	copy(kd[i+9:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0})
	check(t, "AES rounds out of bounds", KDBX, kd, Options{Password: kdbxPass}, ErrFormat)
}

// TestEntrySize: an item larger than MaxEntryBytes is listed, not
// imported; the others are.
func TestEntrySize(t *testing.T) {
	csv := "name,url,username,password,note\nbig,https://a.example,u,p," + strings.Repeat("x", MaxEntryBytes) + "\nsmall,https://b.example,u,p,\n"
	r, err := Parse(Chrome, []byte(csv), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Entries) != 1 {
		t.Fatalf("%d entries", len(r.Entries))
	}
	wantSkipped(t, r, "big", "too large")
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"Chrome": Chrome, "edge": Chrome, "keepass": KDBX, "1pux": OnePassword, "bitwarden-csv": BitwardenCSV} {
		if f, err := ParseFormat(in); err != nil || f != want {
			t.Errorf("%q: %q %v", in, f, err)
		}
	}
	if _, err := ParseFormat("word"); !errors.Is(err, ErrUnknownFormat) {
		t.Error(err)
	}
}

// TestKDBXBomb: a database whose content decompresses to 300 MiB
// (testdata/kdbxbomb) is refused as too large, without holding it in
// memory.
func TestKDBXBomb(t *testing.T) {
	data := read(t, "kdbx-bomb.kdbx")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r, err := Parse(KDBX, data, Options{Password: "bomb password"})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) || r != nil || !strings.Contains(err.Error(), "decompressed") {
		t.Fatalf("bomb: %v", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
		t.Errorf("refusing the bomb allocated %d MiB", n>>20)
	}
	if _, err := Parse(KDBX, data, Options{Password: "wrong"}); !errors.Is(err, ErrPassword) {
		t.Errorf("bomb, wrong password: %v", err)
	}
}

// TestKDBXKeyFile: databases KeePassXC made with a key file, with and
// without a password, open with exactly their composite key.
func TestKDBXKeyFile(t *testing.T) {
	key := read(t, "keepassxc/keyfile.keyx")
	for _, c := range []struct {
		file string
		o    Options
		want error
	}{
		{"keepassxc/composite.kdbx", Options{Password: kdbxPass, KeyFile: key}, nil},
		{"keepassxc/composite.kdbx", Options{Password: kdbxPass}, ErrPassword},
		{"keepassxc/composite.kdbx", Options{KeyFile: key}, ErrPassword},
		{"keepassxc/composite.kdbx", Options{Password: kdbxPass, KeyFile: []byte("another key file")}, ErrPassword},
		{"keepassxc/keyonly.kdbx", Options{KeyFile: key}, nil},
		{"keepassxc/keyonly.kdbx", Options{}, ErrPasswordNeeded},
		{"keepassxc/keyonly.kdbx", Options{Password: kdbxPass}, ErrPassword},
		{"keepassxc/keyonly.kdbx", Options{KeyFile: []byte(`<?xml version="1.0"?><KeyFile><Meta><Version>2.0</Version></Meta><Key><Data Hash="00000000">00</Data></Key></KeyFile>`)}, ErrFormat},
		{"keepassxc/fixture.kdbx", Options{Password: kdbxPass, KeyFile: key}, ErrPassword},
	} {
		r, err := Parse(KDBX, read(t, c.file), c.o)
		if !errors.Is(err, c.want) || (err == nil) != (r != nil) {
			t.Errorf("%s with password %v, key file %d bytes: %v, want %v", c.file, c.o.Password != "", len(c.o.KeyFile), err, c.want)
			continue
		}
		if err == nil {
			wantLogin(t, find(t, r, "GitHub"), []string{"github.com", "gist.github.com"}, "octo", ghPassword)
		}
	}
}

// TestKDBX31: a gzip-compressed KDBX 3.1 database (gokeepasslib writes
// it here) opens through the bounded decompression too.
func TestKDBX31(t *testing.T) {
	e := gokeepasslib.NewEntry()
	e.Values = append(e.Values,
		gokeepasslib.ValueData{Key: "Title", Value: gokeepasslib.V{Content: "Old format"}},
		gokeepasslib.ValueData{Key: "URL", Value: gokeepasslib.V{Content: "https://old.example/"}},
		gokeepasslib.ValueData{Key: "UserName", Value: gokeepasslib.V{Content: "me"}},
		gokeepasslib.ValueData{Key: "Password", Value: gokeepasslib.V{Content: "pw 3.1", Protected: wrappers.NewBoolWrapper(true)}},
	)
	root := gokeepasslib.NewGroup()
	root.Entries = append(root.Entries, e)
	db := gokeepasslib.NewDatabase(gokeepasslib.WithDatabaseKDBXVersion3())
	db.Credentials = gokeepasslib.NewPasswordCredentials("pw")
	db.Header.FileHeaders.TransformRounds = 1000
	db.Content.Root = &gokeepasslib.RootData{Groups: []gokeepasslib.Group{root}}
	if err := db.LockProtectedEntries(); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := gokeepasslib.NewEncoder(&b).Encode(db); err != nil {
		t.Fatal(err)
	}
	h, err := checkKDBXHeader(b.Bytes())
	if err != nil || h.major != 3 || !h.gzip {
		t.Fatalf("header %+v, %v", h, err)
	}
	r, err := Parse(KDBX, b.Bytes(), Options{Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	wantLogin(t, find(t, r, "Old format"), []string{"old.example"}, "me", "pw 3.1")
	if _, err := Parse(KDBX, b.Bytes(), Options{Password: "wrong"}); !errors.Is(err, ErrPassword) {
		t.Errorf("wrong password: %v", err)
	}
}

// TestURLPaths: a site is a URL's host; a URL that says more (a path, a
// query, a fragment) is also kept whole in a visible "URL" field, once,
// and the preview says so.
func TestURLPaths(t *testing.T) {
	csv := "name,url,username,password,note\n" +
		"a,https://a.example/,u,p1,\n" +
		"b,https://b.example/login?next=%2Fhome#top,u,p2,\n" +
		"c,http://c.example:8443/sso,u,p3,\n" +
		"d,https://b.example/login?next=%2Fhome#top,u,p2,\n"
	r, err := Parse(Chrome, []byte(csv), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a := find(t, r, "a"); len(a.Fields) != 0 || !slices.Equal(a.Sites, []string{"a.example"}) {
		t.Errorf("a: %+v", a)
	}
	b := find(t, r, "b")
	wantField(t, b, FieldURL, "https://b.example/login?next=%2Fhome#top", false)
	if n := len(b.Fields); n != 2 { // the URL once, and "Also named" d
		t.Errorf("b: fields %+v", b.Fields)
	}
	c := find(t, r, "c")
	wantField(t, c, FieldURL, "http://c.example:8443/sso", false)
	if !slices.Equal(c.Sites, []string{"c.example:8443"}) {
		t.Errorf("c: sites %q", c.Sites)
	}
	if !slices.ContainsFunc(r.Preview.Notes, func(n string) bool { return strings.Contains(n, "kept whole") }) {
		t.Errorf("notes %q", r.Preview.Notes)
	}
}
