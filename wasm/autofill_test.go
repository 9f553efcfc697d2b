package main

import (
	"testing"

	"github.com/meshpass/meshpass/shared/vault"
	"github.com/meshpass/meshpass/wasm/api"
	"github.com/meshpass/meshpass/wasm/bridge"
)

func TestAutofill(t *testing.T) {
	entries := []vault.Entry{
		{ID: "site", Sites: []string{"bank.example"}, Username: "alice", Password: "site-pw"},
		{ID: "login", Sites: []string{"login.bank.example"}, Username: "alice", Password: "login-pw"},
		{ID: "wild", Sites: []string{"*.shop.example"}, Username: "bob", Password: "wild-pw"},
		{ID: "wild2", Sites: []string{"*.shop.example"}, Username: "carol", Password: "wild2-pw"},
		{ID: "gone", Sites: []string{"old.example"}, Username: "dave", Password: "gone-pw", Deleted: true},
	}
	for _, tc := range []struct {
		name string
		arg  api.AutofillArg
		want string // the entry filled, "" for not_allowed
	}{
		{"exact host, by id", api.AutofillArg{URL: "https://bank.example/", ID: "site"}, "site"},
		{"exact host, best", api.AutofillArg{URL: "https://login.bank.example/"}, "login"},
		{"exact host, unique", api.AutofillArg{URL: "https://login.bank.example/", Unique: true}, "login"},
		{"a sibling host by id", api.AutofillArg{URL: "https://login.bank.example/", ID: "site"}, ""},
		{"a user-content host of the registrable domain", api.AutofillArg{URL: "https://user-content.bank.example/"}, ""},
		{"a user-content host, unique", api.AutofillArg{URL: "https://user-content.bank.example/", Unique: true}, ""},
		{"a wildcard the person wrote", api.AutofillArg{URL: "https://a.shop.example/", ID: "wild"}, "wild"},
		{"two wildcards, best", api.AutofillArg{URL: "https://a.shop.example/"}, "wild"},
		{"two wildcards, unique", api.AutofillArg{URL: "https://a.shop.example/", Unique: true}, ""},
		{"not the wildcard's bare domain", api.AutofillArg{URL: "https://shop.example/"}, ""},
		{"a look-alike", api.AutofillArg{URL: "https://bank.example.evil.example/"}, ""},
		{"http without AllowHTTP", api.AutofillArg{URL: "http://bank.example/", ID: "site"}, ""},
		{"http with AllowHTTP", api.AutofillArg{URL: "http://bank.example/", ID: "site", AllowHTTP: true}, "site"},
		{"a deleted entry", api.AutofillArg{URL: "https://old.example/", ID: "gone"}, ""},
		{"an unknown id", api.AutofillArg{URL: "https://bank.example/", ID: "nope"}, ""},
	} {
		got, err := autofillFor(entries, tc.arg)
		if tc.want == "" {
			if bridge.Code(err) != api.CodeNotAllowed {
				t.Errorf("%s: %+v, %v; want not_allowed", tc.name, got, err)
			}
			continue
		}
		if err != nil || got.ID != tc.want || got.Password != entries[index(entries, tc.want)].Password || (got.Match.Kind != "exact" && got.Match.Kind != "wildcard") {
			t.Errorf("%s: %+v, %v; want entry %s", tc.name, got, err, tc.want)
		}
	}
}

func index(entries []vault.Entry, id string) int {
	for i, e := range entries {
		if e.ID == id {
			return i
		}
	}
	return -1
}

func TestTypedLogin(t *testing.T) {
	entries := []vault.Entry{
		{ID: "site", Sites: []string{"bank.example"}, Username: "alice", Password: "site-pw"},
		{ID: "login", Sites: []string{"login.bank.example"}, Username: "alice", Password: "login-pw"},
		{ID: "wild", Sites: []string{"*.shop.example"}, Username: "bob", Password: "wild-pw"},
		{ID: "dev", Sites: []string{"localhost:3000"}, Username: "dev", Password: "dev-pw"},
		{ID: "gone", Sites: []string{"old.example"}, Username: "carol", Password: "gone-pw", Deleted: true},
	}
	for _, tc := range []struct {
		name string
		l    api.Login
		want api.TypedLogin
	}{
		{"saved for the exact host", api.Login{URL: "https://login.bank.example/", Username: "alice", Password: "login-pw"},
			api.TypedLogin{State: api.TypedSaved, Host: "login.bank.example"}},
		{"saved through a wildcard", api.Login{URL: "https://a.shop.example/", Username: "bob", Password: "wild-pw"},
			api.TypedLogin{State: api.TypedSaved, Host: "a.shop.example"}},
		{"saved only for a sibling host: looks new, adds the host", api.Login{URL: "https://www.bank.example/", Username: "alice", Password: "site-pw"},
			api.TypedLogin{State: api.TypedAddSite, ID: "site", Host: "www.bank.example"}},
		{"a sibling's password where the exact host has another: update", api.Login{URL: "https://login.bank.example/", Username: "alice", Password: "site-pw"},
			api.TypedLogin{State: api.TypedUpdate, ID: "login", Host: "login.bank.example"}},
		{"a new password, exact host", api.Login{URL: "https://bank.example/", Username: "alice", Password: "new"},
			api.TypedLogin{State: api.TypedUpdate, ID: "site", Host: "bank.example"}},
		{"a new password, sibling host", api.Login{URL: "https://www.bank.example/", Username: "alice", Password: "new"},
			api.TypedLogin{State: api.TypedNew, Host: "www.bank.example"}},
		{"the bank's password on a look-alike", api.Login{URL: "https://bank-example.example/", Username: "alice", Password: "site-pw"},
			api.TypedLogin{State: api.TypedOtherSite, Host: "bank-example.example", Site: "bank.example"}},
		{"whatever the username typed", api.Login{URL: "https://bank.example.evil.example/login", Username: "", Password: "login-pw"},
			api.TypedLogin{State: api.TypedOtherSite, Host: "bank.example.evil.example", Site: "login.bank.example"}},
		{"another account of the same site with that password", api.Login{URL: "https://www.bank.example/", Username: "mallory", Password: "site-pw"},
			api.TypedLogin{State: api.TypedNew, Host: "www.bank.example"}},
		{"another port of the same loopback host is the same site", api.Login{URL: "http://localhost:4000/", Username: "dev", Password: "dev-pw"},
			api.TypedLogin{State: api.TypedNew, Host: "localhost:4000"}},
		{"a deleted entry's password", api.Login{URL: "https://evil.example/", Username: "carol", Password: "gone-pw"},
			api.TypedLogin{State: api.TypedNew, Host: "evil.example"}},
		{"a password nobody has", api.Login{URL: "https://evil.example/", Username: "alice", Password: "fresh"},
			api.TypedLogin{State: api.TypedNew, Host: "evil.example"}},
	} {
		got, err := typedLoginFor(entries, tc.l)
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	if _, err := typedLoginFor(entries, api.Login{URL: "ftp://bank.example/", Password: "x"}); bridge.Code(err) != api.CodeBadRequest {
		t.Errorf("ftp page: %v", err)
	}
}
