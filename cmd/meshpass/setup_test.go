package main

import (
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/mmm"
)

// TestCLISetup: create with an invitation on a portal whose sign-ups are
// by invitation, a connect code issued by `pending --issue-code`, and
// `portal set` moving to the same portal at another address (and refusing
// another portal).
func TestCLISetup(t *testing.T) {
	p := clienttest.NewWith(t, url.Values{"signup": {mmm.SignUpInvitation}, "invitation": {"operator-code-9"}})
	a := newDevice(t, p.URL, "passphrase of A")
	if r := a.run("create", "alice"); r.code == 0 || !strings.Contains(r.errout, "by invitation") {
		t.Fatalf("create without an invitation: exit %d\n%s", r.code, r.errout)
	}
	a = newDevice(t, p.URL, "passphrase of A")
	a.ok("create", "--invitation", "operator-code-9", "alice")

	out := a.ok("pending", "--issue-code")
	m := regexp.MustCompile(`Connect code: (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("pending --issue-code printed no code:\n%s", out)
	}
	b := newDevice(t, p.URL, "passphrase of B")
	r := b.runStdin("", "connect", "--code", m[1], "--yes", "--timeout", "1s", "--interval", "200ms", "alice")
	if !strings.Contains(r.out, "Waiting for an answer") {
		t.Fatalf("connect --code: exit %d\n%s\n%s", r.code, r.out, r.errout)
	}
	if out := a.ok("pending", "--wait", "0s"); !strings.Contains(out, deviceRE.FindStringSubmatch(r.out)[1]) {
		t.Fatalf("the request with the connect code is not pending:\n%s", out)
	}

	other := clienttest.New(t)
	if r := a.run("portal", "set", other.URL); r.code == 0 || !strings.Contains(r.errout, "different log") {
		t.Fatalf("portal set to another portal: exit %d\n%s", r.code, r.errout)
	}
	target, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	moved := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
	defer moved.Close()
	if out := a.ok("portal", "set", moved.URL); !strings.Contains(out, "now uses "+moved.URL) {
		t.Fatalf("portal set:\n%s", out)
	}
	if out := a.ok("portal"); !strings.Contains(out, "Portal:  "+moved.URL) {
		t.Fatalf("portal:\n%s", out)
	}
	a.ok("add", "--site", "example.com", "--username", "al", "--password", "pw")
	a.ok("sync")
}
