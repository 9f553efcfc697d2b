package importer

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/meshpass/meshpass/shared/cxf"
	"github.com/meshpass/meshpass/shared/exporter"
	"github.com/meshpass/meshpass/shared/totp"
)

// The FIDO Alliance Credential Exchange Format (CXF v1.0, Proposed
// Standard of 2025-08-14; testdata/README.md says which parts of it): a
// JSON header with accounts, each with its items and collections; an
// item has a title, a scope (its URLs and Android apps) and credentials
// of several types. The unencrypted JSON is read (the header, or one
// account alone as Apple's ASImportableAccount gives it), and meshpass's
// own age-encrypted CXF export; the encrypted exchange of the Credential
// Exchange Protocol is not.

// cxfMaxVersion is the newest major version of the format read.
const cxfMaxVersion = 1

// cxfKinds name the kind of an item by the type of its first
// credential, when it has no basic-auth credential.
var cxfKinds = map[string]string{
	"note": "note", "credit-card": "card", "address": "identity", "person-name": "identity",
	"drivers-license": "identity", "passport": "identity", "identity-document": "identity",
	"ssh-key": "ssh-key", "wifi": "wifi", "api-key": "api-key", "totp": "login",
	"passkey": "passkey", "file": "file", "custom-fields": "note", "generated-password": "login",
}

func parseCXF(b *builder, data []byte, o Options) error {
	if exporter.IsEncrypted(data) { // meshpass's encrypted CXF export
		plain, err := decryptExport(data, o.Password, CXF)
		if err != nil {
			return err
		}
		data = plain
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return formatError(CXF, "not JSON, or cut short: %s", jsonErr(err))
	}
	var h cxf.Header
	switch {
	case top["accounts"] != nil:
		if err := json.Unmarshal(data, &h); err != nil {
			return formatError(CXF, "%s", jsonErr(err))
		}
		if h.Version == nil {
			return formatError(CXF, "no \"version\" in the header")
		}
		if h.Version.Major > cxfMaxVersion || h.Version.Major < 0 {
			return formatError(CXF, "format version %d.%d; this meshpass reads version 1", h.Version.Major, h.Version.Minor)
		}
	case top["items"] != nil && top["id"] != nil:
		var a cxf.Account
		if err := json.Unmarshal(data, &a); err != nil {
			return formatError(CXF, "%s", jsonErr(err))
		}
		h.Accounts = []cxf.Account{a}
	default:
		return formatError(CXF, "neither a CXF header (\"accounts\") nor an account (\"items\")")
	}
	for _, a := range h.Accounts {
		if len(a.Extensions) > 0 {
			b.p.note("account extensions not imported")
		}
		folders := map[string]string{}
		for _, c := range a.Collections {
			cxfFolders(folders, c, "", a.ID)
		}
		for _, x := range a.Items {
			if b.err != nil {
				return b.err
			}
			cxfAdd(b, x, folders[x.ID])
		}
	}
	return b.err
}

// cxfFolders maps the items of collection c (and its sub-collections,
// as "parent/child") to their folder; an item in several keeps the first.
func cxfFolders(out map[string]string, c cxf.Collection, parent, account string) {
	path := strings.TrimSpace(c.Title)
	if parent != "" {
		path = parent + "/" + path
	}
	for _, li := range c.Items {
		if li.Account != "" && li.Account != account {
			continue
		}
		if _, ok := out[li.Item]; !ok {
			out[li.Item] = path
		}
	}
	for _, sub := range c.SubCollections {
		cxfFolders(out, sub, path, account)
	}
}

// cxfAdd maps one item: its first basic-auth credential is the login,
// its first usable totp the one-time code, notes its notes; the other
// credentials' fields become custom fields, and what cannot be kept
// (passkeys, files, references, extensions) is listed.
func cxfAdd(b *builder, x cxf.Item, folder string) {
	kind := ""
	types := make([]string, len(x.Credentials))
	for i, c := range x.Credentials {
		types[i] = c.Type()
		if types[i] == "basic-auth" {
			kind = "login"
		}
	}
	if kind == "" && len(types) > 0 {
		if kind = cxfKinds[types[0]]; kind == "" {
			kind = "other"
		}
	}
	if kind == "" {
		kind = "login"
	}
	it := item{kind: kind, name: x.Title, folder: folder, tags: x.Tags, created: unixTime(x.CreationAt)}
	if x.Favorite {
		it.tags = append(it.tags, "favorite")
	}
	it.field("Subtitle", x.Subtitle, false)
	if x.Scope != nil {
		it.urls = append(it.urls, x.Scope.URLs...)
		for _, app := range x.Scope.AndroidApps {
			if app.BundleID != "" {
				it.urls = append(it.urls, "androidapp://"+app.BundleID)
			}
		}
	}
	var haveLogin, haveTOTP bool
	for i, c := range x.Credentials {
		typ := types[i]
		switch typ {
		case "basic-auth":
			user, pass := cxfValue(c["username"]), cxfValue(c["password"])
			if !haveLogin {
				it.username, it.password, haveLogin = user, pass, true
			} else {
				it.field("Username", user, false)
				it.field("Password", pass, true)
			}
		case "totp":
			uri, err := cxfTOTP(c, x.Title)
			if err != nil {
				b.lost(x.Title, kind, fmt.Sprintf("a one-time code not imported: %v", err))
				continue
			}
			if !haveTOTP {
				it.totp, haveTOTP = uri, true
			} else {
				it.field(FieldOneTimeCode, uri, true)
			}
		case "note":
			if s := cxfValue(c["content"]); s != "" {
				if it.notes != "" {
					it.notes += "\n\n"
				}
				it.notes += s
			}
		case "custom-fields":
			var cf struct {
				Label  string              `json:"label"`
				Fields []cxf.EditableField `json:"fields"`
			}
			c.Decode(&cf)
			for _, f := range cf.Fields {
				name := f.Label
				if cf.Label != "" {
					name = cf.Label + ": " + name
				}
				it.field(name, f.Value, f.Concealed())
			}
		case "generated-password":
			var g struct {
				Password string `json:"password"`
			}
			c.Decode(&g)
			it.field("Generated password", g.Password, true)
		case "passkey":
			b.lost(x.Title, kind, "a passkey not imported (meshpass has no passkeys)")
		case "file":
			var f struct {
				Name string `json:"name"`
			}
			c.Decode(&f)
			b.lost(x.Title, kind, fmt.Sprintf("attached file %q not imported", f.Name))
		case "item-reference":
			b.lost(x.Title, kind, "a link to another item not imported")
		default:
			// credit-card, address, person-name, drivers-license,
			// passport, identity-document, ssh-key, wifi, api-key and
			// types of later versions: every member a field.
			if n := cxfObjectFields(&it, typ, c); n == 0 {
				b.lost(x.Title, kind, fmt.Sprintf("a credential of type %q not imported: nothing in it meshpass can keep", truncate(typ, 40)))
			}
		}
	}
	for _, e := range x.Extensions {
		b.lost(x.Title, kind, fmt.Sprintf("extension %q not imported", truncate(e.Name, 40)))
	}
	b.add(it)
}

// cxfValue is an EditableField's value ("" if none, or not one).
func cxfValue(raw json.RawMessage) string {
	var f cxf.EditableField
	if raw == nil || json.Unmarshal(raw, &f) != nil {
		return ""
	}
	return f.Value
}

// cxfObjectFields keeps each member of a credential of another type as a
// custom field named "Type: member" (hidden if its field type is
// concealed-string, or for an SSH private key); it returns how many.
func cxfObjectFields(it *item, typ string, c cxf.Credential) int {
	keys := make([]string, 0, len(c))
	for k := range c {
		if k != "type" && k != "extensions" && k != "id" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	prefix := fieldTitle(strings.ReplaceAll(typ, "-", " ")) + ": "
	n := 0
	for _, k := range keys {
		var f cxf.EditableField
		var s string
		var num float64
		switch {
		case json.Unmarshal(c[k], &f) == nil && f.FieldType != "":
			name := fieldTitle(k)
			if f.Label != "" {
				name = f.Label
			}
			it.field(prefix+name, f.Value, f.Concealed())
		case json.Unmarshal(c[k], &s) == nil:
			it.field(prefix+fieldTitle(k), s, k == "privateKey")
		case json.Unmarshal(c[k], &num) == nil:
			it.field(prefix+fieldTitle(k), strconv.FormatFloat(num, 'f', -1, 64), false)
		default:
			continue
		}
		n++
	}
	return n
}

// cxfTOTP makes an otpauth URI of a totp credential: secret (base32),
// period, digits, algorithm (sha1, sha256, sha512; the spec has importers
// ignore others), username and issuer.
func cxfTOTP(c cxf.Credential, title string) (string, error) {
	var t struct {
		Secret    string `json:"secret"`
		Period    int    `json:"period"`
		Digits    int    `json:"digits"`
		Username  string `json:"username"`
		Algorithm string `json:"algorithm"`
		Issuer    string `json:"issuer"`
	}
	if err := c.Decode(&t); err != nil {
		return "", fmt.Errorf("its members do not parse")
	}
	alg := strings.ToUpper(t.Algorithm)
	switch alg {
	case "", "SHA1", "SHA256", "SHA512":
	default:
		return "", fmt.Errorf("unknown algorithm %q", truncate(t.Algorithm, 20))
	}
	issuer := t.Issuer
	if issuer == "" {
		issuer = title
	}
	base, err := totp.URI(t.Secret, issuer, t.Username)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	q := u.Query()
	if alg != "" && alg != "SHA1" {
		q.Set("algorithm", alg)
	}
	if t.Digits != 0 && t.Digits != 6 {
		q.Set("digits", strconv.Itoa(t.Digits))
	}
	if t.Period != 0 && t.Period != 30 {
		q.Set("period", strconv.Itoa(t.Period))
	}
	u.RawQuery = q.Encode()
	if _, err := totp.Parse(u.String()); err != nil {
		return "", err
	}
	return u.String(), nil
}
