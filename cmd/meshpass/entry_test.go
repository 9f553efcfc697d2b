package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/profile"
)

// switchable is a proxy in front of a portal that can be taken offline:
// while down, it drops every connection without an answer.
func switchable(t *testing.T, portal string) (string, *atomic.Bool) {
	t.Helper()
	u, err := url.Parse(portal)
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &down
}

// TestEntryFields: the richer entries (name, notes, one-time code URI,
// folder, tags, custom fields), the password history, and writes made
// while the portal is unreachable.
func TestEntryFields(t *testing.T) {
	p := clienttest.New(t)
	proxy, down := switchable(t, p.URL)
	a := newDevice(t, proxy, "passphrase of A")
	a.ok("create", "--name", "laptop", "erin")

	const totp = "otpauth://totp/Bank:erin?secret=JBSWY3DPEHPK3PXP&issuer=Bank"
	id := strings.TrimSpace(a.ok("add", "--site", "bank.example", "--username", "erin", "--password", "first pw",
		"--name", "Bank", "--notes", "line one", "--totp", totp, "--folder", "Money", "--tag", "finance", "--tag", "daily",
		"--field", "Branch=Main St", "--hidden-field", "PIN=1234", "--field", "Card=4111"))

	out := a.ok("show", id)
	for _, want := range []string{"Name:", "Bank", "Folder:", "Money", "Tags:", "finance, daily", "Field Branch:", "Main St",
		"Field Card:", "4111", "Field PIN:", "Notes:", "line one", "TOTP:", "Created:", "Updated:"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"first pw", "1234", "JBSWY3DPEHPK3PXP"} {
		if strings.Contains(out, secret) {
			t.Errorf("show without --reveal shows %q:\n%s", secret, out)
		}
	}
	if i, j, k := strings.Index(out, "Field Branch"), strings.Index(out, "Field PIN"), strings.Index(out, "Field Card"); i > j || j > k {
		t.Errorf("custom fields not in the order given:\n%s", out)
	}
	out = a.ok("show", "--reveal", id)
	for _, want := range []string{"first pw", "1234", totp} {
		if !strings.Contains(out, want) {
			t.Errorf("show --reveal lacks %q:\n%s", want, out)
		}
	}
	if out = a.ok("list"); !strings.Contains(out, "Bank") || strings.Contains(out, "pending") {
		t.Errorf("list:\n%s", out)
	}

	// Two changes of the password: both earlier ones are listed, newest
	// first, with their dates, masked unless --reveal.
	a.ok("edit", id, "--password", "second pw")
	a.ok("edit", id, "--password", "third pw", "--field", "PIN=9999", "--remove-field", "Card", "--tag", "", "--folder", "", "--name", "My bank")
	out = a.ok("show", id)
	if strings.Contains(out, "first pw") || strings.Contains(out, "second pw") || !strings.Contains(out, "Earlier passwords") {
		t.Errorf("show's history without --reveal:\n%s", out)
	}
	if strings.Contains(out, "Field Card") || strings.Contains(out, "Tags:") || strings.Contains(out, "Folder:") || !strings.Contains(out, "My bank") {
		t.Errorf("show after the edit:\n%s", out)
	}
	out = a.ok("show", "--reveal", id)
	hist := regexp.MustCompile(`(?m)^  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+(.+)$`).FindAllStringSubmatch(out, -1)
	if len(hist) != 2 || hist[0][1] != "second pw" || hist[1][1] != "first pw" {
		t.Errorf("history = %q:\n%s", hist, out)
	}
	if !strings.Contains(out, "Password: third pw") && !regexp.MustCompile(`Password:\s+third pw`).MatchString(out) {
		t.Errorf("show --reveal after the edit:\n%s", out)
	}
	if !strings.Contains(out, "9999") || strings.Contains(out, "1234") {
		t.Errorf("the hidden field after --field PIN=9999:\n%s", out)
	}
	if out = a.ok("show", "--reveal", "--history", "1", id); strings.Contains(out, "first pw") || !strings.Contains(out, "second pw") {
		t.Errorf("show --history 1:\n%s", out)
	}

	// Refused before the passphrase is asked.
	a.want(exitUsage, "add", "--site", "x.example", "--password", "p", "--totp", "JBSWY3DPEHPK3PXP")
	a.want(exitUsage, "add", "--site", "x.example", "--password", "p", "--field", "no equals sign")
	a.want(exitUsage, "add", "--site", "x.example", "--password", "p", "--hidden-field", "=value")
	a.want(exitUsage, "edit", id, "--totp", "https://bank.example/")

	// The portal unreachable: the writes are kept on this device, exit 0
	// with a notice, and list and show mark them pending.
	down.Store(true)
	r := a.want(exitOK, "add", "--site", "offline.example", "--username", "o", "--password", "offline pw", "--name", "Offline")
	idOff := strings.TrimSpace(r.out)
	if idOff == "" || !strings.Contains(r.errout, "saved on this device; published at the next sync") {
		t.Errorf("add offline: stdout %q, stderr %q", r.out, r.errout)
	}
	r = a.want(exitOK, "edit", id, "--notes", "changed offline")
	if !strings.Contains(r.out, "Updated") || !strings.Contains(r.errout, "saved on this device") {
		t.Errorf("edit offline: stdout %q, stderr %q", r.out, r.errout)
	}
	out = a.ok("list")
	if !regexp.MustCompile(`(?m)^`+idOff+`\s.*pending\s*$`).MatchString(out) || !regexp.MustCompile(`(?m)^`+id+`\s.*pending\s*$`).MatchString(out) ||
		!strings.Contains(out, "2 entries have changes saved on this device only") {
		t.Errorf("list offline:\n%s", out)
	}
	if out = a.ok("show", idOff); !strings.Contains(out, "pending") || !strings.Contains(out, "Offline") {
		t.Errorf("show offline:\n%s", out)
	}
	a.want(exitError, "sync") // still unreachable

	// Back online: sync publishes them.
	down.Store(false)
	if out = a.ok("sync"); strings.Contains(out, "saved on this device only") {
		t.Errorf("sync:\n%s", out)
	}
	if out = a.ok("list"); strings.Contains(out, "pending") || !strings.Contains(out, idOff) {
		t.Errorf("list after sync:\n%s", out)
	}
	if out = a.ok("show", id); !strings.Contains(out, "changed offline") {
		t.Errorf("show after sync:\n%s", out)
	}
}

// TestUpgradeAndPendingErrors: a vault a newer meshpass upgraded says so
// (exit 1, never a verification failure); a write kept on the device is
// no error.
func TestUpgradeAndPendingErrors(t *testing.T) {
	upgraded := fmt.Errorf("%w: %w", client.ErrUpgrade, fmt.Errorf("%w (format 3)", profile.ErrFormat))
	if got := exitCode(upgraded); got != exitError {
		t.Errorf("exitCode(upgraded) = %d, want %d", got, exitError)
	}
	if got := exitCode(fmt.Errorf("%w: %w", client.ErrInvalidProfile, profile.ErrFormat)); got != exitError {
		t.Errorf("exitCode(format error in an invalid profile) = %d, want %d", got, exitError)
	}
	if got := errorText(upgraded); got != "this vault was upgraded by a newer meshpass; update meshpass" {
		t.Errorf("errorText(upgraded) = %q", got)
	}
	var stderr strings.Builder
	a := &app{stderr: &stderr}
	pending := fmt.Errorf("%w: %w", client.ErrPending, fmt.Errorf("%w: connection refused", client.ErrTransport))
	if err := a.saved(pending); err != nil || !strings.Contains(stderr.String(), "saved on this device; published at the next sync") ||
		!strings.Contains(stderr.String(), "portal unreachable: connection refused") {
		t.Errorf("saved(pending) = %v, stderr %q", err, stderr.String())
	}
	if err := a.saved(client.ErrTransport); !errors.Is(err, client.ErrTransport) {
		t.Errorf("saved(transport) = %v", err)
	}
}
