//go:build !js

package client

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
)

// TestInvitation: on a portal whose sign-ups are by invitation, Create
// without a code, or with a wrong one, is refused saying so; the
// operator's code creates one account, once.
func TestInvitation(t *testing.T) {
	ctx := context.Background()
	p := clienttest.NewWith(t, url.Values{"signup": {mmm.SignUpInvitation}, "invitation": {"operator-code-1"}})
	if err := newClient(t, p, nil).Create(ctx, p.URL, "alice", "passphrase A", "laptop"); err == nil || !strings.Contains(err.Error(), "by invitation") {
		t.Fatalf("Create without an invitation: %v", err)
	}
	if err := newClient(t, p, nil).Create(ctx, p.URL, "alice", "passphrase A", "laptop", WithInvitation("guessed")); err == nil || !strings.Contains(err.Error(), "invitation code is not valid") {
		t.Fatalf("Create with a wrong invitation: %v", err)
	}
	a := newClient(t, p, nil)
	must(t, a.Create(ctx, p.URL, "alice", "passphrase A", "laptop", WithInvitation("operator-code-1")))
	must(t, a.Sync(ctx))
	if err := newClient(t, p, nil).Create(ctx, p.URL, "bob", "passphrase B", "laptop", WithInvitation("operator-code-1")); err == nil {
		t.Fatal("an invitation code created a second account")
	}
}

// TestConnectCode: a device connecting with a connect code its
// administration device issued stays pending however many throw-away
// requests a flood adds after it, and connects.
func TestConnectCode(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	code, err := a.IssueConnectCode(ctx)
	must(t, err)
	if len(code) < 16 {
		t.Fatalf("connect code %q is short", code)
	}
	b := newClient(t, p, nil)
	pend, err := b.StartConnect(ctx, p.URL, "alice", "passphrase B", "phone", WithConnectCode(code))
	must(t, err)
	floodConnect(t, p) // more throw-away requests than the portal keeps
	reqs, err := a.PendingRequests(ctx)
	must(t, err)
	found := false
	for _, r := range reqs {
		found = found || r.Device == pend.Device
	}
	if !found {
		t.Fatalf("the request with the connect code was pushed out by the flood (%d pending)", len(reqs))
	}
	// Without the code, the same flood pushes a request out.
	c := newClient(t, p, nil)
	pc, err := c.StartConnect(ctx, p.URL, "alice", "passphrase C", "tablet")
	must(t, err)
	floodConnect(t, p)
	reqs, err = a.PendingRequests(ctx)
	must(t, err)
	for _, r := range reqs {
		if r.Device == pc.Device {
			t.Fatal("a request without a code survived the flood: the test shows nothing")
		}
	}
	// The device with the code goes on to connect.
	must(t, b.ConfirmProfile(pend.Profile))
	_, err = b.PollConnect(ctx)
	must(t, err)
	_, err = a.PendingRequests(ctx)
	must(t, err)
	_, err = b.PollConnect(ctx)
	must(t, err)
	must(t, a.Approve(ctx, pend.Device))
	if ok, err := b.PollConnect(ctx); !ok || err != nil {
		t.Fatalf("PollConnect after approval: %v %v", ok, err)
	}
	wantUsers(t, b, "a1")
}

// floodConnect sends alice's portal 40 throw-away connection requests,
// more than it keeps.
func floodConnect(t *testing.T, p *clienttest.Portal) {
	t.Helper()
	for range 40 {
		d, err := profiletest.NewDevice("junk")
		must(t, err)
		cr, err := (&profile.ConnectionRequest{ParentUDF: "alice", Device: d.Signed, Nonce: "n", Time: time.Now().UTC()}).Sign(d.Sign)
		must(t, err)
		body, err := mmm.Encode(&mmm.ConnectStartRequest{SignedRequest: cr, AccountID: "alice"})
		must(t, err)
		p.Forward(body)
	}
}

// TestGetPages: a portal that answers Get in pages (answers capped in
// bytes, Next) is read to the end: the personal profile and the password
// profile arrive in separate answers.
func TestGetPages(t *testing.T) {
	ctx := context.Background()
	p := clienttest.NewWith(t, url.Values{"max-answer": {"1"}})
	a, s := createAlice(t, p)
	must(t, a.Sync(ctx))
	if n := p.Count("GetRequest", mmm.StatusOK); n < 2 {
		t.Fatalf("%d Get answers", n)
	}
	var paged bool
	for _, e := range p.Exchanges() {
		paged = paged || (e.Type == "GetRequest" && strings.Contains(string(e.Request), `"Offset":1`))
	}
	if !paged {
		t.Fatal("the client never asked for the second page")
	}
	again := newClient(t, p, s)
	must(t, again.Unlock("passphrase A"))
	must(t, again.Sync(ctx))
	wantUsers(t, again, "a1")
}

// TestMovePortal: a device moves to the same portal at another address
// (checked: same log key, a log extending the one verified, the pinned
// profile); another portal, a fork of this one, or plain http off this
// machine are refused and the device stays where it was.
func TestMovePortal(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	fork := p.Fork(t)
	_, err := a.Add(ctx, entry("example.org", "a2", "secret2")) // p moves on; the fork does not
	must(t, err)

	other := clienttest.New(t)
	if err := a.MovePortal(ctx, other.URL); !errors.Is(err, ErrLog) {
		t.Fatalf("moving to another portal: %v", err)
	}
	if err := a.MovePortal(ctx, fork.URL); err == nil {
		t.Fatal("moved to a fork of the portal that is behind what this device verified")
	}
	if err := a.MovePortal(ctx, "http://portal.example.net"); !errors.Is(err, ErrInsecurePortal) {
		t.Fatalf("moving to plain http: %v", err)
	}
	if _, u := a.Account(); u != p.URL {
		t.Fatalf("after refused moves the device uses %s, not %s", u, p.URL)
	}

	target, err := url.Parse(p.URL)
	must(t, err)
	moved := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
	defer moved.Close()
	must(t, a.MovePortal(ctx, moved.URL+"/"))
	if _, u := a.Account(); u != moved.URL {
		t.Fatalf("after the move the device uses %s, not %s", u, moved.URL)
	}
	_, err = a.Add(ctx, entry("example.net", "a3", "secret3"))
	must(t, err)
	wantUsers(t, a, "a1", "a2", "a3")
}
