package exporter_test

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/exporter"
	"github.com/meshpass/meshpass/shared/importer"
	"github.com/meshpass/meshpass/shared/totp"
	"github.com/meshpass/meshpass/shared/vault"
)

var t0 = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// entries covers every field kind: several sites (a wildcard, a port, an
// IP), Unicode, multi-line notes, TOTP, visible and hidden fields, folder,
// tags, history of the password and of another field.
func entries() []vault.Entry {
	return []vault.Entry{
		{
			ID: "aaaa", Name: "GitHub ✓", Sites: []string{"github.com", "*.pages.example", "gist.github.com:8443"},
			Username: "octo", Password: "pässwörd, \"3\"", Notes: "line one\nligne deux — ü",
			TOTP:   "otpauth://totp/GitHub:octo?secret=JBSWY3DPEHPK3PXP&issuer=GitHub",
			Fields: []vault.Field{{Name: "Team", Value: "core"}, {Name: "Recovery", Value: "abcd\nefgh", Hidden: true}},
			Folder: "Work/Dev", Tags: []string{"work", "dev"}, Created: t0.Add(-48 * time.Hour), Updated: t0,
			History: []vault.Change{
				{Field: "Password", Value: "old-2", Time: t0.Add(-24 * time.Hour), Writer: "DEV1"},
				{Field: "Username", Value: "octocat", Time: t0.Add(-30 * time.Hour), Writer: "DEV2"},
				{Field: "Password", Value: "old-1", Time: t0.Add(-36 * time.Hour), Writer: "DEV1"},
			},
		},
		{ID: "bbbb", Name: "Router", Sites: []string{"192.0.2.1"}, Username: "admin", Password: "admin", Created: t0, Updated: t0},
		{ID: "cccc", Name: "Door code", Notes: "4711", Tags: []string{"note"}, Created: t0, Updated: t0},
	}
}

// TestMeshpassRoundTrip: meshpass JSON, plain and encrypted, reads back
// exactly, every field, the IDs and the history included.
func TestMeshpassRoundTrip(t *testing.T) {
	for _, pass := range []string{"", "export passphrase"} {
		var b bytes.Buffer
		if err := exporter.Export(&b, exporter.Meshpass, entries(), exporter.Options{Passphrase: pass, Now: t0, ScryptWorkFactor: 10}); err != nil {
			t.Fatal(err)
		}
		if pass != "" {
			if !exporter.IsEncrypted(b.Bytes()) || strings.Contains(b.String(), "octo") {
				t.Fatal("the encrypted export is not encrypted")
			}
			if _, err := importer.Parse(importer.Meshpass, b.Bytes(), importer.Options{Password: "wrong"}); !errors.Is(err, importer.ErrPassword) {
				t.Fatalf("wrong passphrase: %v", err)
			}
		}
		r, err := importer.Parse(importer.Meshpass, b.Bytes(), importer.Options{Password: pass, Exact: true})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.Entries, entries()) {
			t.Fatalf("round trip differs:\n got %+v\nwant %+v", r.Entries, entries())
		}
		// For AddBatch: no IDs, the history of every field kept (its
		// writers will be the importing device).
		r, err = importer.Parse(importer.Meshpass, b.Bytes(), importer.Options{Password: pass})
		if err != nil {
			t.Fatal(err)
		}
		gh := r.Entries[0]
		if gh.ID != "" || gh.Password != entries()[0].Password || !slices.Equal(gh.Sites, entries()[0].Sites) ||
			!slices.Equal(gh.Fields, entries()[0].Fields) {
			t.Fatalf("%+v", gh)
		}
		want := entries()[0].History
		for i := range want {
			want[i].Writer = ""
		}
		if !reflect.DeepEqual(gh.History, want) {
			t.Fatalf("history\n got %+v\nwant %+v", gh.History, want)
		}
	}
}

// TestBitwardenExport: the Bitwarden JSON export, plain and
// password-protected, imports back through the Bitwarden importer.
func TestBitwardenExport(t *testing.T) {
	for _, pass := range []string{"", "export passphrase"} {
		var b bytes.Buffer
		if err := exporter.Export(&b, exporter.Bitwarden, entries(), exporter.Options{Passphrase: pass, BitwardenIterations: 5000}); err != nil {
			t.Fatal(err)
		}
		if pass != "" && strings.Contains(b.String(), "octo") {
			t.Fatal("not encrypted")
		}
		r, err := importer.Parse(importer.Bitwarden, b.Bytes(), importer.Options{Password: pass})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Entries) != 3 {
			t.Fatalf("%d entries", len(r.Entries))
		}
		gh := r.Entries[0]
		want := entries()[0]
		if gh.Name != want.Name || gh.Password != want.Password || gh.TOTP != want.TOTP || gh.Notes != want.Notes ||
			gh.Folder != want.Folder || !slices.Equal(gh.Sites, []string{"github.com", "pages.example", "gist.github.com:8443"}) {
			t.Fatalf("%+v", gh)
		}
		if !slices.Equal(gh.Fields[:2], want.Fields) || len(gh.Fields) != 3 || gh.Fields[2].Name != "Tags" {
			t.Fatalf("fields %+v", gh.Fields)
		}
		if h := gh.PasswordHistory(9); len(h) != 2 || h[0].Value != "old-2" || !h[0].Time.Equal(t0.Add(-24*time.Hour)) || h[1].Value != "old-1" {
			t.Fatalf("password history %+v", h)
		}
		if n := r.Entries[2]; n.Notes != "4711" || len(n.Sites) != 0 {
			t.Fatalf("note %+v", n)
		}
	}
}

// TestCSVExport: the CSV reads back through the CSV importer, and its
// first columns are Chrome's.
func TestCSVExport(t *testing.T) {
	var b bytes.Buffer
	if err := exporter.Export(&b, exporter.CSV, entries(), exporter.Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "name,url,username,password,note,") {
		t.Fatalf("header: %.60s", b.String())
	}
	r, err := importer.Parse(importer.GenericCSV, b.Bytes(), importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gh, want := r.Entries[0], entries()[0]
	if gh.Name != want.Name || gh.Password != want.Password || gh.TOTP != want.TOTP || gh.Notes != want.Notes ||
		gh.Folder != want.Folder || !slices.Equal(gh.Tags, want.Tags) || len(gh.Sites) != 3 {
		t.Fatalf("%+v", gh)
	}
	if _, err := importer.Parse(importer.Chrome, b.Bytes(), importer.Options{}); err != nil {
		t.Fatalf("as Chrome CSV: %v", err)
	}
	var enc bytes.Buffer
	if err := exporter.Export(&enc, exporter.CSV, entries(), exporter.Options{Passphrase: "p", ScryptWorkFactor: 10}); err != nil {
		t.Fatal(err)
	}
	plain, err := exporter.Decrypt(enc.Bytes(), "p", 1<<20)
	if err != nil || !bytes.Equal(plain, b.Bytes()) {
		t.Fatalf("decrypt: %v", err)
	}
	if _, err := exporter.Decrypt(enc.Bytes(), "q", 1<<20); !errors.Is(err, exporter.ErrPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
}

func TestUnknownFormat(t *testing.T) {
	if err := exporter.Export(&bytes.Buffer{}, "xml", nil, exporter.Options{}); !errors.Is(err, exporter.ErrFormat) {
		t.Fatal(err)
	}
}

// TestCXFExport: the Credential Exchange Format export reads back
// through the CXF importer with every field but the history, and an hotp
// URI in a custom field.
func TestCXFExport(t *testing.T) {
	in := entries()
	in = append(in, vault.Entry{ID: "dddd", Name: "Counter", Sites: []string{"hotp.example"}, Username: "h", Password: "p",
		TOTP: "otpauth://hotp/X:h?secret=JBSWY3DPEHPK3PXP&counter=3", Created: t0, Updated: t0})
	var b bytes.Buffer
	if err := exporter.Export(&b, exporter.CXF, in, exporter.Options{Now: t0}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"exporterRpId": "meshpass.dev"`) || !strings.Contains(b.String(), `"major": 1`) {
		t.Fatalf("header:\n%.400s", b.String())
	}
	r, err := importer.Parse(importer.CXF, b.Bytes(), importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Entries) != len(in) || len(r.Preview.Skipped) != 0 {
		t.Fatalf("%d entries, skipped %+v", len(r.Entries), r.Preview.Skipped)
	}
	// Encrypted (age), it reads back the same with its passphrase.
	var enc bytes.Buffer
	if err := exporter.Export(&enc, exporter.CXF, in, exporter.Options{Now: t0, Passphrase: "cxf passphrase", ScryptWorkFactor: 10}); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.Parse(importer.CXF, enc.Bytes(), importer.Options{}); !errors.Is(err, importer.ErrPasswordNeeded) {
		t.Errorf("encrypted CXF without a password: %v", err)
	}
	if _, err := importer.Parse(importer.CXF, enc.Bytes(), importer.Options{Password: "wrong"}); !errors.Is(err, importer.ErrPassword) {
		t.Errorf("encrypted CXF, wrong password: %v", err)
	}
	if re, err := importer.Parse(importer.CXF, enc.Bytes(), importer.Options{Password: "cxf passphrase"}); err != nil || !reflect.DeepEqual(re.Entries, r.Entries) {
		t.Errorf("encrypted CXF: %v", err)
	}
	for i, got := range r.Entries {
		want := in[i]
		if want.TOTP != "" && strings.HasPrefix(want.TOTP, "otpauth://totp") {
			kg, err1 := totp.Parse(got.TOTP)
			kw, err2 := totp.Parse(want.TOTP)
			if err1 != nil || err2 != nil || !reflect.DeepEqual(kg, kw) {
				t.Errorf("%s: TOTP %q, want %q (same key)", want.Name, got.TOTP, want.TOTP)
			}
			got.TOTP = want.TOTP
		}
		if strings.HasPrefix(want.TOTP, "otpauth://hotp") {
			want.Fields = append(want.Fields, vault.Field{Name: "One-time code", Value: want.TOTP, Hidden: true})
			want.TOTP = ""
		}
		want.ID, want.Updated, want.History = "", time.Time{}, nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
}
