package client

import (
	"context"
	"errors"
	"github.com/meshpass/meshpass/shared/vault"
	"regexp"
	"slices"
	"sync"
	"testing"

	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/shared/seal"
)

// testParams are the cheapest Argon2id parameters seal allows.
var testParams = seal.Params{Time: 1, MemoryKiB: 8192, Threads: 1}

func newClient(t testing.TB, p *clienttest.Portal, s Storage) *Client {
	t.Helper()
	if s == nil {
		s = NewMemoryStorage()
	}
	c, err := Open(Options{Storage: s, Transport: &Transport{HTTP: p.Client()}, Params: testParams})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func entry(site, user, pass string) vault.Entry {
	return vault.Entry{Sites: []string{site}, Username: user, Password: pass}
}

func users(t *testing.T, c *Client) []string {
	t.Helper()
	list, err := c.List()
	must(t, err)
	var out []string
	for _, e := range list {
		out = append(out, e.Username)
	}
	slices.Sort(out)
	return out
}

func wantUsers(t *testing.T, c *Client, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := users(t, c); !slices.Equal(got, want) {
		t.Fatalf("entries %v, want %v", got, want)
	}
}

// createAlice makes account alice on device A with one password.
func createAlice(t *testing.T, p *clienttest.Portal) (*Client, Storage) {
	t.Helper()
	s := NewMemoryStorage()
	a := newClient(t, p, s)
	must(t, a.Create(context.Background(), p.URL, "alice", "passphrase A", "laptop"))
	_, err := a.Add(context.Background(), entry("example.com", "a1", "secret1"))
	must(t, err)
	return a, s
}

// connect connects a new device to alice through a: the witness exchange
// (B commits, A contributes, B reveals), both codes equal, approval.
func connect(t *testing.T, p *clienttest.Portal, a *Client) *Client {
	t.Helper()
	ctx := context.Background()
	b := newClient(t, p, nil)
	pend, err := b.StartConnect(ctx, p.URL, "alice", "passphrase B", "phone")
	must(t, err)
	if pend.Profile != a.Fingerprint() || pend.Witness != "" {
		t.Fatalf("B sees profile %s (witness %q), A has %s", pend.Profile, pend.Witness, a.Fingerprint())
	}
	if _, err := b.PollConnect(ctx); !errors.Is(err, ErrUnconfirmedProfile) {
		t.Fatalf("PollConnect before the person confirmed the fingerprint: %v", err)
	}
	must(t, b.ConfirmProfile(pend.Profile))
	if ok, err := b.PollConnect(ctx); ok || err != nil {
		t.Fatalf("PollConnect before approval: %v %v", ok, err)
	}
	reqs, err := a.PendingRequests(ctx) // A contributes its nonce
	must(t, err)
	if len(reqs) != 1 || reqs[0].Device != pend.Device || reqs[0].Err != nil || !reqs[0].Waiting || reqs[0].Witness != "" {
		t.Fatalf("pending requests %+v", reqs)
	}
	if err := a.Approve(ctx, pend.Device); !errors.Is(err, ErrWitnessPending) {
		t.Fatalf("approve before the device revealed its nonce: %v", err)
	}
	if ok, err := b.PollConnect(ctx); ok || err != nil { // B reveals its nonce
		t.Fatalf("PollConnect before approval: %v %v", ok, err)
	}
	w := b.PendingConnect().Witness
	reqs, err = a.PendingRequests(ctx)
	must(t, err)
	if len(reqs) != 1 || reqs[0].Err != nil || reqs[0].Waiting {
		t.Fatalf("pending requests %+v", reqs)
	}
	if reqs[0].Witness != w || len(w) != 11 || reqs[0].Administrator != a.DeviceID() || b.PendingConnect().Administrator != a.DeviceID() {
		t.Fatalf("witness codes differ: A %q, B %q", reqs[0].Witness, w)
	}
	must(t, a.Approve(ctx, pend.Device))
	ok, err := b.PollConnect(ctx)
	if !ok || err != nil {
		t.Fatalf("PollConnect after approval: %v %v", ok, err)
	}
	return b
}

func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	wantUsers(t, a, "a1")

	b := connect(t, p, a)
	wantUsers(t, b, "a1")
	devs, err := b.Devices()
	must(t, err)
	if len(devs) != 2 || !devs[0].Administrator || devs[1].Administrator || !devs[1].This || !devs[1].Passwords {
		t.Fatalf("devices %+v", devs)
	}

	// B adds one; A sees it.
	_, err = b.Add(ctx, entry("example.org", "b1", "secret2"))
	must(t, err)
	must(t, a.Sync(ctx))
	wantUsers(t, a, "a1", "b1")

	// A and B add from the same state: records do not conflict; B's
	// append lands after A's, and B reads A's with its own.
	must(t, b.Sync(ctx))
	_, err = a.Add(ctx, entry("a.example", "a2", "x"))
	must(t, err)
	_, err = b.Add(ctx, entry("b.example", "b2", "y"))
	must(t, err)
	if n := p.Count("AppendRecordsRequest", mmm.StatusConflict); n != 0 {
		t.Fatalf("%d conflicts on concurrent adds", n)
	}
	must(t, a.Sync(ctx))
	wantUsers(t, a, "a1", "b1", "a2", "b2")
	wantUsers(t, b, "a1", "b1", "a2", "b2")

	// Truly at the same time.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, c := range []*Client{a, b} {
		wg.Go(func() { _, errs[i] = c.Add(ctx, entry("c.example", []string{"a3", "b3"}[i], "z")) })
	}
	wg.Wait()
	must(t, errors.Join(errs...))
	must(t, a.Sync(ctx))
	must(t, b.Sync(ctx))
	wantUsers(t, a, "a1", "b1", "a2", "b2", "a3", "b3")
	wantUsers(t, b, "a1", "b1", "a2", "b2", "a3", "b3")

	// A deletes a2 while B (not synced) edits b2: both survive the merge.
	list, err := a.List()
	must(t, err)
	id := func(user string) string {
		for _, e := range list {
			if e.Username == user {
				return e.ID
			}
		}
		t.Fatalf("no %s", user)
		return ""
	}
	must(t, a.Delete(ctx, id("a2")))
	must(t, b.Edit(ctx, id("b2"), func(e *vault.Entry) { e.Password = "edited" }))
	must(t, a.Sync(ctx))
	must(t, b.Sync(ctx))
	for _, c := range []*Client{a, b} {
		wantUsers(t, c, "a1", "b1", "b2", "a3", "b3")
		e, err := c.Entry(id("b2"))
		must(t, err)
		if e.Password != "edited" {
			t.Fatalf("edit lost: %+v", e)
		}
		if _, err := c.Entry(id("a2")); !errors.Is(err, ErrNoEntry) {
			t.Fatalf("deleted entry: %v", err)
		}
	}

	// A removes B; what A saves afterwards B cannot read.
	bID, bEnc := b.DeviceID(), b.keys.enc
	must(t, a.RemoveDevice(ctx, bID))
	_, err = a.Add(ctx, entry("after.example", "a4", "after"))
	must(t, err)
	if err := b.Sync(ctx); !errors.Is(err, ErrNotAuthorized) {
		t.Fatalf("B's sync after removal: %v", err)
	}
	wantUsers(t, b, "a1", "b1", "b2", "a3", "b3") // B keeps its last good state
	pp, err := profile.VerifyApplicationProfile(a.st.Password, a.personal)
	must(t, err)
	if pp.EncryptedData.HasRecipient(bEnc.ID()) {
		t.Fatal("the new password profile is still encrypted to B")
	}
	if !pp.EncryptedData.HasRecipient(a.keys.escrow.ID()) || !pp.EncryptedData.HasRecipient(a.keys.enc.ID()) {
		t.Fatalf("recipients %v lack A or escrow", pp.EncryptedData.RecipientIDs())
	}
	if _, err := pp.EncryptedData.Decrypt(bEnc); !errors.Is(err, jwe.ErrNotRecipient) {
		t.Fatalf("B decrypting: %v", err)
	}
	if _, err := pp.EncryptedData.Decrypt(a.keys.escrow); err != nil {
		t.Fatalf("escrow key cannot read the vault: %v", err)
	}
	devs, err = a.Devices()
	must(t, err)
	if len(devs) != 1 {
		t.Fatalf("devices after removal %+v", devs)
	}
}

func TestReject(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	b := newClient(t, p, nil)
	pend, err := b.StartConnect(ctx, p.URL, "alice", "passphrase B", "phone")
	must(t, err)
	must(t, b.ConfirmProfile(pend.Profile))
	must(t, a.Reject(ctx, pend.Device))
	if _, err := b.PollConnect(ctx); !errors.Is(err, ErrRejected) {
		t.Fatalf("PollConnect after reject: %v", err)
	}
	if err := a.Approve(ctx, pend.Device); !errors.Is(err, ErrNoRequest) {
		t.Fatalf("approve after reject: %v", err)
	}
	must(t, b.Forget())
	if _, err := b.StartConnect(ctx, p.URL, "alice", "passphrase B", "phone"); err != nil {
		t.Fatalf("connecting again after Forget: %v", err)
	}
}

func TestUnlock(t *testing.T) {
	p := clienttest.New(t)
	_, s := createAlice(t, p)
	a := newClient(t, p, s)
	if a.Fingerprint() == "" {
		t.Fatal("state not reloaded")
	}
	if _, err := a.List(); !errors.Is(err, ErrLocked) {
		t.Fatalf("list while locked: %v", err)
	}
	err := a.Unlock("wrong")
	if !errors.Is(err, seal.ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	t.Logf("wrong passphrase: %v", err)
	must(t, a.Unlock("passphrase A"))
	wantUsers(t, a, "a1")
	must(t, a.Sync(context.Background()))
	if !a.IsAdministrator() {
		t.Fatal("creating device is not an administrator")
	}
}

func TestCreateInvalidAccount(t *testing.T) {
	p := clienttest.New(t)
	createAlice(t, p)
	if err := newClient(t, p, nil).Validate(context.Background(), p.URL, "bob"); err != nil {
		t.Fatalf("Validate bob: %v", err)
	}
	for _, name := range []string{"alice", "a@b"} {
		c := newClient(t, p, nil)
		if err := c.Validate(context.Background(), p.URL, name); !errors.Is(err, ErrInvalidAccount) {
			t.Fatalf("Validate %q: %v", name, err)
		}
		err := c.Create(context.Background(), p.URL, name, "passphrase", "laptop")
		if !errors.Is(err, ErrInvalidAccount) {
			t.Fatalf("%q: %v", name, err)
		}
		t.Logf("%q: %v", name, err)
	}
}

func TestWitnessCode(t *testing.T) {
	const (
		prof  = "MB2GK-6DUF5-YGYYL-JNY5E-RWSHZ"
		admin = "MDL4W-VEPEC-6BEOK-GDXV4-2OSLQ-TFR7M"
		dev   = "MCMGA-NPN3R-KPPBH-YLMRA-HIWLK-FHKT3"
	)
	w := WitnessCode(prof, admin, dev, "nonceA", "nonceB")
	if len(w) != 11 || w[5] != '-' {
		t.Fatalf("witness %q", w)
	}
	if w != WitnessCode("mb2gk6duf5ygyyljny5erwshz", admin, dev, "nonceA", "nonceB") {
		t.Fatal("witness depends on the fingerprint's spelling")
	}
	for _, other := range [][5]string{
		{prof, admin, dev, "other", "nonceB"},
		{prof, admin, dev, "nonceA", "other"},
		{prof, dev, admin, "nonceA", "nonceB"},
		{admin, prof, dev, "nonceA", "nonceB"},
	} {
		if w == WitnessCode(other[0], other[1], other[2], other[3], other[4]) {
			t.Fatalf("witness ignores an input: %v", other)
		}
	}
}

func TestSession(t *testing.T) {
	p := clienttest.New(t)
	a, s := createAlice(t, p)
	sess := NewMemoryStorage()
	must(t, a.SaveSession(sess))
	a2 := newClient(t, p, s)
	must(t, a2.ResumeSession(sess))
	wantUsers(t, a2, "a1")
	must(t, a2.EndSession(sess))
	if _, err := a2.List(); !errors.Is(err, ErrLocked) {
		t.Fatalf("after EndSession: %v", err)
	}
	if err := newClient(t, p, s).ResumeSession(sess); !errors.Is(err, ErrLocked) {
		t.Fatalf("resume after end: %v", err)
	}
}

// TestEntryID: new entries get Ids a command line cannot take for a flag.
func TestEntryID(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		id, err := newEntryID()
		must(t, err)
		if !regexp.MustCompile(`^[a-z2-7]{26}$`).MatchString(id) || seen[id] {
			t.Fatalf("entry id %q (seen before: %v)", id, seen[id])
		}
		seen[id] = true
	}
}
