package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/meshpass/meshpass/shared/client/clienttest"
)

// TestReanchorCLI: after the portal is restored from a backup, sync says
// what happened and what to do; reanchor shows both log codes, asks, and
// publishes again the entry only this device held.
func TestReanchorCLI(t *testing.T) {
	p := clienttest.New(t)
	a := newDevice(t, p.URL, "passphrase of A")
	a.ok("create", "--name", "laptop", "erin")
	a.ok("add", "--site", "before.example", "--username", "before", "--password", "pw1")
	p.Backup(t)
	a.ok("add", "--site", "after.example", "--username", "after", "--password", "pw2")
	p.Restore(t)

	r := a.run("sync")
	if r.code == 0 || !strings.Contains(r.errout, "meshpass reanchor") {
		t.Errorf("sync on the restored portal does not point to reanchor:\n%s", r.errout)
	}
	// Asked, and refused: nothing changes.
	r = a.runStdin("n\n", "reanchor")
	if r.code == 0 || !strings.Contains(r.out, "log code") {
		t.Fatalf("reanchor answered no: exit %d\n%s\n%s", r.code, r.out, r.errout)
	}
	if r := a.run("sync"); r.code == 0 {
		t.Fatal("sync succeeds after reanchor was refused")
	}
	r = a.runStdin("y\n", "reanchor")
	if r.code != 0 {
		t.Fatalf("reanchor: exit %d\n%s\n%s", r.code, r.out, r.errout)
	}
	codes := regexp.MustCompile(`log code ([A-Z0-9-]{19})`).FindAllStringSubmatch(r.out, -1)
	if len(codes) < 3 || codes[0][1] == codes[1][1] || !strings.Contains(r.out, "1 vault records") {
		t.Fatalf("reanchor output:\n%s", r.out)
	}
	t.Logf("reanchor:\n%s", r.out)
	a.ok("sync")
	if out := a.ok("list"); !strings.Contains(out, "after") || !strings.Contains(out, "before") {
		t.Fatalf("list after re-anchoring:\n%s", out)
	}
	if out := a.ok("reanchor", "--yes"); !strings.Contains(out, "nothing to re-anchor") {
		t.Fatalf("reanchor on a log that extends the verified one:\n%s", out)
	}
}
