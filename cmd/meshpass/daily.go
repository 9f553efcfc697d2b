package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/meshpass/meshpass/shared/client"
	"github.com/meshpass/meshpass/shared/match"
	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/shared/totp"
	"github.com/meshpass/meshpass/shared/vault"
)

// Daily use: entries named by site, JSON output, one field for scripts,
// and the trash.

// findEntries returns the entries arg names: the entry of that Id (or
// unique prefix); else those whose name is arg (ignoring case); else
// those that may fill the site arg (a host or URL), as the popup matches
// a page (shared/match: exact host, wildcard, same registrable domain;
// http allowed), best first. None is an error matching client.ErrNoEntry.
func findEntries(c *client.Client, arg string) ([]vault.Entry, error) {
	id, err := entryID(c, arg)
	if err == nil {
		e, err := c.Entry(id)
		if err != nil {
			return nil, err
		}
		return []vault.Entry{e}, nil
	}
	if !errors.Is(err, client.ErrNoEntry) {
		return nil, err
	}
	list, lerr := c.List()
	if lerr != nil {
		return nil, lerr
	}
	var named []vault.Entry
	for _, e := range list {
		if e.Name != "" && strings.EqualFold(e.Name, arg) {
			named = append(named, e)
		}
	}
	if len(named) > 0 {
		return named, nil
	}
	if page := siteURL(arg); page != "" {
		found, _, merr := c.Matching(page, match.Options{AllowHTTP: true})
		if merr != nil {
			return nil, merr
		}
		if len(found) > 0 {
			return found, nil
		}
	}
	return nil, fmt.Errorf("%w: no entry has the Id, name or site %q", client.ErrNoEntry, arg)
}

// siteURL is the page URL that a site argument stands for: an http(s)
// URL as given, a host (with an optional port) as https; "" if arg is
// neither.
func siteURL(arg string) string {
	if strings.HasPrefix(arg, "http://") || strings.HasPrefix(arg, "https://") {
		return arg
	}
	site, err := policy.CheckSite(arg)
	if err != nil || strings.HasPrefix(site, "*.") {
		return ""
	}
	return "https://" + site + "/"
}

// entryJSON is an entry as --json prints it; the secrets only with
// --reveal (show).
type entryJSON struct {
	ID       string      `json:"id"`
	Name     string      `json:"name,omitempty"`
	Sites    []string    `json:"sites"`
	Username string      `json:"username"`
	Password *string     `json:"password,omitempty"`
	TOTP     bool        `json:"totp"`
	TOTPURI  string      `json:"totpUri,omitempty"`
	Notes    string      `json:"notes,omitempty"`
	Folder   string      `json:"folder,omitempty"`
	Tags     []string    `json:"tags,omitempty"`
	Fields   []fieldJSON `json:"fields,omitempty"`
	Created  *time.Time  `json:"created,omitempty"`
	Updated  *time.Time  `json:"updated,omitempty"`
	Deleted  *time.Time  `json:"deleted,omitempty"`
	Pending  bool        `json:"pending,omitempty"`
	History  []oldJSON   `json:"passwordHistory,omitempty"`
}

type fieldJSON struct {
	Name   string  `json:"name"`
	Value  *string `json:"value,omitempty"`
	Hidden bool    `json:"hidden,omitempty"`
}

type oldJSON struct {
	Password string    `json:"password"`
	Time     time.Time `json:"time"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// toJSON is e for --json: with reveal, its password, one-time code URI,
// hidden fields' values and the last history earlier passwords.
func toJSON(e vault.Entry, pending, reveal bool, history int) entryJSON {
	out := entryJSON{ID: e.ID, Name: e.Name, Sites: e.Sites, Username: e.Username, TOTP: e.TOTP != "", Notes: e.Notes,
		Folder: e.Folder, Tags: e.Tags, Created: timePtr(e.Created), Updated: timePtr(e.Updated), Pending: pending}
	if out.Sites == nil {
		out.Sites = []string{}
	}
	if reveal {
		pw := e.Password
		out.Password, out.TOTPURI = &pw, e.TOTP
		for _, c := range e.PasswordHistory(history) {
			out.History = append(out.History, oldJSON{Password: c.Value, Time: c.Time})
		}
	}
	for _, f := range e.Fields {
		fj := fieldJSON{Name: f.Name, Hidden: f.Hidden}
		if !f.Hidden || reveal {
			v := f.Value
			fj.Value = &v
		}
		out.Fields = append(out.Fields, fj)
	}
	return out
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// listJSON prints entries without their secrets.
func listJSON(w io.Writer, entries []vault.Entry, pending []string) error {
	out := make([]entryJSON, 0, len(entries))
	for _, e := range entries {
		out = append(out, toJSON(e, slices.Contains(pending, e.ID), false, 0))
	}
	return printJSON(w, out)
}

// fieldValue is one field of e for --field: password, username, totp
// (the current code), otpauth (the URI), notes, name, site (the first),
// sites (one a line), folder, tags, id, or a custom field's name.
func fieldValue(e vault.Entry, name string) (string, error) {
	switch strings.ToLower(name) {
	case "password":
		return e.Password, nil
	case "username", "user":
		return e.Username, nil
	case "totp", "code":
		if e.TOTP == "" {
			return "", fmt.Errorf("entry %s has no one-time code", e.ID)
		}
		code, _, err := totp.Code(e.TOTP, time.Now())
		if err != nil {
			return "", fmt.Errorf("entry %s: %w", e.ID, err)
		}
		return code, nil
	case "otpauth", "totp-uri":
		return e.TOTP, nil
	case "notes":
		return e.Notes, nil
	case "name":
		return e.Name, nil
	case "site", "url":
		if len(e.Sites) == 0 {
			return "", nil
		}
		return e.Sites[0], nil
	case "sites":
		return strings.Join(e.Sites, "\n"), nil
	case "folder":
		return e.Folder, nil
	case "tags":
		return strings.Join(e.Tags, "\n"), nil
	case "id":
		return e.ID, nil
	}
	for _, f := range e.Fields {
		if f.Name == name {
			return f.Value, nil
		}
	}
	for _, f := range e.Fields {
		if strings.EqualFold(f.Name, name) {
			return f.Value, nil
		}
	}
	return "", usagef("entry %s has no field %q (password, username, totp, otpauth, notes, name, site, sites, folder, tags, id, or a custom field's name)", e.ID, name)
}

// printEntries prints a short table of entries (Id, name, sites,
// username).
func printEntries(w io.Writer, entries []vault.Entry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSITES\tUSERNAME")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.ID, e.Name, strings.Join(e.Sites, ","), e.Username)
	}
	return tw.Flush()
}

// describe names an entry for a question: its name or username, and site.
func describe(e vault.Entry) string {
	who := e.Username
	if e.Name != "" {
		who = e.Name
		if e.Username != "" {
			who += " (" + e.Username + ")"
		}
	}
	if who == "" {
		who = e.ID
	}
	if len(e.Sites) > 0 {
		who += " on " + e.Sites[0]
	}
	return who
}

func cmdTrash(a *app, args []string) error {
	fs := a.flags("trash", "",
		"List the deleted entries, the most recently deleted first: Id, name, sites,\n"+
			"username and when each was deleted. `meshpass restore ID` brings one back.")
	asJSON := fs.Bool("json", false, "print JSON (no secrets)")
	c, err := a.start(fs, args, 0, needUnlocked, nil)
	if err != nil {
		return err
	}
	list, err := c.Deleted()
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]entryJSON, 0, len(list))
		for _, e := range list {
			j := toJSON(e, false, false, 0)
			j.Deleted, j.Updated = j.Updated, nil
			out = append(out, j)
		}
		return printJSON(a.stdout, out)
	}
	if len(list) == 0 {
		fmt.Fprintln(a.stdout, "The trash is empty.")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSITES\tUSERNAME\tDELETED")
	for _, e := range list {
		when := "-"
		if !e.Updated.IsZero() {
			when = e.Updated.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.ID, e.Name, strings.Join(e.Sites, ","), e.Username, when)
	}
	return tw.Flush()
}

func cmdRestore(a *app, args []string) error {
	fs := a.flags("restore", "ID",
		"Bring back the deleted entry with Id ID (or a unique prefix; `meshpass trash`\n"+
			"lists them) as it was when deleted, on every device. If the portal cannot be\n"+
			"reached, the restore is saved on this device and published at the next sync.")
	c, err := a.start(fs, args, 1, needUnlocked, nil)
	if err != nil {
		return err
	}
	list, err := c.Deleted()
	if err != nil {
		return err
	}
	ids := make([]string, len(list))
	for i, e := range list {
		ids[i] = e.ID
	}
	id, err := resolve("deleted entry", fs.Arg(0), ids)
	if err != nil {
		return err
	}
	if id == "" {
		return fmt.Errorf("%w: no deleted entry %q (`meshpass trash` lists them)", client.ErrNoEntry, fs.Arg(0))
	}
	err = c.Restore(a.ctx, id)
	if err != nil && !errors.Is(err, client.ErrPending) {
		return err
	}
	fmt.Fprintf(a.stdout, "Restored %s.\n", id)
	return a.saved(err)
}
