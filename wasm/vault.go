package main

import (
	"context"

	"github.com/meshpass/meshpass/shared/match"
	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/shared/profile"
	"github.com/meshpass/meshpass/wasm/api"
	"github.com/meshpass/meshpass/wasm/bridge"
)

// The vault: entries in and out, and the questions the extension asks
// about a page (which entries fill it, may this one, is this typed login
// saved). Only fill and secret return a password, and only one.

// anyHTTP lets http pages match: the extension asks the person before an
// insecure fill, and refuses to save from an insecure page.
var anyHTTP = match.Options{AllowHTTP: true}

// entryOf is e without its password.
func entryOf(e profile.PasswordEntry) api.Entry {
	out := api.Entry{ID: e.Id, Sites: e.Sites, Username: e.Username, Notes: e.Notes, Updated: e.Updated}
	if out.Sites == nil {
		out.Sites = []string{}
	}
	return out
}

func (a *app) list(ctx context.Context, _ api.Empty) ([]api.Entry, error) {
	entries, err := a.c.List()
	if err != nil {
		return nil, err
	}
	out := make([]api.Entry, 0, len(entries))
	for _, e := range entries {
		out = append(out, entryOf(e))
	}
	return out, nil
}

// secret returns one entry's username and password.
func (a *app) secret(ctx context.Context, arg api.ID) (api.Secret, error) {
	e, err := a.c.Entry(arg.ID)
	if err != nil {
		return api.Secret{}, err
	}
	return api.Secret{Username: e.Username, Password: e.Password}, nil
}

// apply changes p by the fields of in that are set; sites must be
// in.Sites checked (canonical).
func apply(in api.EntryInput, sites []string, p *profile.PasswordEntry) {
	if in.Sites != nil {
		p.Sites = sites
	}
	if in.Username != nil {
		p.Username = *in.Username
	}
	if in.Password != nil {
		p.Password = *in.Password
	}
	if in.Notes != nil {
		p.Notes = *in.Notes
	}
}

// checkSites returns the canonical form of the sites in, if any
// (policy.CheckSites).
func checkSites(in api.EntryInput) ([]string, error) {
	if in.Sites == nil {
		return nil, nil
	}
	return policy.CheckSites(*in.Sites)
}

func (a *app) add(ctx context.Context, arg api.EntryInput) (api.Entry, error) {
	if arg.Sites == nil {
		return api.Entry{}, bridge.BadRequest("an entry needs at least one site")
	}
	sites, err := checkSites(arg)
	if err != nil {
		return api.Entry{}, err
	}
	e := profile.PasswordEntry{Id: arg.ID, Sites: []string{}}
	apply(arg, sites, &e)
	e, err = a.c.Add(ctx, e)
	if err != nil {
		return api.Entry{}, err
	}
	return entryOf(e), nil
}

func (a *app) edit(ctx context.Context, arg api.EntryInput) (api.Empty, error) {
	if arg.ID == "" {
		return api.Empty{}, bridge.BadRequest("id is required")
	}
	// client.Edit checks and canonicalizes the sites the edit adds, and
	// keeps those the entry had as they are: an entry with a site stored
	// before the rules stays editable, as on the command line.
	var sites []string
	if arg.Sites != nil {
		sites = *arg.Sites
	}
	return api.Empty{}, a.c.Edit(ctx, arg.ID, func(p *profile.PasswordEntry) { apply(arg, sites, p) })
}

func (a *app) remove(ctx context.Context, arg api.ID) (api.Empty, error) {
	return api.Empty{}, a.c.Delete(ctx, arg.ID)
}

func matchOf(m match.Match) api.MatchInfo {
	return api.MatchInfo{Kind: m.Kind.String(), Site: m.Site, Scheme: m.Scheme, Insecure: m.Insecure, Port: m.Port}
}

func (a *app) match(ctx context.Context, arg api.MatchArg) ([]api.Candidate, error) {
	entries, err := a.c.List()
	if err != nil {
		return nil, err
	}
	out := []api.Candidate{}
	for _, r := range match.Rank(entries, arg.URL, match.Options{AllowHTTP: arg.AllowHTTP}) {
		e := entries[r.Index]
		out = append(out, api.Candidate{ID: e.Id, Sites: entryOf(e).Sites, Username: e.Username, Match: matchOf(r.Match)})
	}
	return out, nil
}

func (a *app) fill(ctx context.Context, arg api.FillArg) (api.Credential, error) {
	e, err := a.c.Entry(arg.ID)
	if err != nil {
		return api.Credential{}, err
	}
	return fillFor(e, arg)
}

// fillFor returns e's credential if match allows e to fill the page.
func fillFor(e profile.PasswordEntry, arg api.FillArg) (api.Credential, error) {
	r := match.Rank([]profile.PasswordEntry{e}, arg.URL, match.Options{AllowHTTP: arg.AllowHTTP})
	if len(r) == 0 {
		return api.Credential{}, bridge.ErrNotAllowed
	}
	return api.Credential{Username: e.Username, Password: e.Password, Match: matchOf(r[0].Match)}, nil
}

// page says what the core makes of a page's URL. It needs no keys.
func page(ctx context.Context, arg api.URL) (api.Page, error) {
	p, err := pageOf(arg.URL)
	if err != nil {
		return api.Page{}, nil // not fillable
	}
	return p, nil
}

// pageOf parses an http or https page URL as package match does; match
// also says whether it is insecure (match.Page.Insecure, the one rule).
func pageOf(raw string) (api.Page, error) {
	p, err := match.ParsePage(raw, anyHTTP)
	if err != nil {
		return api.Page{}, err
	}
	return api.Page{Fillable: true, Origin: p.Origin(), Host: p.HostPort(), Scheme: p.Scheme(), Insecure: p.Insecure()}, nil
}
