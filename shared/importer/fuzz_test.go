package importer

import (
	"errors"
	"testing"
)

// fuzzParse: whatever the file, Parse returns entries within the limits
// or one of the package's errors with nothing; it never panics.
func fuzzParse(t *testing.T, f Format, data []byte, password string) {
	r, err := Parse(f, data, Options{Password: password})
	if err != nil {
		if r != nil {
			t.Fatal("an error with a result")
		}
		for _, e := range []error{ErrFormat, ErrTooLarge, ErrPassword, ErrPasswordNeeded, ErrUnsupported} {
			if errors.Is(err, e) {
				return
			}
		}
		t.Fatalf("unnamed error: %v", err)
	}
	if len(r.Entries) != r.Preview.Entries || r.Preview.Items > MaxItems {
		t.Fatalf("%d entries, preview %+v", len(r.Entries), r.Preview)
	}
	for _, e := range r.Entries {
		if entrySize(e) > 2*MaxEntryBytes*len(r.Entries) {
			t.Fatalf("entry of %d bytes", entrySize(e))
		}
	}
}

var csvFormats = []Format{Chrome, Firefox, Safari, BitwardenCSV, OnePassCSV, LastPass, ProtonPassCSV, Dashlane, KeePassXCCSV, GenericCSV}

// FuzzCSV runs every CSV parser over each input.
func FuzzCSV(f *testing.F) {
	for _, name := range []string{"chrome.csv", "firefox.csv", "safari.csv", "bitwarden.csv", "1password.csv", "lastpass.csv", "protonpass.csv", "dashlane.csv", "keepassxc/export.csv"} {
		f.Add(read(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range csvFormats {
			fuzzParse(t, format, data, "")
		}
	})
}

// FuzzBitwarden runs the Bitwarden JSON parser (plain and encrypted).
func FuzzBitwarden(f *testing.F) {
	f.Add(read(f, "bitwarden.json"))
	f.Add([]byte(`{"encrypted":true,"passwordProtected":true,"salt":"s","kdfType":1,"kdfIterations":1,"kdfMemory":1,"kdfParallelism":1,"data":"2.AAAAAAAAAAAAAAAAAAAAAA==|AAAAAAAAAAAAAAAAAAAAAA==|AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, Bitwarden, data, "pw") })
}

// Fuzz1PUX runs the 1PUX parser over zip archives.
func Fuzz1PUX(f *testing.F) {
	f.Add(read(f, "1password.1pux"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, OnePassword, data, "") })
}

// FuzzJSON runs the Proton Pass and meshpass JSON parsers.
func FuzzJSON(f *testing.F) {
	f.Add(read(f, "protonpass.json"))
	f.Add([]byte(`{"format":"meshpass-export","version":1,"entries":[{"name":"a","sites":["a.example"],"history":[{"field":"Password","value":"x"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzParse(t, ProtonPass, data, "")
		fuzzParse(t, Meshpass, data, "")
	})
}

// FuzzKDBX runs the KDBX parser, with the fixture's password, over
// databases.
func FuzzKDBX(f *testing.F) {
	f.Add(read(f, "keepassxc/fixture.kdbx"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, KDBX, data, kdbxPass) })
}

// FuzzCXF runs the Credential Exchange Format parser.
func FuzzCXF(f *testing.F) {
	f.Add(read(f, "cxf.json"))
	f.Add([]byte(`{"id":"a","items":[{"id":"b","title":"t","credentials":[{"type":"totp","secret":"JBSWY3DPEHPK3PXP","algorithm":"sha512","digits":9}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, CXF, data, "") })
}
