// Package cxf holds the JSON types of the FIDO Alliance Credential
// Exchange Format (CXF 1.0, Proposed Standard of 2025-08-14, section "Data
// Structure Specifications"): a header, its accounts, their collections
// and items, and each item's credentials, which stay as JSON objects
// tagged with their type (the importer reads the types it knows, the
// exporter writes them). The importer (shared/importer) and the exporter
// (shared/exporter) share them.
package cxf

import "encoding/json"

// Header is an exchange: the format's version, the exporter, and the
// accounts.
type Header struct {
	// Version is the format's version (nil if the file has none).
	Version *Version `json:"version"`
	// ExporterRpID is the exporting app as a relying party identifier,
	// ExporterDisplayName its name for people.
	ExporterRpID        string `json:"exporterRpId"`
	ExporterDisplayName string `json:"exporterDisplayName"`
	// Timestamp is when the export was made (UNIX seconds).
	Timestamp int64 `json:"timestamp"`
	// Accounts are the accounts exported.
	Accounts []Account `json:"accounts"`
}

// Version is a version of the format: a new major one is incompatible.
type Version struct {
	Major int `json:"major"`
	Minor int `json:"minor"`
}

// Account is one account's collections and items.
type Account struct {
	// ID is an opaque base64url identifier of at most 64 bytes.
	ID string `json:"id"`
	// Username, Email and FullName name the account's owner.
	Username string `json:"username"`
	Email    string `json:"email"`
	FullName string `json:"fullName,omitempty"`
	// Collections organize the items (folders).
	Collections []Collection `json:"collections"`
	// Items are the account's items.
	Items []Item `json:"items"`
	// Extensions are the exporter's additions.
	Extensions []json.RawMessage `json:"extensions,omitempty"`
}

// Collection is a named group of items, maybe with sub-collections.
type Collection struct {
	ID             string       `json:"id"`
	CreationAt     int64        `json:"creationAt,omitempty"`
	ModifiedAt     int64        `json:"modifiedAt,omitempty"`
	Title          string       `json:"title"`
	Subtitle       string       `json:"subtitle,omitempty"`
	Items          []LinkedItem `json:"items"`
	SubCollections []Collection `json:"subCollections,omitempty"`
}

// LinkedItem names an item of the account, or of Account.
type LinkedItem struct {
	Item    string `json:"item"`
	Account string `json:"account,omitempty"`
}

// Item is one item: its title, where its credentials are for, and them.
type Item struct {
	ID         string `json:"id"`
	CreationAt int64  `json:"creationAt,omitempty"`
	ModifiedAt int64  `json:"modifiedAt,omitempty"`
	Title      string `json:"title"`
	Subtitle   string `json:"subtitle,omitempty"`
	Favorite   bool   `json:"favorite,omitempty"`
	// Scope says where the credentials are for.
	Scope *Scope `json:"scope,omitempty"`
	// Credentials are the item's credentials, each with its "type".
	Credentials []Credential `json:"credentials"`
	Tags        []string     `json:"tags,omitempty"`
	// Extensions are the exporter's additions (by name).
	Extensions []Extension `json:"extensions,omitempty"`
}

// Scope is where an item's credentials are for: URLs and Android apps.
type Scope struct {
	URLs        []string     `json:"urls"`
	AndroidApps []AndroidApp `json:"androidApps"`
}

// AndroidApp is an Android application, by its identifier.
type AndroidApp struct {
	BundleID string `json:"bundleId"`
	Name     string `json:"name,omitempty"`
}

// Extension is an exporter's addition, by name.
type Extension struct {
	Name string `json:"name"`
}

// Credential is one credential: a JSON object whose "type" member says
// which ("basic-auth", "totp", "note", "custom-fields", "passkey", ...).
type Credential map[string]json.RawMessage

// Type returns the credential's type ("" if none).
func (c Credential) Type() string {
	var t string
	json.Unmarshal(c["type"], &t)
	return t
}

// Decode decodes the credential into v (a struct of its members).
func (c Credential) Decode(v any) error {
	j, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return json.Unmarshal(j, v)
}

// NewCredential makes a credential of type typ from v (a struct or map of
// its members).
func NewCredential(typ string, v any) (Credential, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	c := Credential{}
	if err := json.Unmarshal(j, &c); err != nil {
		return nil, err
	}
	c["type"], _ = json.Marshal(typ)
	return c, nil
}

// EditableField is a value with its type ("string", "concealed-string",
// "email", "date", ...) and a label.
type EditableField struct {
	ID        string `json:"id,omitempty"`
	FieldType string `json:"fieldType"`
	Value     string `json:"value"`
	Label     string `json:"label,omitempty"`
}

// Field returns an EditableField of value, concealed or not.
func Field(value string, concealed bool) EditableField {
	if concealed {
		return EditableField{FieldType: "concealed-string", Value: value}
	}
	return EditableField{FieldType: "string", Value: value}
}

// Concealed reports whether the field is to be kept out of sight.
func (f EditableField) Concealed() bool { return f.FieldType == "concealed-string" }
