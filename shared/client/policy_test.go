package client

import (
	"context"
	"errors"
	"github.com/meshpass/meshpass/shared/vault"
	"slices"
	"testing"

	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/shared/seal"
)

// TestPolicyNewDevice: a new passphrase and a new account name are checked
// before anything is made or the portal asked.
func TestPolicyNewDevice(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	const nowhere = "http://127.0.0.1:1" // any request there fails
	c := newClient(t, p, nil)
	for _, pass := range []string{"", "short", "1234567"} {
		err := c.Create(ctx, p.URL, "alice", pass, "laptop")
		if !errors.Is(err, policy.ErrPassphrase) || c.DeviceID() != "" {
			t.Errorf("Create with passphrase %q: %v", pass, err)
		}
		if pass == "" && !errors.Is(err, seal.ErrEmptyPassphrase) {
			t.Errorf("Create with an empty passphrase: %v", err)
		}
		if _, err := c.StartConnect(ctx, nowhere, "alice", pass, "phone"); !errors.Is(err, policy.ErrPassphrase) {
			t.Errorf("StartConnect with passphrase %q: %v", pass, err)
		}
		if _, err := c.Recover(ctx, nowhere, "alice", pass, "phone", []string{"x", "y"}, true); !errors.Is(err, policy.ErrPassphrase) {
			t.Errorf("Recover with passphrase %q: %v", pass, err)
		}
	}
	for _, name := range []string{"", "al ice", "a@b", "alice\u200b"} {
		if err := c.Validate(ctx, nowhere, name); !errors.Is(err, ErrInvalidAccount) || !errors.Is(err, policy.ErrAccount) {
			t.Errorf("Validate %q asked the portal or accepted it: %v", name, err)
		}
		if err := c.Create(ctx, nowhere, name, "passphrase A", "laptop"); !errors.Is(err, policy.ErrAccount) || c.DeviceID() != "" {
			t.Errorf("Create %q: %v", name, err)
		}
	}
	must(t, c.Create(ctx, p.URL, "Alice", "12345678", "laptop"))
	if acct, _ := c.Account(); acct != "Alice" {
		t.Errorf("account stored as %q", acct)
	}
	if _, err := c.Escrow(ctx, "12345678", 2, policy.MaxShares+1); !errors.Is(err, policy.ErrShares) {
		t.Errorf("escrow of %d shares: %v", policy.MaxShares+1, err)
	}
	if _, err := c.Escrow(ctx, "12345678", 1, 3); !errors.Is(err, policy.ErrShares) {
		t.Errorf("escrow with threshold 1: %v", err)
	}
}

// TestPolicySites: Add and Edit store sites in their canonical form and
// refuse bad ones, storing nothing; a site stored before the rules does
// not block an edit of the entry.
func TestPolicySites(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	before, err := a.List()
	must(t, err)

	for _, sites := range [][]string{{"not a url"}, {"example.com", "*.com"}, {"ftp://example.com/"}} {
		_, err := a.Add(ctx, vault.Entry{Sites: sites, Username: "x", Password: "y"})
		if !errors.Is(err, policy.ErrSite) {
			t.Errorf("Add %q: %v", sites, err)
		}
	}
	if list, _ := a.List(); len(list) != len(before) {
		t.Fatalf("a refused Add stored something: %d entries, had %d", len(list), len(before))
	}

	e, err := a.Add(ctx, vault.Entry{Sites: []string{"Example.COM", "https://example.com/login", " *.Example.com:8443 "}, Username: "u", Password: "p"})
	must(t, err)
	want := []string{"example.com", "*.example.com:8443"}
	if got, _ := a.Entry(e.ID); !slices.Equal(got.Sites, want) || !slices.Equal(e.Sites, want) {
		t.Errorf("sites stored %q, returned %q; want %q", got.Sites, e.Sites, want)
	}

	err = a.Edit(ctx, e.ID, func(x *vault.Entry) { x.Sites = append(x.Sites, "not a url"); x.Username = "v" })
	if !errors.Is(err, policy.ErrSite) {
		t.Errorf("Edit adding a bad site: %v", err)
	}
	if got, _ := a.Entry(e.ID); !slices.Equal(got.Sites, want) || got.Username != "u" {
		t.Errorf("a refused Edit changed the entry: %+v", got)
	}
	must(t, a.Edit(ctx, e.ID, func(x *vault.Entry) { x.Sites = append(x.Sites, "Bücher.de") }))
	if got, _ := a.Entry(e.ID); !slices.Equal(got.Sites, append(want, "xn--bcher-kva.de")) {
		t.Errorf("sites after Edit %q", got.Sites)
	}

	// An entry from before the rules (or another client) keeps its site.
	a.mu.Lock()
	err = a.write(ctx, []vault.BatchRecord{{Entry: vault.Entry{ID: "legacy", Sites: []string{"not a url"}, Username: "old"}}})
	a.mu.Unlock()
	must(t, err)
	must(t, a.Edit(ctx, "legacy", func(x *vault.Entry) { x.Username = "new" }))
	if got, _ := a.Entry("legacy"); got.Username != "new" || !slices.Equal(got.Sites, []string{"not a url"}) {
		t.Errorf("legacy entry after Edit: %+v", got)
	}
}
