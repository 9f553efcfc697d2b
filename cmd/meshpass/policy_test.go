package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/policy/vectors"
)

// nowhere is a portal nothing answers at: a command that gets as far as
// asking it has accepted its input.
const nowhere = "http://127.0.0.1:1"

// wantAnswer fails unless r is the CLI accepting (ok) or refusing the
// input: refused is exit 2 with a message naming about; accepted gets past
// the rules to fail on what comes next (no device here, no portal), exit 1
// with a message holding next.
func wantAnswer(t *testing.T, what string, ok bool, r result, about, next string) {
	t.Helper()
	switch {
	case ok && (r.code != exitError || !strings.Contains(r.errout, next)):
		t.Errorf("%s: exit %d, want the input accepted (exit 1, %q)\nstderr: %s", what, r.code, next, r.errout)
	case !ok && (r.code != exitUsage || !strings.Contains(r.errout, about)):
		t.Errorf("%s: exit %d, want it refused (exit 2, %q)\nstderr: %s", what, r.code, about, r.errout)
	}
}

// TestVectors runs the shared test vectors (shared/policy/vectors) through
// the CLI's real code paths: a new passphrase on create, connect and
// recover; an account on create; share counts on escrow; sites on add;
// generator options on add --generate. The answers must be the policy
// package's (and so the popup's).
func TestVectors(t *testing.T) {
	v, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	d := newDevice(t, nowhere, "")
	const unreachable = "unreachable"
	const noDevice = "no device set up"

	for _, c := range v.Passphrases {
		pass := c.Input()
		what := fmt.Sprintf("passphrase %q (%s)", pass, c.Note)
		if len(pass) > 40 {
			what = fmt.Sprintf("passphrase of %d bytes (%s)", len(pass), c.Note)
		}
		// On standard input (not a terminal): one line.
		wantAnswer(t, "create: "+what, c.OK, d.runStdin(pass+"\n", "create", "alice"), "passphrase", unreachable)
		wantAnswer(t, "connect: "+what, c.OK, d.runStdin(pass+"\n", "connect", "alice"), "passphrase", unreachable)
		// Accepted, recover gets to the shares, which are nonsense.
		wantAnswer(t, "recover: "+what, c.OK, d.runStdin(pass+"\n", "recover", "alice", "x", "y"), "passphrase", "share")
		// And from the environment.
		if pass != "" {
			e := &device{t: t, home: d.home, url: nowhere, passphrase: pass}
			wantAnswer(t, "create ($MESHPASS_PASSPHRASE): "+what, c.OK, e.run("create", "alice"), "passphrase", unreachable)
		}
	}
	for _, c := range v.Accounts {
		e := &device{t: t, home: d.home, url: nowhere, passphrase: "correct horse"}
		wantAnswer(t, fmt.Sprintf("create %q", c.Input()), c.OK, e.run("create", c.Input()), "account", unreachable)
	}
	for _, c := range v.Shares {
		r := d.run("escrow", "--threshold", fmt.Sprint(c.Threshold), "--shares", fmt.Sprint(c.Shares))
		wantAnswer(t, fmt.Sprintf("escrow %d of %d", c.Threshold, c.Shares), c.OK, r, "shares", noDevice)
	}
	for _, c := range v.Sites {
		if strings.Contains(c.Input(), ",") {
			t.Fatalf("site %q: --site splits at commas; the CLI cannot take this vector", c.Input())
		}
		r := d.run("add", "--site", c.Input(), "--username", "u", "--password", "p")
		wantAnswer(t, fmt.Sprintf("add --site %q", c.Input()), c.OK, r, "site", noDevice)
	}
	for _, c := range v.Generator {
		o := c.Options
		args := []string{"add", "--site", "example.com", "--username", "u", "--generate", fmt.Sprint(o.Length)}
		for flag, on := range map[string]bool{"--no-lower": !o.Lower, "--no-upper": !o.Upper, "--no-digits": !o.Digits, "--no-symbols": !o.Symbols, "--avoid-ambiguous": o.AvoidAmbiguous} {
			if on {
				args = append(args, flag)
			}
		}
		if o.Length == 0 { // --generate 0 is no --generate: the generator is not asked
			continue
		}
		wantAnswer(t, fmt.Sprintf("%q", args), c.OK, d.run(args...), "passgen", noDevice)
	}
}

// TestVectorsSitesStored: the accepted sites of the vectors, added through
// the CLI, are stored in the canonical form the vectors give.
func TestVectorsSitesStored(t *testing.T) {
	v, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := clienttest.New(t)
	d := newDevice(t, p.URL, "passphrase of D")
	d.ok("create", "dora")
	args := []string{"add", "--username", "u", "--password", "p"}
	var want []string
	for _, c := range v.Sites {
		if !c.OK {
			continue
		}
		args = append(args, "--site", c.Input())
		if !slices.Contains(want, c.Want) {
			want = append(want, c.Want)
		}
	}
	id := strings.TrimSpace(d.ok(args...))
	out := d.ok("show", id)
	m := regexp.MustCompile(`(?m)^Sites:\s+(.*)$`).FindStringSubmatch(out)
	if m == nil || m[1] != strings.Join(want, ", ") {
		t.Errorf("stored sites:\n%s\nwant %s", out, strings.Join(want, ", "))
	}
}

// TestRules: the CLI's own use of the rules beyond the vectors.
func TestRules(t *testing.T) {
	p := clienttest.New(t)
	a := newDevice(t, p.URL, "passphrase of A")
	a.ok("create", "erin")

	// A refused site is refused before the passphrase is asked, and nothing
	// is stored.
	r := a.runStdin("", "add", "--site", "not a url", "--username", "u", "--password", "p")
	if r.code != exitUsage || !strings.Contains(r.errout, `site "not a url": `) || strings.Contains(r.errout, "Passphrase") {
		t.Errorf("add a bad site: exit %d\n%s", r.code, r.errout)
	}
	if out := a.ok("list"); !strings.Contains(out, "No passwords saved") {
		t.Errorf("a refused add stored something:\n%s", out)
	}
	id := strings.TrimSpace(a.ok("add", "--site", "HTTPS://Login.Example.com/x", "--username", "u", "--generate", "30", "--no-symbols", "--avoid-ambiguous"))
	out := a.ok("show", "--reveal", id)
	if !strings.Contains(out, "Sites:    login.example.com\n") {
		t.Errorf("site not canonical:\n%s", out)
	}
	pw := regexp.MustCompile(`Password: (\S+)\n`).FindStringSubmatch(out)
	if pw == nil || len(pw[1]) != 30 || strings.ContainsAny(pw[1], "!#$%&()*+,-./:;<=>?@[]^_{|}~Il1O0o") {
		t.Errorf("--generate 30 --no-symbols --avoid-ambiguous:\n%s", out)
	}
	a.want(exitUsage, "edit", id, "--site", "*.com")
	a.ok("edit", id, "--site", "example.com,*.Example.com")
	if out = a.ok("show", id); !strings.Contains(out, "Sites:    example.com, *.example.com\n") {
		t.Errorf("edit --site:\n%s", out)
	}
	a.want(exitUsage, "add", "--site", "x.test", "--username", "u", "--no-symbols")      // without --generate
	a.want(exitUsage, "add", "--site", "x.test", "--username", "u", "--generate", "200") // too long
	a.want(exitUsage, "add", "--site", "x.test", "--username", "u", "--generate", "12", "--no-lower", "--no-upper", "--no-digits", "--no-symbols")

	// Escrow: at most 16 shares.
	a.want(exitUsage, "escrow", "--shares", "17")
	if out = a.ok("escrow", "--threshold", "2", "--shares", "16"); !strings.Contains(out, "Any 2 of these 16 shares") {
		t.Errorf("escrow of 16 shares:\n%s", out)
	}

	// A new passphrase on a new device.
	b := newDevice(t, p.URL, "short")
	if r := b.want(exitUsage, "create", "frank"); !strings.Contains(r.errout, "passphrase: shorter than 8 characters") {
		t.Errorf("create with a short passphrase: %q", r.errout)
	}
	if r := b.want(exitUsage, "create", "frank smith"); !strings.Contains(r.errout, `account "frank smith": holds ' '`) {
		t.Errorf("create with a space in the account: %q", r.errout)
	}
	b.want(exitError, "fingerprint") // nothing was made

	// recover: --keep-others and --remove-others together make no sense.
	b.want(exitUsage, "recover", "--keep-others", "--remove-others", "erin", "x", "y")
}
