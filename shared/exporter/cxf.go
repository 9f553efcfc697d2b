package exporter

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/meshpass/meshpass/shared/cxf"
	"github.com/meshpass/meshpass/shared/totp"
	"github.com/meshpass/meshpass/shared/vault"
)

// The FIDO Alliance Credential Exchange Format (CXF 1.0, Proposed
// Standard of 2025-08-14), unencrypted JSON: a header with one account,
// its items and, for the folders, its collections. Each entry is an item
// whose scope holds its sites as URLs (a wildcard site as it is), with a
// basic-auth credential (username, password), a totp credential (from its
// otpauth URI; an hotp URI goes to a custom field), a note, and its custom
// fields as a custom-fields credential; its tags are the item's.

// CXFRpID and CXFDisplayName name meshpass as the exporter.
const (
	CXFRpID        = "meshpass.dev"
	CXFDisplayName = "meshpass"
)

// cxfID is a stable base64url identifier (at most 64 bytes) for s.
func cxfID(s string) string {
	if len(s) <= 48 {
		return base64.RawURLEncoding.EncodeToString([]byte(s))
	}
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// CXFJSON returns the CXF export of entries.
func CXFJSON(entries []vault.Entry, now time.Time) ([]byte, error) {
	acct := cxf.Account{ID: cxfID("meshpass"), Collections: []cxf.Collection{}, Items: []cxf.Item{}}
	folders := map[string]int{}
	for i, e := range entries {
		id := e.ID
		if id == "" {
			id = strconv.Itoa(i + 1)
		}
		it, err := cxfItem(e, cxfID(id))
		if err != nil {
			return nil, err
		}
		if e.Folder != "" {
			at, ok := folders[e.Folder]
			if !ok {
				at = len(acct.Collections)
				folders[e.Folder] = at
				acct.Collections = append(acct.Collections, cxf.Collection{ID: cxfID("folder:" + e.Folder), Title: e.Folder, Items: []cxf.LinkedItem{}})
			}
			acct.Collections[at].Items = append(acct.Collections[at].Items, cxf.LinkedItem{Item: it.ID})
		}
		acct.Items = append(acct.Items, it)
	}
	h := cxf.Header{Version: &cxf.Version{Major: 1, Minor: 0}, ExporterRpID: CXFRpID, ExporterDisplayName: CXFDisplayName,
		Timestamp: now.Unix(), Accounts: []cxf.Account{acct}}
	return json.MarshalIndent(h, "", "  ")
}

// cxfItem is the item of entry e.
func cxfItem(e vault.Entry, id string) (cxf.Item, error) {
	it := cxf.Item{ID: id, CreationAt: unixOrZero(e.Created), ModifiedAt: unixOrZero(e.Updated), Title: e.Name,
		Credentials: []cxf.Credential{}, Tags: e.Tags}
	if it.Title == "" && len(e.Sites) > 0 {
		it.Title = e.Sites[0]
	}
	if len(e.Sites) > 0 {
		it.Scope = &cxf.Scope{AndroidApps: []cxf.AndroidApp{}}
		for _, s := range e.Sites {
			if !strings.HasPrefix(s, "*.") {
				s = "https://" + s + "/"
			}
			it.Scope.URLs = append(it.Scope.URLs, s)
		}
	}
	var err error
	add := func(typ string, members any) {
		if err != nil {
			return
		}
		var c cxf.Credential
		if c, err = cxf.NewCredential(typ, members); err == nil {
			it.Credentials = append(it.Credentials, c)
		}
	}
	if e.Username != "" || e.Password != "" {
		login := map[string]cxf.EditableField{}
		if e.Username != "" {
			login["username"] = cxf.Field(e.Username, false)
		}
		if e.Password != "" {
			login["password"] = cxf.Field(e.Password, true)
		}
		add("basic-auth", login)
	}
	fields := slices.Clone(e.Fields)
	if e.TOTP != "" {
		if t, ok := cxfTOTP(e.TOTP); ok {
			add("totp", t)
		} else {
			fields = append(fields, vault.Field{Name: "One-time code", Value: e.TOTP, Hidden: true})
		}
	}
	if e.Notes != "" {
		add("note", map[string]cxf.EditableField{"content": cxf.Field(e.Notes, false)})
	}
	if len(fields) > 0 {
		var fs []cxf.EditableField
		for _, f := range fields {
			ef := cxf.Field(f.Value, f.Hidden)
			ef.Label = f.Name
			fs = append(fs, ef)
		}
		add("custom-fields", map[string]any{"fields": fs})
	}
	return it, err
}

// cxfTOTP is the members of the totp credential of a TOTP otpauth URI;
// false for an hotp URI or one that does not parse.
func cxfTOTP(uri string) (map[string]any, bool) {
	k, err := totp.Parse(uri)
	if err != nil || k.Type != "totp" {
		return nil, false
	}
	c := map[string]any{
		"secret": base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(k.Secret), "period": k.Period, "digits": k.Digits,
		"algorithm": strings.ToLower(k.Algorithm),
	}
	issuer, account := k.Names()
	if issuer != "" {
		c["issuer"] = issuer
	}
	if account != "" {
		c["username"] = account
	}
	return c, true
}
