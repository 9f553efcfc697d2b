package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/totp"
)

// TestDailyUse: show by site or name, --json, --field, rm that asks, the
// trash and restore.
func TestDailyUse(t *testing.T) {
	p := clienttest.New(t)
	a := newDevice(t, p.URL, "passphrase of A")
	a.ok("create", "--name", "laptop", "dana")

	const uri = "otpauth://totp/GitHub:dana?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"
	gh := strings.TrimSpace(a.ok("add", "--site", "github.com", "--username", "dana", "--password", "gh-pw", "--name", "GitHub",
		"--totp", uri, "--hidden-field", "Recovery=abc-123", "--field", "Team=core"))
	mail := strings.TrimSpace(a.ok("add", "--site", "mail.example.org", "--username", "bob", "--password", "mail-pw"))
	org := strings.TrimSpace(a.ok("add", "--site", "example.org", "--username", "carol", "--password", "org-pw"))

	// By site (as the popup matches a page), by URL, by name.
	for _, arg := range []string{"github.com", "https://github.com/login?next=/", "GitHub", "github", gh[:6]} {
		out := a.ok("show", arg)
		if !strings.Contains(out, gh) || !strings.Contains(out, "dana") || strings.Contains(out, "gh-pw") {
			t.Errorf("show %s:\n%s", arg, out)
		}
	}
	// A site several entries may fill: all listed, best first; exit 1.
	r := a.want(exitError, "show", "example.org")
	if !strings.Contains(r.out, org) || !strings.Contains(r.out, mail) || strings.Index(r.out, org) > strings.Index(r.out, mail) ||
		!strings.Contains(r.errout, "names 2 entries") {
		t.Errorf("show example.org:\n%s\n%s", r.out, r.errout)
	}
	a.want(exitError, "show", "nothing.example")

	// One field, for scripts.
	for field, want := range map[string]string{"password": "gh-pw", "username": "dana", "Recovery": "abc-123", "team": "core",
		"otpauth": uri, "name": "GitHub", "site": "github.com", "id": gh} {
		if out := a.ok("show", "github.com", "--field", field); out != want+"\n" {
			t.Errorf("--field %s = %q, want %q", field, out, want)
		}
	}
	before := time.Now()
	code := a.ok("show", "github.com", "--field", "totp")
	c1, _, _ := totp.Code(uri, before)
	c2, _, _ := totp.Code(uri, time.Now())
	if code != c1+"\n" && code != c2+"\n" {
		t.Errorf("--field totp = %q, want %s", code, c1)
	}
	a.want(exitUsage, "show", "github.com", "--field", "nope")
	a.want(exitUsage, "show", "github.com", "--field", "password", "--json")
	a.want(exitError, "show", org, "--field", "totp")

	// JSON: never a secret unless --reveal.
	var list []entryJSON
	out := a.ok("list", "--json")
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 3 {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	for _, secret := range []string{"gh-pw", "mail-pw", "org-pw", "abc-123", "JBSWY3DP"} {
		if strings.Contains(out, secret) {
			t.Errorf("list --json holds %q:\n%s", secret, out)
		}
	}
	i := slices.IndexFunc(list, func(e entryJSON) bool { return e.ID == gh })
	if i < 0 || !list[i].TOTP || list[i].Name != "GitHub" || list[i].Password != nil || len(list[i].Fields) != 2 {
		t.Errorf("list --json entry: %+v", list[i])
	}
	var e entryJSON
	out = a.ok("show", gh, "--json")
	if err := json.Unmarshal([]byte(out), &e); err != nil || e.Password != nil || strings.Contains(out, "abc-123") || e.TOTPURI != "" {
		t.Errorf("show --json: %v\n%s", err, out)
	}
	a.ok("edit", gh, "--password", "gh-pw-2")
	out = a.ok("show", gh, "--json", "--reveal")
	e = entryJSON{}
	if err := json.Unmarshal([]byte(out), &e); err != nil || e.Password == nil || *e.Password != "gh-pw-2" || e.TOTPURI != uri ||
		len(e.History) != 1 || e.History[0].Password != "gh-pw" || !strings.Contains(out, "abc-123") {
		t.Errorf("show --json --reveal: %v\n%s", err, out)
	}

	// rm asks; no (or no answer) deletes nothing.
	r = a.runStdin("n\n", "rm", mail)
	if r.code != exitError || !strings.Contains(r.errout, "Delete bob on mail.example.org") || !strings.Contains(r.errout, "not confirmed") {
		t.Errorf("rm answered no: exit %d\n%s\n%s", r.code, r.out, r.errout)
	}
	a.want(exitError, "rm", mail)
	if !strings.Contains(a.ok("list"), mail) {
		t.Fatal("rm without yes deleted")
	}
	if out := a.ok("trash"); !strings.Contains(out, "empty") {
		t.Errorf("trash before any rm:\n%s", out)
	}
	r = a.runStdin("y\n", "rm", mail)
	if r.code != 0 || !strings.Contains(r.out, "restore "+mail) {
		t.Fatalf("rm answered yes: exit %d\n%s\n%s", r.code, r.out, r.errout)
	}
	a.ok("rm", "--yes", org)
	if out := a.ok("list"); strings.Contains(out, mail) || strings.Contains(out, org) {
		t.Errorf("deleted entries listed:\n%s", out)
	}

	// The trash: most recently deleted first, without secrets.
	out = a.ok("trash")
	if !strings.Contains(out, mail) || !strings.Contains(out, org) || strings.Index(out, org) > strings.Index(out, mail) || strings.Contains(out, "mail-pw") || strings.Contains(out, "org-pw") {
		t.Errorf("trash:\n%s", out)
	}
	var trash []entryJSON
	if err := json.Unmarshal([]byte(a.ok("trash", "--json")), &trash); err != nil || len(trash) != 2 || trash[0].Deleted == nil {
		t.Errorf("trash --json: %v %+v", err, trash)
	}
	a.want(exitError, "restore", gh) // not deleted
	if out := a.ok("restore", mail[:8]); !strings.Contains(out, "Restored "+mail) {
		t.Errorf("restore:\n%s", out)
	}
	if out := a.ok("show", mail, "--field", "password"); out != "mail-pw\n" {
		t.Errorf("restored entry's password = %q", out)
	}
	out = a.ok("trash")
	if strings.Contains(out, mail) || !strings.Contains(out, org) {
		t.Errorf("trash after restore:\n%s", out)
	}

	// The restore is published: a sync keeps it.
	a.ok("sync")
	if out := a.ok("list"); !strings.Contains(out, mail) {
		t.Errorf("list after restore and sync:\n%s", out)
	}
}

var unlockedRE = regexp.MustCompile(`Unlocked until`)

// TestTimedUnlock: the passphrase once per session, in a 0600 file that
// expires; lock ends it; export and escrow ask all the same.
func TestTimedUnlock(t *testing.T) {
	p := clienttest.New(t)
	a := newDevice(t, p.URL, "passphrase of A")
	a.ok("create", "--name", "laptop", "eve")
	a.ok("add", "--site", "example.com", "--username", "eve", "--password", "pw")
	pass := a.passphrase
	a.passphrase = "" // from now on only standard input gives it

	r := a.want(exitError, "list")
	if !strings.Contains(r.errout, "no passphrase") {
		t.Fatalf("list without a passphrase: %s", r.errout)
	}
	if r := a.runStdin("wrong passphrase\n", "unlock"); r.code != exitPassphrase {
		t.Fatalf("unlock with a wrong passphrase: exit %d %s", r.code, r.errout)
	}
	a.want(exitUsage, "unlock", "--for", "13h")
	a.want(exitUsage, "unlock", "--for", "0s")
	if r := a.runStdin(pass+"\n", "unlock", "--for", "10m"); r.code != 0 || !unlockedRE.MatchString(r.out) {
		t.Fatalf("unlock: exit %d\n%s\n%s", r.code, r.out, r.errout)
	}
	file := filepath.Join(a.home, sessionFileName)
	st, err := os.Stat(file)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("session file: %v, mode %v", err, st.Mode())
	}
	b, _ := os.ReadFile(file)
	if strings.Contains(string(b), pass) {
		t.Error("the session file holds the passphrase")
	}
	// Commands need no passphrase now.
	if out := a.ok("list"); !strings.Contains(out, "eve") {
		t.Errorf("list while unlocked:\n%s", out)
	}
	a.ok("show", "example.com", "--field", "password")
	a.ok("add", "--site", "shop.example", "--username", "eve", "--password", "pw2")
	// Export still asks for the passphrase.
	if r := a.run("export", "--yes"); r.code == 0 || !strings.Contains(r.errout, "no passphrase") {
		t.Errorf("export during a timed unlock: exit %d\n%s", r.code, r.errout)
	}
	// A session file others may read is not used.
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := a.run("list"); r.code != exitError || !strings.Contains(r.errout, "readable or writable by others") {
		t.Errorf("list with a 0644 session file: exit %d\n%s", r.code, r.errout)
	}
	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	a.ok("list")

	// lock ends it.
	if out := a.ok("lock"); !strings.Contains(out, "Locked") {
		t.Errorf("lock: %s", out)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("session file after lock: %v", err)
	}
	a.want(exitError, "list")
	if out := a.ok("lock"); !strings.Contains(out, "Not unlocked") {
		t.Errorf("lock again: %s", out)
	}

	// It expires by itself, and the expired file is deleted.
	if r := a.runStdin(pass+"\n", "unlock", "--for", "1s"); r.code != 0 {
		t.Fatalf("unlock --for 1s: exit %d %s", r.code, r.errout)
	}
	a.ok("list")
	time.Sleep(1100 * time.Millisecond)
	a.want(exitError, "list")
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("expired session file kept: %v", err)
	}
}
