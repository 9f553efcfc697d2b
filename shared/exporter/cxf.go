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

type cxfHeader struct {
	Version             cxfVersion   `json:"version"`
	ExporterRpID        string       `json:"exporterRpId"`
	ExporterDisplayName string       `json:"exporterDisplayName"`
	Timestamp           int64        `json:"timestamp"`
	Accounts            []cxfAccount `json:"accounts"`
}

type cxfVersion struct {
	Major int `json:"major"`
	Minor int `json:"minor"`
}

type cxfAccount struct {
	ID          string          `json:"id"`
	Username    string          `json:"username"`
	Email       string          `json:"email"`
	Collections []cxfCollection `json:"collections"`
	Items       []cxfItem       `json:"items"`
}

type cxfCollection struct {
	ID    string          `json:"id"`
	Title string          `json:"title"`
	Items []cxfLinkedItem `json:"items"`
}

type cxfLinkedItem struct {
	Item string `json:"item"`
}

type cxfItem struct {
	ID          string           `json:"id"`
	CreationAt  int64            `json:"creationAt,omitempty"`
	ModifiedAt  int64            `json:"modifiedAt,omitempty"`
	Title       string           `json:"title"`
	Scope       *cxfScope        `json:"scope,omitempty"`
	Credentials []map[string]any `json:"credentials"`
	Tags        []string         `json:"tags,omitempty"`
}

type cxfScope struct {
	URLs        []string `json:"urls"`
	AndroidApps []any    `json:"androidApps"`
}

type cxfEditable struct {
	FieldType string `json:"fieldType"`
	Value     string `json:"value"`
	Label     string `json:"label,omitempty"`
}

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
	acct := cxfAccount{ID: cxfID("meshpass"), Collections: []cxfCollection{}, Items: []cxfItem{}}
	folders := map[string]int{}
	for i, e := range entries {
		id := e.ID
		if id == "" {
			id = strconv.Itoa(i + 1)
		}
		it := cxfItem{ID: cxfID(id), CreationAt: unixOrZero(e.Created), ModifiedAt: unixOrZero(e.Updated), Title: e.Name,
			Credentials: []map[string]any{}, Tags: e.Tags}
		if it.Title == "" && len(e.Sites) > 0 {
			it.Title = e.Sites[0]
		}
		if len(e.Sites) > 0 {
			it.Scope = &cxfScope{AndroidApps: []any{}}
			for _, s := range e.Sites {
				if !strings.HasPrefix(s, "*.") {
					s = "https://" + s + "/"
				}
				it.Scope.URLs = append(it.Scope.URLs, s)
			}
		}
		if e.Username != "" || e.Password != "" {
			c := map[string]any{"type": "basic-auth"}
			if e.Username != "" {
				c["username"] = cxfEditable{FieldType: "string", Value: e.Username}
			}
			if e.Password != "" {
				c["password"] = cxfEditable{FieldType: "concealed-string", Value: e.Password}
			}
			it.Credentials = append(it.Credentials, c)
		}
		fields := slices.Clone(e.Fields)
		if e.TOTP != "" {
			if c, ok := cxfTOTP(e.TOTP); ok {
				it.Credentials = append(it.Credentials, c)
			} else {
				fields = append(fields, vault.Field{Name: "One-time code", Value: e.TOTP, Hidden: true})
			}
		}
		if e.Notes != "" {
			it.Credentials = append(it.Credentials, map[string]any{"type": "note", "content": cxfEditable{FieldType: "string", Value: e.Notes}})
		}
		if len(fields) > 0 {
			var fs []cxfEditable
			for _, f := range fields {
				t := "string"
				if f.Hidden {
					t = "concealed-string"
				}
				fs = append(fs, cxfEditable{FieldType: t, Value: f.Value, Label: f.Name})
			}
			it.Credentials = append(it.Credentials, map[string]any{"type": "custom-fields", "fields": fs})
		}
		if e.Folder != "" {
			at, ok := folders[e.Folder]
			if !ok {
				at = len(acct.Collections)
				folders[e.Folder] = at
				acct.Collections = append(acct.Collections, cxfCollection{ID: cxfID("folder:" + e.Folder), Title: e.Folder, Items: []cxfLinkedItem{}})
			}
			acct.Collections[at].Items = append(acct.Collections[at].Items, cxfLinkedItem{Item: it.ID})
		}
		acct.Items = append(acct.Items, it)
	}
	h := cxfHeader{Version: cxfVersion{Major: 1, Minor: 0}, ExporterRpID: CXFRpID, ExporterDisplayName: CXFDisplayName,
		Timestamp: now.Unix(), Accounts: []cxfAccount{acct}}
	return json.MarshalIndent(h, "", "  ")
}

// cxfTOTP is the totp credential of a TOTP otpauth URI; false for an hotp
// URI or one that does not parse.
func cxfTOTP(uri string) (map[string]any, bool) {
	k, err := totp.Parse(uri)
	if err != nil || k.Type != "totp" {
		return nil, false
	}
	c := map[string]any{
		"type": "totp", "secret": base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(k.Secret), "period": k.Period, "digits": k.Digits,
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
