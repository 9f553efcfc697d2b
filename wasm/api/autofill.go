package api

import "errors"

// AutofillArg is the argument of autofill.
type AutofillArg struct {
	// URL is the page's URL.
	URL string `json:"url"`
	// ID is the entry to fill; left out, the entry is the best one that may
	// fill the page automatically.
	ID string `json:"id,omitempty"`
	// Unique, without an ID, fills only when exactly one entry may fill the
	// page automatically (fill on page load); else the best one is taken (the
	// keyboard shortcut).
	Unique bool `json:"unique,omitempty"`
	// AllowHTTP lets http pages match (match.Options.AllowHTTP).
	AllowHTTP bool `json:"allowHTTP,omitempty"`
}

// Validate requires the url.
func (a AutofillArg) Validate() error {
	if a.URL == "" {
		return errors.New("url is required")
	}
	return nil
}

// AutoCredential is what autofill returns: the credential of one entry
// that may fill the page without the person choosing it there.
type AutoCredential struct {
	// ID is the entry's identifier.
	ID string `json:"id"`
	// Username is the login's user name.
	Username string `json:"username"`
	// Password is the login's password.
	Password string `json:"password"`
	// Match is how the entry matched the page: "exact" or "wildcard", never
	// "registrable-domain".
	Match MatchInfo `json:"match"`
}

// The states of a TypedLogin.
const (
	// TypedSaved: an entry that fills the page automatically (its exact host
	// or a wildcard) has that username and password; there is nothing to
	// save.
	TypedSaved = "saved"
	// TypedUpdate: the entry for exactly the page's host with that username
	// has another password; saving updates it.
	TypedUpdate = "update"
	// TypedAddSite: an entry of another host of the page's registrable
	// domain has that username and password; saving adds the page's host to
	// it. The page must not be able to tell this from TypedNew.
	TypedAddSite = "addSite"
	// TypedNew: saving adds a new entry for the page's host.
	TypedNew = "new"
	// TypedOtherSite: the password typed is one the vault holds only for
	// another site (another registrable domain): a look-alike page may be
	// phishing for it. Nothing is offered; the person is warned.
	TypedOtherSite = "otherSite"
)

// TypedLogin is what typedLogin returns: what to do about a login typed on
// a page. No password is in it.
type TypedLogin struct {
	// State is "saved", "update", "addSite", "new" or "otherSite".
	State string `json:"state"`
	// ID is the entry to update ("update") or to add the host to
	// ("addSite").
	ID string `json:"id,omitempty"`
	// Host is the page's host, the site a new entry is saved for
	// (Page.Host).
	Host string `json:"host"`
	// Site is, for "otherSite", the site of the entry the password belongs
	// to, as written in the entry.
	Site string `json:"site,omitempty"`
}
