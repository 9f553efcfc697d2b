package exporter

import (
	"encoding/json"
	"time"

	"github.com/meshpass/meshpass/shared/vault"
)

// FileFormat is the value of File.Format.
const FileFormat = "meshpass-export"

// FileVersion is the version of File this package writes.
const FileVersion = 1

// File is a meshpass JSON export.
type File struct {
	// Format is FileFormat, Version FileVersion.
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Exported is when the export was made.
	Exported time.Time `json:"exported"`
	// Entries are the vault's entries.
	Entries []Entry `json:"entries"`
}

// Entry is an entry with every field vault.Entry has, its ID, last update
// and history included.
type Entry struct {
	ID       string        `json:"id,omitempty"`
	Name     string        `json:"name,omitempty"`
	Sites    []string      `json:"sites,omitempty"`
	Username string        `json:"username,omitempty"`
	Password string        `json:"password,omitempty"`
	Notes    string        `json:"notes,omitempty"`
	TOTP     string        `json:"totp,omitempty"`
	Fields   []vault.Field `json:"fields,omitempty"`
	Folder   string        `json:"folder,omitempty"`
	Tags     []string      `json:"tags,omitempty"`
	Created  time.Time     `json:"created"`
	Updated  time.Time     `json:"updated"`
	History  []Change      `json:"history,omitempty"`
}

// Change is an earlier value of an entry's field (vault.Change).
type Change struct {
	Field  string    `json:"field"`
	Value  string    `json:"value"`
	Time   time.Time `json:"time"`
	Writer string    `json:"writer,omitempty"`
}

// FromVault converts a vault entry.
func FromVault(e vault.Entry) Entry {
	out := Entry{ID: e.ID, Name: e.Name, Sites: e.Sites, Username: e.Username, Password: e.Password, Notes: e.Notes,
		TOTP: e.TOTP, Fields: e.Fields, Folder: e.Folder, Tags: e.Tags, Created: e.Created, Updated: e.Updated}
	for _, c := range e.History {
		out.History = append(out.History, Change(c))
	}
	return out
}

// ToVault converts back to a vault entry.
func (e Entry) ToVault() vault.Entry {
	out := vault.Entry{ID: e.ID, Name: e.Name, Sites: e.Sites, Username: e.Username, Password: e.Password, Notes: e.Notes,
		TOTP: e.TOTP, Fields: e.Fields, Folder: e.Folder, Tags: e.Tags, Created: e.Created, Updated: e.Updated}
	for _, c := range e.History {
		out.History = append(out.History, vault.Change(c))
	}
	return out
}

// MeshpassJSON returns the meshpass JSON export of entries.
func MeshpassJSON(entries []vault.Entry, now time.Time) ([]byte, error) {
	f := File{Format: FileFormat, Version: FileVersion, Exported: now.UTC(), Entries: []Entry{}}
	for _, e := range entries {
		f.Entries = append(f.Entries, FromVault(e))
	}
	return json.MarshalIndent(f, "", "  ")
}

// ToVault converts back to a vault change.
func (c Change) ToVault() vault.Change { return vault.Change(c) }
