package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/meshpass/meshpass/shared/match"
	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/shared/vault"
	"github.com/meshpass/meshpass/wasm/api"
	"github.com/meshpass/meshpass/wasm/bridge"
)

// The vault: entries in and out, and the questions the extension asks
// about a page (which entries fill it, may this one, is this typed login
// saved). Only fill and secret return a password, and only one entry's.

// anyHTTP lets http pages match: the extension asks the person before an
// insecure fill, and refuses to save from an insecure page.
var anyHTTP = match.Options{AllowHTTP: true}

// entryOf is e without its secrets; pending says it has changes not
// yet published.
func entryOf(e vault.Entry, pending bool) api.Entry {
	out := api.Entry{ID: e.ID, Name: e.Name, Sites: e.Sites, Username: e.Username, Notes: e.Notes, TOTP: e.TOTP != "",
		Folder: e.Folder, Tags: e.Tags, Created: e.Created, Updated: e.Updated,
		PasswordChanges: len(e.PasswordHistory(api.HistoryMax)), Pending: pending}
	if out.Sites == nil {
		out.Sites = []string{}
	}
	for _, f := range e.Fields {
		if f.Hidden {
			f.Value = ""
		}
		out.Fields = append(out.Fields, api.Field{Name: f.Name, Value: f.Value, Hidden: f.Hidden})
	}
	return out
}

// pendingSet returns the IDs of the entries with changes not yet
// published.
func (a *app) pendingSet() (map[string]bool, error) {
	ids, err := a.c.Pending()
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

func (a *app) list(ctx context.Context, _ api.Empty) ([]api.Entry, error) {
	entries, err := a.c.List()
	if err != nil {
		return nil, err
	}
	pending, err := a.pendingSet()
	if err != nil {
		return nil, err
	}
	out := make([]api.Entry, 0, len(entries))
	for _, e := range entries {
		out = append(out, entryOf(e, pending[e.ID]))
	}
	return out, nil
}

// secret returns one entry's secrets.
func (a *app) secret(ctx context.Context, arg api.ID) (api.Secret, error) {
	e, err := a.c.Entry(arg.ID)
	if err != nil {
		return api.Secret{}, err
	}
	return secretOf(e), nil
}

// secretOf is e's credential, one-time code URI, custom fields and last
// api.HistoryMax earlier passwords.
func secretOf(e vault.Entry) api.Secret {
	out := api.Secret{Username: e.Username, Password: e.Password, TOTP: e.TOTP}
	for _, f := range e.Fields {
		out.Fields = append(out.Fields, api.Field(f))
	}
	for _, c := range e.PasswordHistory(api.HistoryMax) {
		out.PasswordHistory = append(out.PasswordHistory, api.OldPassword{Password: c.Value, Time: c.Time})
	}
	return out
}

// apply changes p by the fields of in that are set; sites and totp must
// be in.Sites and in.TOTP checked (canonical).
func apply(in api.EntryInput, sites []string, totp string, p *vault.Entry) {
	if in.Name != nil {
		p.Name = strings.TrimSpace(*in.Name)
	}
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
	if in.TOTP != nil {
		p.TOTP = totp
	}
	if in.Fields != nil {
		p.Fields = nil
		for _, f := range *in.Fields {
			p.Fields = append(p.Fields, vault.Field{Name: strings.TrimSpace(f.Name), Value: f.Value, Hidden: f.Hidden})
		}
	}
	if in.Folder != nil {
		p.Folder = strings.TrimSpace(*in.Folder)
	}
	if in.Tags != nil {
		p.Tags = nil
		for _, t := range *in.Tags {
			if t = strings.TrimSpace(t); !slices.Contains(p.Tags, t) {
				p.Tags = append(p.Tags, t)
			}
		}
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

// checkTOTP returns the checked one-time code URI of in, if any
// (policy.CheckTOTP).
func checkTOTP(in api.EntryInput) (string, error) {
	if in.TOTP == nil {
		return "", nil
	}
	return policy.CheckTOTP(*in.TOTP)
}

// add adds the entry. Kept on this device but not published, it fails
// with an error wrapping client.ErrPending (code pending): saved all the
// same.
func (a *app) add(ctx context.Context, arg api.EntryInput) (api.Entry, error) {
	if arg.Sites == nil {
		return api.Entry{}, bridge.BadRequest("an entry needs at least one site")
	}
	sites, err := checkSites(arg)
	if err != nil {
		return api.Entry{}, err
	}
	totp, err := checkTOTP(arg)
	if err != nil {
		return api.Entry{}, err
	}
	e := vault.Entry{ID: arg.ID, Sites: []string{}}
	apply(arg, sites, totp, &e)
	e, err = a.c.Add(ctx, e)
	if err != nil {
		return api.Entry{}, err
	}
	return entryOf(e, false), nil
}

func (a *app) addMany(ctx context.Context, arg api.Entries) (api.Added, error) {
	entries := make([]vault.Entry, 0, len(arg.Entries))
	for i, in := range arg.Entries {
		sites, err := checkSites(in)
		if err != nil {
			return api.Added{}, fmt.Errorf("entry %d: %w", i+1, err)
		}
		totp, err := checkTOTP(in)
		if err != nil {
			return api.Added{}, fmt.Errorf("entry %d: %w", i+1, err)
		}
		e := vault.Entry{ID: in.ID, Sites: []string{}}
		apply(in, sites, totp, &e)
		entries = append(entries, e)
	}
	added, err := a.c.AddBatch(ctx, entries)
	out := api.Added{IDs: make([]string, 0, len(added))}
	for _, e := range added {
		out.IDs = append(out.IDs, e.ID)
	}
	return out, err
}

func (a *app) edit(ctx context.Context, arg api.EntryInput) (api.Empty, error) {
	if arg.ID == "" {
		return api.Empty{}, bridge.BadRequest("id is required")
	}
	totp, err := checkTOTP(arg)
	if err != nil {
		return api.Empty{}, err
	}
	// client.Edit checks and canonicalizes the sites the edit adds, and
	// keeps those the entry had as they are: an entry with a site stored
	// before the rules stays editable, as on the command line.
	var sites []string
	if arg.Sites != nil {
		sites = *arg.Sites
	}
	return api.Empty{}, a.c.Edit(ctx, arg.ID, func(p *vault.Entry) { apply(arg, sites, totp, p) })
}

func (a *app) remove(ctx context.Context, arg api.ID) (api.Empty, error) {
	return api.Empty{}, a.c.Delete(ctx, arg.ID)
}

func matchOf(m match.Match) api.MatchInfo {
	return api.MatchInfo{Kind: m.Kind.String(), Site: m.Site, Scheme: m.Scheme, Insecure: m.Insecure, Port: m.Port}
}

func (a *app) match(ctx context.Context, arg api.MatchArg) ([]api.Candidate, error) {
	entries, ranked, err := a.c.Matching(arg.URL, match.Options{AllowHTTP: arg.AllowHTTP})
	if err != nil {
		return nil, err
	}
	out := []api.Candidate{}
	if len(ranked) == 0 {
		return out, nil
	}
	// The popup paints these rows before it has the full list: they
	// carry what a row shows (name, one-time code, pending mark).
	pending, err := a.pendingSet()
	if err != nil {
		return nil, err
	}
	for _, r := range ranked {
		e := entries[r.Index]
		sites := e.Sites
		if sites == nil {
			sites = []string{}
		}
		out = append(out, api.Candidate{ID: e.ID, Sites: sites, Username: e.Username, Name: e.Name, TOTP: e.TOTP != "",
			Pending: pending[e.ID], Match: matchOf(r.Match)})
	}
	return out, nil
}

func (a *app) fill(ctx context.Context, arg api.FillArg) (api.Credential, error) {
	// The page's matches come from the site index right after a restart
	// or an unlock; an entry not among them is looked up in the whole
	// vault, for the error that says why it may not fill.
	entries, ranked, err := a.c.Matching(arg.URL, match.Options{AllowHTTP: arg.AllowHTTP})
	if err != nil {
		return api.Credential{}, err
	}
	for _, r := range ranked {
		if e := entries[r.Index]; e.ID == arg.ID {
			return api.Credential{Username: e.Username, Password: e.Password, Match: matchOf(r.Match)}, nil
		}
	}
	e, err := a.c.Entry(arg.ID)
	if err != nil {
		return api.Credential{}, err
	}
	return fillFor(e, arg)
}

// fillFor returns e's credential if match allows e to fill the page.
func fillFor(e vault.Entry, arg api.FillArg) (api.Credential, error) {
	r := match.Rank([]vault.Entry{e}, arg.URL, match.Options{AllowHTTP: arg.AllowHTTP})
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
