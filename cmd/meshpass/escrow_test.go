package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/meshpass/meshpass/shared/client/clienttest"
)

var shareRE = regexp.MustCompile(`Share (\d+) of (\d+):\s+(\S+)`)

// TestEscrowRecover: escrow prints the shares once with its warnings;
// recover on a new device refuses a mistyped share by name and too few
// shares, then recovers from two shares on standard input (removing the
// lost device, by default) and prints new shares, voiding those it used; a
// recovery with the new shares (--keep-others) takes the administration
// from the first recovered device, which says so.
func TestEscrowRecover(t *testing.T) {
	p := clienttest.New(t)
	a := newDevice(t, p.URL, "passphrase of A")
	out := a.ok("create", "--name", "laptop", "alice")
	fpA := fprintRE.FindStringSubmatch(out)[1]
	id := strings.TrimSpace(a.ok("add", "--site", "example.com", "--username", "al", "--password", "hunter2"))

	a.want(exitUsage, "escrow", "--threshold", "1")
	a.want(exitUsage, "escrow", "--threshold", "3", "--shares", "2")
	a.want(exitUsage, "escrow", "extra")
	out = a.ok("escrow", "--threshold", "2", "--shares", "3")
	var shares []string
	for _, m := range shareRE.FindAllStringSubmatch(out, -1) {
		shares = append(shares, m[3])
	}
	if len(shares) != 3 {
		t.Fatalf("escrow printed %d shares:\n%s", len(shares), out)
	}
	for _, want := range []string{"Any 2 of these 3 shares", "write these shares down", "never stored", "earlier escrow are now void", fpA} {
		if !strings.Contains(out, want) {
			t.Errorf("escrow output lacks %q:\n%s", want, out)
		}
	}

	// All devices lost: a new device recovers.
	r := newDevice(t, p.URL, "passphrase of R")
	bad := []byte(shares[1])
	if bad[3] == 'A' {
		bad[3] = 'B'
	} else {
		bad[3] = 'A'
	}
	res := r.want(exitError, "recover", "alice", shares[0], string(bad))
	if !strings.Contains(res.errout, "share 2: checksum wrong") {
		t.Errorf("a mistyped share: %q", res.errout)
	}
	if res = r.want(exitError, "recover", "alice", shares[2]); !strings.Contains(res.errout, "too few shares") {
		t.Errorf("one share: %q", res.errout)
	}
	r.want(exitUsage, "recover")
	r.want(exitUsage, "recover", "alice") // no shares on standard input
	// --remove-others is the default now; still accepted.
	if res = r.want(exitError, "recover", "--remove-others", "alice", shares[0], string(bad)); !strings.Contains(res.errout, "share 2") {
		t.Errorf("recover --remove-others: %q", res.errout)
	}
	// By default recover removes the other (lost) devices.
	res = r.runStdin(shares[0]+"\n"+shares[2]+"\n\n", "recover", "--name", "new laptop", "alice")
	if res.code != 0 {
		t.Fatalf("recover: exit %d\nstdout: %s\nstderr: %s", res.code, res.out, res.errout)
	}
	if fp := fprintRE.FindStringSubmatch(res.out)[1]; fp != fpA {
		t.Errorf("recovered profile %s, want %s", fp, fpA)
	}
	if !strings.Contains(res.out, "(1 entries)") || !strings.Contains(res.out, "Every other device was removed") {
		t.Errorf("recover output:\n%s", res.out)
	}
	// Recover replaced the keys and printed new shares, with the warning.
	var newShares []string
	for _, m := range shareRE.FindAllStringSubmatch(res.out, -1) {
		newShares = append(newShares, m[3])
	}
	if len(newShares) != 3 {
		t.Fatalf("recover printed %d new shares:\n%s", len(newShares), res.out)
	}
	for _, want := range []string{"escrowed anew", "Any 2 of these 3 shares", "write these shares down", "earlier escrow are now void"} {
		if !strings.Contains(res.out, want) {
			t.Errorf("recover output lacks %q:\n%s", want, res.out)
		}
	}
	if out = r.ok("show", "--reveal", id); !strings.Contains(out, "Password: hunter2") {
		t.Errorf("show on the recovered device:\n%s", out)
	}
	if out = r.ok("devices"); strings.Count(strings.TrimSpace(out), "\n") != 1 {
		t.Errorf("devices after recover:\n%s", out)
	}
	r.want(exitError, "recover", "alice", shares[0], shares[1]) // this home holds a device
	a.want(exitDenied, "sync")                                  // the lost device was removed

	// Another recovery, with the new shares, replaces R's keys.
	n := newDevice(t, p.URL, "passphrase of N")
	if res = n.want(exitError, "recover", "alice", shares[0], shares[1]); !strings.Contains(res.errout, "voided") {
		t.Errorf("recover with the shares recover used: %q", res.errout)
	}
	n.ok("recover", "--keep-others", "alice", newShares[1], newShares[2])
	if res = r.want(exitDenied, "escrow"); !strings.Contains(res.errout, "replaced by an escrow or recovery on another device") {
		t.Errorf("escrow on R after N recovered: %q", res.errout)
	}
	n.ok("escrow") // the recovered device escrows anew

	// N's recovery voided the shares it used.
	m := newDevice(t, p.URL, "passphrase of M")
	if res = m.want(exitError, "recover", "alice", newShares[0], newShares[2]); !strings.Contains(res.errout, "voided") {
		t.Errorf("recover with void shares: %q", res.errout)
	}
}
