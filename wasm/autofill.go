package main

import (
	"context"
	"crypto/subtle"

	"github.com/meshpass/meshpass/shared/match"
	"github.com/meshpass/meshpass/shared/vault"
	"github.com/meshpass/meshpass/wasm/api"
	"github.com/meshpass/meshpass/wasm/bridge"
)

// The decisions behind fills nobody clicked for, and behind what a typed
// login leads to: both need the passwords, so they are made here and
// JavaScript learns only the outcome (and, for a fill, one credential).

func (a *app) autofill(ctx context.Context, arg api.AutofillArg) (api.AutoCredential, error) {
	entries, _, err := a.c.Matching(arg.URL, match.Options{AllowHTTP: arg.AllowHTTP})
	if err != nil {
		return api.AutoCredential{}, err
	}
	return autofillFor(entries, arg)
}

// autofillFor picks, among entries, the one arg asks for if it may fill
// the page automatically (match.Match.Automatic): the entry arg.ID, or
// with no ID the best such entry, or with Unique the only one.
func autofillFor(entries []vault.Entry, arg api.AutofillArg) (api.AutoCredential, error) {
	var auto []match.Ranked
	for _, r := range match.Rank(entries, arg.URL, match.Options{AllowHTTP: arg.AllowHTTP}) {
		if r.Match.Automatic() && (arg.ID == "" || entries[r.Index].ID == arg.ID) {
			auto = append(auto, r)
		}
	}
	if len(auto) == 0 || (arg.ID == "" && arg.Unique && len(auto) != 1) {
		return api.AutoCredential{}, bridge.ErrNotAllowed
	}
	e := entries[auto[0].Index]
	return api.AutoCredential{ID: e.ID, Username: e.Username, Password: e.Password, Match: matchOf(auto[0].Match)}, nil
}

func (a *app) typedLogin(ctx context.Context, l api.Login) (api.TypedLogin, error) {
	entries, err := a.c.List()
	if err != nil {
		return api.TypedLogin{}, err
	}
	return typedLoginFor(entries, l)
}

// samePassword compares two passwords in time that does not depend on
// where they differ.
func samePassword(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// typedLoginFor decides, among entries, what a login typed on a page leads
// to, in this order:
//
//   - saved: an entry that fills the page automatically (exact host or
//     wildcard) has the username and password;
//   - update: the entry for exactly the page's host with that username has
//     another password;
//   - addSite: an entry that matches the page only through the registrable
//     domain has the username and password (the page sees the same offer
//     as for a new login, so it cannot learn that its sibling's password
//     was typed);
//   - new: no entry of the page's site holds the password, and neither does
//     an entry of another site; or one of the page's site does (a second
//     account, say);
//   - otherSite: no entry of the page's site (match.Page.SameSite) holds
//     the password, but one of another site does, whatever its username.
func typedLoginFor(entries []vault.Entry, l api.Login) (api.TypedLogin, error) {
	p, err := match.ParsePage(l.URL, anyHTTP)
	if err != nil {
		return api.TypedLogin{}, bridge.BadRequest("url: not an http or https page: %v", err)
	}
	out := api.TypedLogin{State: api.TypedNew, Host: p.HostPort()}
	var addTo, update string
	for _, r := range match.Rank(entries, l.URL, anyHTTP) {
		e := entries[r.Index]
		if e.Username != l.Username {
			continue
		}
		switch {
		case samePassword(e.Password, l.Password) && r.Match.Automatic():
			return api.TypedLogin{State: api.TypedSaved, Host: out.Host}, nil
		case samePassword(e.Password, l.Password):
			if addTo == "" {
				addTo = e.ID
			}
		case r.Match.Kind == match.Exact && update == "":
			update = e.ID
		}
	}
	switch {
	case update != "":
		out.State, out.ID = api.TypedUpdate, update
		return out, nil
	case addTo != "":
		out.State, out.ID = api.TypedAddSite, addTo
		return out, nil
	}
	ours, other := false, ""
	for _, e := range entries {
		if e.Deleted || !samePassword(e.Password, l.Password) {
			continue
		}
		if sameSite(p, e.Sites) {
			ours = true
		} else if other == "" && len(e.Sites) > 0 {
			other = e.Sites[0]
		}
	}
	if !ours && other != "" {
		out.State, out.Site = api.TypedOtherSite, other
	}
	return out, nil
}

// sameSite reports whether one of sites belongs to the page's site.
func sameSite(p *match.Page, sites []string) bool {
	for _, s := range sites {
		if p.SameSite(s) {
			return true
		}
	}
	return false
}
