package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/totp"
)

const fixtures = "../../shared/importer/testdata/"

// runEnv runs meshpass on d with more environment variables.
func (d *device) runEnv(env map[string]string, stdin string, args ...string) result {
	d.t.Helper()
	var out, errout bytes.Buffer
	full := append([]string{"--home", d.home, "--portal", d.url}, args...)
	code := run(full, strings.NewReader(stdin), &out, &errout, func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return d.env(k)
	})
	return result{code, out.String(), errout.String()}
}

func entryCount(t *testing.T, d *device) int {
	t.Helper()
	out := d.ok("list")
	if strings.Contains(out, "No passwords saved.") {
		return 0
	}
	return len(strings.Split(strings.TrimSpace(out), "\n")) - 1
}

// TestImport: the preview, asking, one write, refused files writing
// nothing, a KDBX with its password, and importing again writing nothing.
func TestImport(t *testing.T) {
	p := clienttest.New(t)
	a := newDevice(t, p.URL, "passphrase of A")
	a.ok("create", "--name", "laptop", "ivan")

	bw := fixtures + "bitwarden.json"
	out := a.ok("import", "--from", "bitwarden", "--dry-run", bw)
	for _, want := range []string{"Read 7 items", "1 card", "4 login", "To import: 5 entries", "1 duplicates merged",
		"Left out (3)", `"Trashed login" (login): in Bitwarden's trash`, "passkey", "kept in the entry's history", "Dry run"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	if n := entryCount(t, a); n != 0 {
		t.Fatalf("dry run wrote %d entries", n)
	}
	// Not confirmed: nothing written.
	r := a.runStdin("n\n", "import", "--from", "bitwarden", bw)
	if r.code != exitError || !strings.Contains(r.errout, "nothing imported") || entryCount(t, a) != 0 {
		t.Fatalf("not confirmed: exit %d\n%s\n%s", r.code, r.out, r.errout)
	}
	r = a.runStdin("y\n", "import", "--from", "bitwarden", bw)
	if r.code != 0 || !strings.Contains(r.out, "Imported 5 entries") {
		t.Fatalf("import: exit %d\n%s\n%s", r.code, r.out, r.errout)
	}
	if n := entryCount(t, a); n != 5 {
		t.Fatalf("%d entries after the import", n)
	}
	// The earlier passwords are the entry's history, with their dates.
	if s := a.ok("show", "--reveal", lineID(t, a.ok("list"), "github.com")); !regexp.MustCompile(`(?s)Earlier passwords.*2023-06-01.*gh-old-2.*2023-01-02.*gh-old-1`).MatchString(s) ||
		strings.Contains(s, "Password history") {
		t.Fatalf("show after the import:\n%s", s)
	}
	// Again: everything is already there.
	out = a.ok("import", "--from", "bitwarden", "--yes", bw)
	if !strings.Contains(out, "already in the vault") || !strings.Contains(out, "Nothing to import.") || entryCount(t, a) != 5 {
		t.Fatalf("second import:\n%s", out)
	}

	// Refused files change nothing.
	junk := filepath.Join(t.TempDir(), "junk")
	os.WriteFile(junk, bytes.Repeat([]byte{0xff, 0x00, 'x'}, 1<<20), 0o600)
	for _, args := range [][]string{
		{"--from", "chrome", junk}, {"--from", "bitwarden", fixtures + "chrome.csv"}, {"--from", "1password", fixtures + "chrome.csv"},
		{"--from", "kdbx", junk},
	} {
		r := a.run(append([]string{"import", "--yes"}, args...)...)
		if r.code != exitError || !strings.Contains(r.errout, "nothing imported") {
			t.Errorf("import %q: exit %d\n%s", args, r.code, r.errout)
		}
	}
	a.want(exitUsage, "import", "--from", "word", junk)
	a.want(exitUsage, "import", junk)
	r = a.runStdin("wrong\n", "import", "--from", "kdbx", "--yes", fixtures+"keepassxc/fixture.kdbx")
	if r.code != exitPassphrase {
		t.Fatalf("wrong KDBX password: exit %d\n%s", r.code, r.errout)
	}
	if n := entryCount(t, a); n != 5 {
		t.Fatalf("%d entries after refused imports", n)
	}

	// A KDBX with its password (read from standard input here).
	r = a.runStdin("fixture password\n", "import", "--from", "keepass", "--yes", fixtures+"keepassxc/fixture.kdbx")
	if r.code != 0 || !strings.Contains(r.out, "Imported") || !strings.Contains(r.out, `"Old thing" (login): in the recycle bin`) {
		t.Fatalf("kdbx: exit %d\n%s\n%s", r.code, r.out, r.errout)
	}
	out = a.ok("list")
	if !strings.Contains(out, "Build server") || !strings.Contains(out, "bank.example") {
		t.Fatalf("list after the KDBX import:\n%s", out)
	}

	// Databases with a key file (the same entries: already there): alone,
	// and with the password asked.
	key := fixtures + "keepassxc/keyfile.keyx"
	if r := a.run("import", "--from", "kdbx", "--yes", "--key-file", key, fixtures+"keepassxc/keyonly.kdbx"); r.code != 0 || !strings.Contains(r.out, "already in the vault") {
		t.Fatalf("key file only: exit %d\n%s\n%s", r.code, r.out, r.errout)
	}
	if r := a.runStdin("fixture password\n", "import", "--from", "kdbx", "--yes", "--key-file", key, fixtures+"keepassxc/composite.kdbx"); r.code != 0 || !strings.Contains(r.out, "already in the vault") {
		t.Fatalf("password and key file: exit %d\n%s\n%s", r.code, r.out, r.errout)
	}
	if r := a.runStdin("fixture password\n", "import", "--from", "kdbx", "--yes", fixtures+"keepassxc/composite.kdbx"); r.code != exitPassphrase {
		t.Fatalf("without the key file: exit %d\n%s", r.code, r.errout)
	}
}

// TestTOTPCommand: `meshpass totp` prints the code of now.
func TestTOTPCommand(t *testing.T) {
	p := clienttest.New(t)
	a := newDevice(t, p.URL, "passphrase of A")
	a.ok("create", "--name", "laptop", "judy")
	const uri = "otpauth://totp/Bank:judy?secret=JBSWY3DPEHPK3PXP&issuer=Bank&digits=8&algorithm=SHA256"
	id := strings.TrimSpace(a.ok("add", "--site", "bank.example", "--username", "judy", "--password", "pw", "--name", "Bank", "--totp", uri))
	plain := strings.TrimSpace(a.ok("add", "--site", "plain.example", "--username", "judy", "--password", "pw"))
	for _, arg := range []string{id, id[:6], "Bank", "bank.example"} {
		before, _, _ := totp.Code(uri, time.Now())
		out := a.ok("totp", arg)
		after, _, _ := totp.Code(uri, time.Now())
		m := regexp.MustCompile(`^(\d{8})  \(valid (\d+)s more\)\n$`).FindStringSubmatch(out)
		if m == nil || (m[1] != before && m[1] != after) {
			t.Fatalf("totp %s: %q, want %s", arg, out, before)
		}
	}
	a.want(exitError, "totp", plain)
	a.want(exitError, "totp", "nothing")
}

// TestExport: meshpass JSON exported and imported into another profile
// gives the same entries; plaintext asks; files are not overwritten;
// encrypted exports need their passphrase.
func TestExport(t *testing.T) {
	p := clienttest.New(t)
	a := newDevice(t, p.URL, "passphrase of A")
	a.ok("create", "--name", "laptop", "kim")
	a.ok("import", "--from", "bitwarden", "--yes", fixtures+"bitwarden.json")
	id := lineID(t, a.ok("list"), "github.com")
	a.ok("edit", id, "--password", "a newer one")

	dir := t.TempDir()
	file := filepath.Join(dir, "export.json")
	r := a.runStdin("n\n", "export", "-o", file)
	if r.code != exitError || !strings.Contains(r.errout, "plaintext") {
		t.Fatalf("plaintext not confirmed: exit %d\n%s", r.code, r.errout)
	}
	if _, err := os.Stat(file); err == nil {
		t.Fatal("written without confirmation")
	}
	r = a.runStdin("y\n", "export", "--format", "meshpass", "-o", file)
	if r.code != 0 || !strings.Contains(r.out, "Exported 5 entries") {
		t.Fatalf("export: exit %d\n%s\n%s", r.code, r.out, r.errout)
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
	a.want(exitError, "export", "--yes", "-o", file) // exists
	a.ok("export", "--yes", "--force", "-o", file)
	a.want(exitUsage, "export", "--format", "xml")
	exported, _ := os.ReadFile(file)
	if !bytes.Contains(exported, []byte(`"a newer one"`)) || !bytes.Contains(exported, []byte(`"history"`)) {
		t.Fatalf("the export lacks the new password or the history")
	}

	if testing.Short() {
		return // the encrypted exports (scrypt, PBKDF2) take seconds
	}
	enc := filepath.Join(dir, "export.age")
	env := map[string]string{envExportPassphrase: "export passphrase"}
	if r := a.runEnv(env, "", "export", "--encrypt", "--format", "meshpass", "-o", enc); r.code != 0 {
		t.Fatalf("encrypted export: exit %d\n%s", r.code, r.errout)
	}
	bwEnc := filepath.Join(dir, "bitwarden.json")
	if r := a.runEnv(env, "", "export", "--encrypt", "--format", "bitwarden", "-o", bwEnc); r.code != 0 {
		t.Fatalf("encrypted Bitwarden export: exit %d\n%s", r.code, r.errout)
	}
	csvOut := a.ok("export", "--format", "csv", "--yes")
	if !strings.HasPrefix(csvOut, "name,url,username,password,note,") || !strings.Contains(csvOut, "a newer one") {
		t.Fatalf("csv:\n%s", csvOut)
	}

	// Into another profile: the same entries.
	b := newDevice(t, p.URL, "passphrase of B")
	b.ok("create", "--name", "other", "leo")
	if r := b.runEnv(map[string]string{envFilePassword: "wrong"}, "", "import", "--from", "meshpass", "--yes", enc); r.code != exitPassphrase {
		t.Fatalf("wrong export passphrase: exit %d\n%s", r.code, r.errout)
	}
	if r := b.runEnv(map[string]string{envFilePassword: "export passphrase"}, "", "import", "--from", "meshpass", "--yes", enc); r.code != 0 {
		t.Fatalf("import of the encrypted export: exit %d\n%s", r.code, r.errout)
	}
	norm := func(s string) string { return regexp.MustCompile(`(?m)^\S+\s+`).ReplaceAllString(s, "") }
	if la, lb := norm(a.ok("list")), norm(b.ok("list")); la != lb {
		t.Fatalf("lists differ:\n%s\n%s", la, lb)
	}
	idB := lineID(t, b.ok("list"), "github.com")
	if s, sa := b.ok("show", "--reveal", idB), a.ok("show", "--reveal", lineID(t, a.ok("list"), "github.com")); !strings.Contains(s, "a newer one") ||
		!strings.Contains(s, "Earlier passwords") || s[strings.Index(s, "Earlier passwords"):] != sa[strings.Index(sa, "Earlier passwords"):] {
		t.Fatalf("show after the round trip:\n%s\nwas\n%s", s, sa)
	}
	c := newDevice(t, p.URL, "passphrase of C")
	c.ok("create", "--name", "third", "mia")
	if r := c.runEnv(map[string]string{envFilePassword: "export passphrase"}, "", "import", "--from", "bitwarden", "--yes", bwEnc); r.code != 0 || !strings.Contains(r.out, "Imported 5 entries") {
		t.Fatalf("import of the encrypted Bitwarden export: exit %d\n%s\n%s", r.code, r.out, r.errout)
	}
}

// countingProxy forwards to portal and counts requests and bytes sent.
func countingProxy(t *testing.T, portal string) (string, *atomic.Int64, *atomic.Int64) {
	u, err := url.Parse(portal)
	if err != nil {
		t.Fatal(err)
	}
	var n, bytesUp atomic.Int64
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.ContentLength > 0 {
			bytesUp.Add(r.ContentLength)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &n, &bytesUp
}

// TestImport5000: a CSV of 5,000 logins lands as 5,000 entries in a few
// requests.
func TestImport5000(t *testing.T) {
	if testing.Short() {
		t.Skip("5,000 entries: about 4 s, 30 s under the race detector")
	}
	p := clienttest.New(t)
	proxy, requests, up := countingProxy(t, p.URL)
	a := newDevice(t, proxy, "passphrase of A")
	a.ok("create", "--name", "laptop", "nina")
	var csv bytes.Buffer
	csv.WriteString("name,url,username,password,note\n")
	for i := range 5000 {
		fmt.Fprintf(&csv, "Site %d,https://site%d.example/login,user%d@example.com,password-%d-%x,note %d\n", i, i, i, i, i*7919, i)
	}
	file := filepath.Join(t.TempDir(), "5000.csv")
	os.WriteFile(file, csv.Bytes(), 0o600)
	n0, b0 := requests.Load(), up.Load()
	start := time.Now()
	out := a.ok("import", "--from", "chrome", "--yes", file)
	took := time.Since(start)
	n, b := requests.Load()-n0, up.Load()-b0
	if !strings.Contains(out, "Imported 5000 entries") {
		t.Fatalf("import:\n%s", out)
	}
	t.Logf("5,000 entries: %d requests, %d KiB uploaded, %v", n, b>>10, took)
	if n > 30 {
		t.Errorf("%d requests for one bulk write", n)
	}
	if c := entryCount(t, a); c != 5000 {
		t.Fatalf("%d entries", c)
	}
}

// lineID is the Id on the line of a listing that holds what.
func lineID(t *testing.T, list, what string) string {
	t.Helper()
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, what) {
			return strings.Fields(line)[0]
		}
	}
	t.Fatalf("no %q in:\n%s", what, list)
	return ""
}
