package main

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/client/clienttest"
)

// syncBuffer is a bytes.Buffer safe for a command running in a goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// device is one meshpass home directory driven in-process.
type device struct {
	t          *testing.T
	home, url  string
	passphrase string
}

func newDevice(t *testing.T, url, passphrase string) *device {
	return &device{t: t, home: t.TempDir(), url: url, passphrase: passphrase}
}

type result struct {
	code        int
	out, errout string
}

func (d *device) env(name string) string {
	if name == envPassphrase {
		return d.passphrase
	}
	return ""
}

// runIO runs meshpass on the device with stdin and the given writers.
func (d *device) runIO(stdin string, stdout, stderr interface{ Write([]byte) (int, error) }, args ...string) int {
	full := append([]string{"--home", d.home, "--portal", d.url}, args...)
	return run(full, strings.NewReader(stdin), stdout, stderr, d.env)
}

// run runs meshpass and returns its exit code and output.
func (d *device) run(args ...string) result {
	d.t.Helper()
	return d.runStdin("", args...)
}

func (d *device) runStdin(stdin string, args ...string) result {
	d.t.Helper()
	var out, errout bytes.Buffer
	code := d.runIO(stdin, &out, &errout, args...)
	return result{code, out.String(), errout.String()}
}

// ok runs meshpass and fails the test unless it exits 0.
func (d *device) ok(args ...string) string {
	d.t.Helper()
	r := d.run(args...)
	if r.code != 0 {
		d.t.Fatalf("meshpass %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.out, r.errout)
	}
	return r.out
}

// want runs meshpass and fails the test unless it exits code.
func (d *device) want(code int, args ...string) result {
	d.t.Helper()
	r := d.run(args...)
	if r.code != code {
		d.t.Fatalf("meshpass %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, code, r.out, r.errout)
	}
	return r
}

var (
	witnessRE = regexp.MustCompile(`Witness code:\s+(\S+)`)
	deviceRE  = regexp.MustCompile(`This device:\s+(\S+)`)
	fprintRE  = regexp.MustCompile(`Profile fingerprint:\s+(\S+)`)
)

// connecting is a `meshpass connect` running in a goroutine.
type connecting struct {
	out, errout     *syncBuffer
	done            chan int
	witness, device string
}

// startConnect runs `meshpass connect --yes` (the fingerprint taken as
// confirmed) until it waits for an answer.
func startConnect(t *testing.T, d *device, account string) *connecting {
	t.Helper()
	c := &connecting{out: &syncBuffer{}, errout: &syncBuffer{}, done: make(chan int, 1)}
	go func() {
		c.done <- d.runIO("", c.out, c.errout, "connect", "--yes", "--interval", "50ms", "--timeout", "30s", "--name", "phone", account)
	}()
	c.until(t, "waiting", func(out string) bool {
		if m := deviceRE.FindStringSubmatch(out); m != nil && strings.Contains(out, "Waiting for an answer") {
			c.device = m[1]
			return true
		}
		return false
	})
	return c
}

// until waits for out to satisfy ok.
func (c *connecting) until(t *testing.T, what string, ok func(out string) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out := c.out.String()
		if ok(out) {
			return
		}
		select {
		case code := <-c.done:
			t.Fatalf("connect exited %d before %s\nstdout: %s\nstderr: %s", code, what, out, c.errout.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("connect showed no %s\nstdout: %s\nstderr: %s", what, out, c.errout.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitWitness waits for the witness code, shown once an administration
// device has listed the request.
func (c *connecting) waitWitness(t *testing.T) string {
	t.Helper()
	c.until(t, "witness code", func(out string) bool {
		if m := witnessRE.FindStringSubmatch(out); m != nil {
			c.witness = m[1]
			return true
		}
		return false
	})
	return c.witness
}

func (c *connecting) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-c.done:
		return code
	case <-time.After(30 * time.Second):
		t.Fatalf("connect did not finish\nstdout: %s\nstderr: %s", c.out.String(), c.errout.String())
		return -1
	}
}

func TestCLI(t *testing.T) {
	p := clienttest.New(t)
	a := newDevice(t, p.URL, "passphrase of A")
	b := newDevice(t, p.URL, "passphrase of B")

	// Nothing set up yet.
	a.want(exitError, "list")

	out := a.ok("create", "--name", "laptop", "alice")
	fpA := fprintRE.FindStringSubmatch(out)[1]
	devA := deviceRE.FindStringSubmatch(out)[1]
	a.want(exitError, "create", "alice") // this home already holds a device

	// The vault on A.
	id := strings.TrimSpace(a.ok("add", "--site", "example.com", "--username", "alice@example.com", "--password", "hunter2", "--notes", "main login"))
	if id == "" {
		t.Fatal("add printed no Id")
	}
	// Password from standard input (not a terminal).
	r := a.runStdin("from stdin\n", "add", "--site", "mail.example.org", "--username", "al")
	if r.code != 0 || !strings.Contains(r.errout, "not a terminal") {
		t.Fatalf("add reading stdin: exit %d\nstdout: %s\nstderr: %s", r.code, r.out, r.errout)
	}
	id2 := strings.TrimSpace(r.out)
	id3 := strings.TrimSpace(a.ok("add", "--site", "a.test,b.test", "--username", "gen", "--generate", "24"))

	out = a.ok("list")
	for _, want := range []string{id, id2, id3, "example.com", "alice@example.com", "mail.example.org", "a.test,b.test"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hunter2") || strings.Contains(out, "from stdin") {
		t.Errorf("list shows a password:\n%s", out)
	}
	out = a.ok("show", id)
	if strings.Contains(out, "hunter2") || !strings.Contains(out, "alice@example.com") || !strings.Contains(out, "main login") {
		t.Errorf("show without --reveal:\n%s", out)
	}
	if out = a.ok("show", "--reveal", id); !strings.Contains(out, "Password: hunter2") {
		t.Errorf("show --reveal:\n%s", out)
	}
	if out = a.ok("show", "--reveal", id2); !strings.Contains(out, "Password: from stdin") {
		t.Errorf("show --reveal of the entry read from stdin:\n%s", out)
	}
	if out = a.ok("show", "--reveal", id3); !regexp.MustCompile(`Password: \S{24}\n`).MatchString(out) {
		t.Errorf("show --reveal of a generated password:\n%s", out)
	}
	a.ok("edit", id, "--username", "al@example.com", "--password", "correct horse")
	if out = a.ok("show", "--reveal", id); !strings.Contains(out, "Password: correct horse") || !strings.Contains(out, "Username: al@example.com") {
		t.Errorf("show after edit:\n%s", out)
	}
	a.want(exitUsage, "edit", id) // nothing to change
	a.ok("rm", "--yes", id3)
	if out = a.ok("list"); strings.Contains(out, id3) {
		t.Errorf("list after rm still shows %s:\n%s", id3, out)
	}
	a.want(exitError, "show", id3)

	// Connect B; both sides show the same witness code.
	c := startConnect(t, b, "alice")
	if fp := fprintRE.FindStringSubmatch(c.out.String())[1]; fp != fpA {
		t.Errorf("B shows profile %s, A created %s", fp, fpA)
	}
	out = a.ok("pending") // A answers the witness exchange, B answers back
	c.waitWitness(t)
	if !strings.Contains(out, c.device) || !strings.Contains(out, c.witness) {
		t.Fatalf("pending on A does not show B's device %s with witness %s:\n%s", c.device, c.witness, out)
	}
	a.want(exitError, "approve", c.device) // asked, and nothing on standard input
	if r := a.runStdin("n\n", "approve", c.device); r.code != exitVerification {
		t.Fatalf("approve answered no: %d %s", r.code, r.errout)
	}
	a.want(exitVerification, "approve", "--witness", "AAAAA-AAAAA", c.device)
	a.ok("approve", "--witness", c.witness, c.device)
	if code := c.wait(t); code != 0 {
		t.Fatalf("connect exited %d\nstdout: %s\nstderr: %s", code, c.out.String(), c.errout.String())
	}
	if !strings.Contains(c.out.String(), "Connected") {
		t.Errorf("connect output:\n%s", c.out.String())
	}

	// B reads A's passwords; A sees what B adds.
	b.ok("sync")
	if out = b.ok("list"); !strings.Contains(out, id) || !strings.Contains(out, "al@example.com") {
		t.Errorf("list on B:\n%s", out)
	}
	if out = b.ok("show", "--reveal", id); !strings.Contains(out, "Password: correct horse") {
		t.Errorf("show on B:\n%s", out)
	}
	idB := strings.TrimSpace(b.ok("add", "--site", "b.example", "--username", "bob", "--password", "from B"))
	if out = b.ok("sync", "--snapshot"); !strings.Contains(out, "Published a snapshot of the vault.") {
		t.Errorf("sync --snapshot on B:\n%s", out)
	}
	if out = a.ok("list", "--sync"); !strings.Contains(out, idB) {
		t.Errorf("A does not see B's entry %s:\n%s", idB, out)
	}
	out = b.ok("fingerprint")
	if fprintRE.FindStringSubmatch(out)[1] != fpA {
		t.Errorf("B's fingerprint:\n%s\nwant %s", out, fpA)
	}
	b.want(exitDenied, "pending") // B is not an administration device

	out = a.ok("devices")
	if !strings.Contains(out, devA) || !strings.Contains(out, c.device) || !strings.Contains(out, "this device") {
		t.Errorf("devices on A:\n%s", out)
	}

	// A third device is rejected.
	d := newDevice(t, p.URL, "passphrase of D")
	cd := startConnect(t, d, "alice")
	a.ok("reject", cd.device)
	if code := cd.wait(t); code != exitDenied {
		t.Errorf("rejected connect exited %d, want %d\nstdout: %s\nstderr: %s", code, exitDenied, cd.out.String(), cd.errout.String())
	}
	d.want(exitError, "fingerprint") // its keys were deleted

	// A removes B; B can no longer sync.
	a.ok("remove-device", c.device)
	if out = a.ok("devices"); strings.Contains(out, c.device) {
		t.Errorf("devices after remove-device still lists B:\n%s", out)
	}
	a.ok("add", "--site", "after.example", "--username", "x", "--password", "secret after removal")
	b.want(exitDenied, "sync")

	// The fingerprint and the log.
	if out = a.ok("fingerprint"); !strings.Contains(out, fpA) || !strings.Contains(out, "alice") {
		t.Errorf("fingerprint:\n%s", out)
	}
	if out = a.ok("audit"); !strings.Contains(out, "Log verified") {
		t.Errorf("audit:\n%s", out)
	}

	// A wrong passphrase.
	wrong := &device{t: t, home: a.home, url: p.URL, passphrase: "not it"}
	r = wrong.want(exitPassphrase, "list")
	if !strings.HasPrefix(r.errout, "meshpass: ") {
		t.Errorf("error output %q", r.errout)
	}
}

func TestUsage(t *testing.T) {
	d := newDevice(t, "http://127.0.0.1:1", "pw")
	r := d.want(exitUsage, "frobnicate")
	if !strings.Contains(r.errout, "meshpass: unknown command") {
		t.Errorf("unknown command: %q", r.errout)
	}
	d.want(exitUsage)
	d.want(exitUsage, "add", "--bogus")
	d.want(exitUsage, "add", "--username", "x") // no --site
	d.want(exitUsage, "add", "--site", "x", "--password", "p", "--generate", "12")
	d.want(exitUsage, "show")
	for _, cmd := range commands {
		r := d.want(exitOK, cmd.name, "--help")
		if !strings.Contains(r.out, "Usage: meshpass "+cmd.name) {
			t.Errorf("%s --help:\n%s", cmd.name, r.out)
		}
	}
	r = d.want(exitOK, "help")
	for _, want := range []string{"Exit codes", "remove-device", "MESHPASS_PASSPHRASE", "4  wrong passphrase"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	if r = d.want(exitOK, "help", "connect"); !strings.Contains(r.out, "-timeout") {
		t.Errorf("help connect:\n%s", r.out)
	}
	d.want(exitOK, "--help")
	d.want(exitError, "audit") // no device here
}

// TestConnectResume: connect gives up after --timeout, leaving the request
// pending; running it again keeps waiting for the same request.
func TestConnectResume(t *testing.T) {
	p := clienttest.New(t)
	a := newDevice(t, p.URL, "passphrase of A")
	b := newDevice(t, p.URL, "passphrase of B")
	a.ok("create", "carol")
	r := b.want(exitError, "connect", "--timeout", "200ms", "--interval", "50ms", "carol")
	if !strings.Contains(r.errout, "fingerprint") {
		t.Errorf("connect without confirming the fingerprint: %q", r.errout)
	}
	d := newDevice(t, p.URL, "passphrase of D")
	if r := d.runStdin("n\n", "connect", "carol"); r.code != exitVerification {
		t.Errorf("connect, the fingerprint refused: %d %q", r.code, r.errout)
	}
	d.want(exitError, "fingerprint") // its keys were deleted
	r = b.runStdin("y\n", "connect", "--timeout", "200ms", "--interval", "50ms")
	if r.code != exitError || !strings.Contains(r.errout, "no answer within") {
		t.Errorf("connect timing out: %d %q", r.code, r.errout)
	}
	first := deviceRE.FindStringSubmatch(r.out)[1]
	if out := b.ok("fingerprint"); !strings.Contains(out, "pending") {
		t.Errorf("fingerprint while pending:\n%s", out)
	}
	b.want(exitError, "list")             // still pending
	b.want(exitError, "connect", "other") // waiting for carol, not other
	c := startConnect(t, b, "carol")
	if c.device != first {
		t.Errorf("the device changed from %s to %s on resuming", first, c.device)
	}
	out := a.ok("pending")
	if c.waitWitness(t); !strings.Contains(out, c.witness) {
		t.Errorf("pending:\n%s", out)
	}
	if r := a.runStdin("y\n", "approve", c.device[:12]); r.code != 0 {
		t.Fatalf("approve: %d %s", r.code, r.errout)
	}
	if code := c.wait(t); code != 0 {
		t.Fatalf("connect exited %d\nstdout: %s\nstderr: %s", code, c.out.String(), c.errout.String())
	}
	if out := b.ok("list"); !strings.Contains(out, "No passwords saved") {
		t.Errorf("list on B:\n%s", out)
	}
	b.want(exitUsage, "connect", "a", "b")
	b.want(exitError, "connect", "carol") // already connected
}
