// Package vault is the password vault as a catalog of entry records (vault
// format 2, docs/vault.md): each add, edit or delete of an entry is one
// record, encrypted under the vault's content key with the record's
// identity bound as associated data and signed by the device that wrote
// it; an entry's records form a graph through their parents, and every
// device merges concurrent records field by field to the same entry,
// keeping each value a merge replaced in the entry's history.
//
// The package holds the format and the rules (Seal, Open, Catalog);
// storing records at a portal and syncing them is the client's.
package vault

import (
	"slices"
	"time"
)

// Entry is one login as a record holds it, and as the catalog gives it
// after a merge.
type Entry struct {
	// ID names the entry across records and devices.
	ID string `json:"-"`
	// Name is what the person calls the login ("Bank"); may be empty.
	Name string `json:"Name,omitempty"`
	// Sites are the hosts the login is for (shared/match syntax).
	Sites []string `json:"Sites,omitempty"`
	// Username and Password are the credential.
	Username string `json:"Username,omitempty"`
	Password string `json:"Password,omitempty"`
	// Notes are free text.
	Notes string `json:"Notes,omitempty"`
	// TOTP is an otpauth:// URI for one-time codes, or "".
	TOTP string `json:"TOTP,omitempty"`
	// Fields are custom fields, in the person's order.
	Fields []Field `json:"Fields,omitempty"`
	// Folder and Tags organize the vault.
	Folder string   `json:"Folder,omitempty"`
	Tags   []string `json:"Tags,omitempty"`
	// Created is when the entry was first written.
	Created time.Time `json:"Created"`
	// Deleted marks an entry removed: its record keeps the fields, so a
	// concurrent edit can bring it back without loss.
	Deleted bool `json:"Deleted,omitempty"`

	// Updated is the time of the newest record merged into the entry.
	Updated time.Time `json:"-"`
	// History holds, newest first, each value of a field that the entry
	// held in some record but holds no more (a password changed, or one
	// side of two concurrent changes). It is derived from the records.
	History []Change `json:"-"`
}

// Field is a custom field of an entry.
type Field struct {
	Name   string `json:"Name"`
	Value  string `json:"Value"`
	Hidden bool   `json:"Hidden,omitempty"`
}

// Change is a value an entry's field held before.
type Change struct {
	// Field is the field's name as in FieldNames ("Password").
	Field string
	// Value is the value, as the field's text (lists joined by newlines,
	// custom fields as JSON).
	Value string
	// Time is when the record that wrote it was written, and Writer the
	// device that wrote it.
	Time   time.Time
	Writer string
}

// FieldNames are the fields a merge compares one by one, in this order.
var FieldNames = []string{"Name", "Sites", "Username", "Password", "Notes", "TOTP", "Fields", "Folder", "Tags", "Created", "Deleted"}

// PasswordHistory returns up to n earlier passwords of e, newest first.
func (e *Entry) PasswordHistory(n int) []Change {
	var out []Change
	for _, c := range e.History {
		if c.Field == "Password" && len(out) < n {
			out = append(out, c)
		}
	}
	return out
}

// clone returns a deep copy of e.
func (e Entry) clone() Entry {
	e.Sites = slices.Clone(e.Sites)
	e.Fields = slices.Clone(e.Fields)
	e.Tags = slices.Clone(e.Tags)
	e.History = slices.Clone(e.History)
	return e
}
