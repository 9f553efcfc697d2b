package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/exporter"
	"github.com/meshpass/meshpass/shared/importer"
	"github.com/meshpass/meshpass/shared/vault"
	"github.com/meshpass/meshpass/wasm/api"
	"github.com/tobischo/gokeepasslib/v3"
)

func TestImportLimitIsTheImporters(t *testing.T) {
	if api.MaxImportBytes != importer.MaxInput {
		t.Errorf("api.MaxImportBytes %d, importer.MaxInput %d", api.MaxImportBytes, importer.MaxInput)
	}
}

func TestTransferWithoutDevice(t *testing.T) {
	a := newTestApp(t)
	// A file over the limit is refused before it is decoded.
	big := strings.Repeat("A", base64.StdEncoding.EncodedLen(api.MaxImportBytes)+4)
	if err := (api.ImportArg{Format: "chrome", Data: big}).Validate(); err == nil {
		t.Error("a file over MaxImportBytes is taken")
	}
	for _, tc := range []struct{ name, arg, code string }{
		{"importPreview", `{"format":"chrome","data":"bmFtZQ=="}`, api.CodeNoDevice},
		{"importPreview", `{"format":"chrome"}`, api.CodeBadRequest},
		{"importPreview", `{"format":"word","data":"bmFtZQ=="}`, api.CodeBadRequest},
		{"importCommit", `{}`, api.CodeBadRequest},
		{"importCommit", `{"token":"x"}`, api.CodeNotFound},
		{"exportVault", `{"format":"csv","passphrase":"p"}`, api.CodeNoDevice},
		{"exportVault", `{"format":"xml","passphrase":"p"}`, api.CodeBadRequest},
		{"exportVault", `{"format":"csv"}`, api.CodeBadRequest},
		{"exportVault", `{"format":"csv","passphrase":"p","encrypt":true}`, api.CodeBadRequest},
		{"exportVault", `{"format":"csv","passphrase":"p","encrypt":true,"filePassphrase":"short"}`, api.CodeBadRequest},
	} {
		if out, code := call(t, a, tc.name, tc.arg); code != tc.code {
			t.Errorf("%s(%.80s) = %s, code %q; want %q", tc.name, tc.arg, out, code, tc.code)
		}
	}
}

// portalApp is a device with nothing set up on a fresh portal from the
// test portal server (the test is skipped in -short without one), and a
// call of its functions that fails the test unless it succeeds, decoding
// the result into out unless out is nil.
func portalApp(t *testing.T) (*clienttest.Portal, *app, func(name string, arg, out any)) {
	t.Helper()
	if testing.Short() && os.Getenv(clienttest.EnvServer) == "" {
		t.Skip("needs a test portal (make check starts one)")
	}
	p := clienttest.New(t)
	a, err := newApp(client.Options{Storage: client.NewMemoryStorage(), Transport: &client.Transport{HTTP: p.Client()}, Params: testParams},
		client.NewMemoryStorage())
	if err != nil {
		t.Fatal(err)
	}
	return p, a, func(name string, arg, out any) {
		t.Helper()
		in, _ := json.Marshal(arg)
		res, code := call(t, a, name, string(in))
		if code != "" {
			t.Fatalf("%s: code %s", name, code)
		}
		if out != nil {
			if err := json.Unmarshal([]byte(res), out); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestImportExport imports through the preview and the commit on a real
// device (a portal from the test portal server), and exports.
func TestImportExport(t *testing.T) {
	p, a, mustCall := portalApp(t)
	const pass = "correct horse battery"
	wantCode := func(name string, arg any, want string) {
		t.Helper()
		in, _ := json.Marshal(arg)
		if res, code := call(t, a, name, string(in)); code != want {
			t.Errorf("%s: %s, code %q; want %q", name, res, code, want)
		}
	}
	mustCall("create", map[string]string{"portal": p.URL, "account": "alice", "passphrase": pass}, nil)

	// A password-protected Bitwarden export and a Chrome CSV, made here
	// (the browser tests read no files).
	var bw bytes.Buffer
	err := exporter.Export(&bw, exporter.Bitwarden, []vault.Entry{
		{ID: "1", Name: "GitHub", Sites: []string{"github.com"}, Username: "octo", Password: "gh-1"},
		{ID: "2", Name: "GitHub again", Sites: []string{"github.com"}, Username: "octo", Password: "gh-1"},
		{ID: "3", Name: "Bank", Sites: []string{"bank.example"}, Username: "alice", Password: "gh-2", Notes: "two\nlines"},
	}, exporter.Options{Passphrase: "export password", BitwardenIterations: 5000})
	if err != nil {
		t.Fatal(err)
	}
	chrome := "name,url,username,password,note\nshop,https://shop.example/login,bob,gh-3,\n"
	file := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	enc := file(bw.String())
	wantCode("importPreview", api.ImportArg{Format: "bitwarden", Data: enc}, api.CodePasswordNeeded)
	wantCode("importPreview", api.ImportArg{Format: "bitwarden", Data: enc, Password: "wrong"}, api.CodeWrongPassword)
	wantCode("importPreview", api.ImportArg{Format: "bitwarden", Data: file(chrome)}, api.CodeBadRequest)
	wantCode("importPreview", api.ImportArg{Format: "chrome", Data: "not base64!"}, api.CodeBadRequest)

	var prev api.ImportPreview
	mustCall("importPreview", api.ImportArg{Format: "bitwarden", Data: enc, Password: "export password"}, &prev)
	if prev.Token == "" || prev.Entries != 2 || prev.Merged != 1 || prev.Entries != len(prev.Rows) || prev.Items == 0 || len(prev.Kinds) == 0 || prev.Existing != 0 {
		t.Fatalf("preview %+v", prev)
	}
	if b, _ := json.Marshal(prev); strings.Contains(string(b), "gh-") {
		t.Errorf("the preview holds a password: %s", b)
	}
	list := func() []api.Entry {
		var l []api.Entry
		mustCall("list", nil, &l)
		return l
	}
	if n := len(list()); n != 0 {
		t.Fatalf("the preview wrote %d entries", n)
	}
	var done api.Imported
	mustCall("importCommit", api.ImportToken{Token: prev.Token}, &done)
	if done.Count != prev.Entries || len(list()) != prev.Entries {
		t.Fatalf("imported %+v, vault %d, preview %d", done, len(list()), prev.Entries)
	}
	// The token is spent; the same file again writes nothing.
	wantCode("importCommit", api.ImportToken{Token: prev.Token}, api.CodeNotFound)
	var again api.ImportPreview
	mustCall("importPreview", api.ImportArg{Format: "bitwarden", Data: enc, Password: "export password"}, &again)
	if again.Token != "" || again.Entries != 0 || again.Existing != prev.Entries {
		t.Errorf("second preview %+v", again)
	}

	// Locking forgets a preview; an expired one is refused.
	mustCall("importPreview", api.ImportArg{Format: "chrome", Data: file(chrome)}, &prev)
	mustCall("lock", nil, nil)
	mustCall("unlock", map[string]string{"passphrase": pass}, nil)
	wantCode("importCommit", api.ImportToken{Token: prev.Token}, api.CodeNotFound)
	mustCall("importPreview", api.ImportArg{Format: "chrome", Data: file(chrome)}, &prev)
	transferNow = func() time.Time { return time.Now().Add(api.ImportTTL + time.Minute) }
	wantCode("importCommit", api.ImportToken{Token: prev.Token}, api.CodeNotFound)
	transferNow = time.Now

	// A KeePass database with a key file, alone and with its password.
	key := bytes.Repeat([]byte{7}, 32)
	kdbx := func(password string) string {
		e := gokeepasslib.NewEntry()
		e.Values = append(e.Values,
			gokeepasslib.ValueData{Key: "Title", Value: gokeepasslib.V{Content: "Keyed"}},
			gokeepasslib.ValueData{Key: "URL", Value: gokeepasslib.V{Content: "https://keyed.example/"}},
			gokeepasslib.ValueData{Key: "UserName", Value: gokeepasslib.V{Content: "k" + password}},
		)
		root := gokeepasslib.NewGroup()
		root.Entries = append(root.Entries, e)
		db := gokeepasslib.NewDatabase(gokeepasslib.WithDatabaseKDBXVersion3())
		var err error
		if password == "" {
			db.Credentials, err = gokeepasslib.NewKeyDataCredentials(key)
		} else {
			db.Credentials, err = gokeepasslib.NewPasswordAndKeyDataCredentials(password, key)
		}
		if err != nil {
			t.Fatal(err)
		}
		db.Header.FileHeaders.TransformRounds = 1000
		db.Content.Root = &gokeepasslib.RootData{Groups: []gokeepasslib.Group{root}}
		var b bytes.Buffer
		if err := gokeepasslib.NewEncoder(&b).Encode(db); err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(b.Bytes())
	}
	keyB64 := base64.StdEncoding.EncodeToString(key)
	mustCall("importPreview", api.ImportArg{Format: "kdbx", Data: kdbx(""), KeyFile: keyB64}, &prev)
	if prev.Entries != 1 || prev.Rows[0].Username != "k" {
		t.Errorf("key file only: %+v", prev)
	}
	both := kdbx("db password")
	wantCode("importPreview", api.ImportArg{Format: "kdbx", Data: both, KeyFile: keyB64}, api.CodeWrongPassword)
	wantCode("importPreview", api.ImportArg{Format: "kdbx", Data: both, Password: "db password"}, api.CodeWrongPassword)
	wantCode("importPreview", api.ImportArg{Format: "kdbx", Data: both, Password: "db password", KeyFile: "not base64!"}, api.CodeBadRequest)
	mustCall("importPreview", api.ImportArg{Format: "kdbx", Data: both, Password: "db password", KeyFile: keyB64}, &prev)
	if prev.Entries != 1 || prev.Rows[0].Username != "kdb password" {
		t.Errorf("password and key file: %+v", prev)
	}

	// A file over what one message holds (~48 MiB) arrives in pieces (in
	// the browser's wasm test, a file of three pieces, to keep it short).
	size := 50 << 20
	if runtime.GOOS == "js" {
		size = 2*api.MaxChunkBytes + 1000
	}
	var big bytes.Buffer
	big.WriteString("name,url,username,password,note\n")
	note := strings.Repeat("n", 500)
	for i := 0; big.Len() < size; i++ {
		fmt.Fprintf(&big, "s%d,https://s%d.example/login,u%d,pw-%d,%s\n", i, i, i, i, note)
	}
	rows := strings.Count(big.String(), "\n") - 1
	upload := func(id string, off, n int) (api.Uploaded, string) {
		in, _ := json.Marshal(api.ImportChunk{Upload: id, Size: big.Len(), Offset: off, Data: base64.StdEncoding.EncodeToString(big.Bytes()[off : off+n])})
		res, code := call(t, a, "importUpload", string(in))
		var u api.Uploaded
		if code == "" {
			json.Unmarshal([]byte(res), &u)
		}
		return u, code
	}
	if _, code := upload("nosuch", 0, 10); code != api.CodeNotFound {
		t.Errorf("a piece of no upload: %q", code)
	}
	if _, code := upload("", 10, 10); code != api.CodeBadRequest {
		t.Errorf("a first piece not at 0: %q", code)
	}
	wantCode("importUpload", api.ImportChunk{Size: api.MaxImportBytes + 1, Data: "AAAA"}, api.CodeBadRequest)
	u, code := upload("", 0, api.MaxChunkBytes)
	if code != "" || u.Received != api.MaxChunkBytes || u.Size != big.Len() {
		t.Fatalf("first piece: %+v %q", u, code)
	}
	if _, code := upload(u.Upload, 2*api.MaxChunkBytes, 10); code != api.CodeBadRequest {
		t.Errorf("a piece out of order: %q", code)
	}
	wantCode("importPreview", api.ImportArg{Format: "chrome", Upload: u.Upload}, api.CodeBadRequest) // not whole yet
	for off := api.MaxChunkBytes; off < big.Len(); off += api.MaxChunkBytes {
		if u, code = upload(u.Upload, off, min(api.MaxChunkBytes, big.Len()-off)); code != "" {
			t.Fatalf("piece at %d: %q", off, code)
		}
	}
	if u.Received != big.Len() {
		t.Fatalf("received %d of %d", u.Received, big.Len())
	}
	mustCall("importPreview", api.ImportArg{Format: "chrome", Upload: u.Upload}, &prev)
	if prev.Entries != rows || prev.Token == "" {
		t.Fatalf("preview of the %d MiB file: %d entries, want %d", big.Len()>>20, prev.Entries, rows)
	}
	wantCode("importPreview", api.ImportArg{Format: "chrome", Upload: u.Upload}, api.CodeNotFound) // read once
	wantCode("importPreview", api.ImportArg{Format: "chrome", Upload: u.Upload, Data: "AAAA"}, api.CodeBadRequest)
	// Locking forgets an upload.
	u, _ = upload("", 0, 1000)
	mustCall("lock", nil, nil)
	mustCall("unlock", map[string]string{"passphrase": pass}, nil)
	if _, code := upload(u.Upload, 1000, 10); code != api.CodeNotFound {
		t.Errorf("a piece after a lock: %q", code)
	}

	// Export: the vault passphrase again, then every entry.
	wantCode("exportVault", api.ExportArg{Format: "meshpass", Passphrase: "not it"}, api.CodeWrongPassphrase)
	var out api.Exported
	mustCall("exportVault", api.ExportArg{Format: "meshpass", Passphrase: pass}, &out)
	if out.Entries != done.Count || out.Encrypted || !strings.HasSuffix(out.FileName, ".json") {
		t.Fatalf("export %+v", out)
	}
	data, _ := base64.StdEncoding.DecodeString(out.Data)
	back, err := importer.Parse(importer.Meshpass, data, importer.Options{Exact: true})
	if err != nil || len(back.Entries) != done.Count {
		t.Fatalf("export read back: %v", err)
	}
	mustCall("exportVault", api.ExportArg{Format: "cxf", Passphrase: pass}, &out)
	data, _ = base64.StdEncoding.DecodeString(out.Data)
	if back, err := importer.Parse(importer.CXF, data, importer.Options{}); err != nil || len(back.Entries) != done.Count || !strings.HasSuffix(out.FileName, ".cxf.json") {
		t.Fatalf("CXF export %s read back: %v", out.FileName, err)
	}
	mustCall("exportVault", api.ExportArg{Format: "csv", Passphrase: pass, Encrypt: true, FilePassphrase: "file passphrase"}, &out)
	data, _ = base64.StdEncoding.DecodeString(out.Data)
	if !out.Encrypted || !strings.HasSuffix(out.FileName, ".csv.age") || strings.Contains(string(data), "gh-") {
		t.Errorf("encrypted export %+v", out)
	}
}
