package importer

import (
	"encoding/json"
	"sort"
	"strings"
)

// The Proton Pass JSON export (unencrypted).
type protonData struct {
	Encrypted bool `json:"encrypted"`
	Vaults    *map[string]struct {
		Name  string `json:"name"`
		Items []struct {
			State      int   `json:"state"`
			CreateTime int64 `json:"createTime"`
			Data       struct {
				Metadata struct {
					Name string `json:"name"`
					Note string `json:"note"`
				} `json:"metadata"`
				ExtraFields []struct {
					FieldName string `json:"fieldName"`
					Type      string `json:"type"`
					Data      struct {
						Content string `json:"content"`
					} `json:"data"`
				} `json:"extraFields"`
				Type    string                     `json:"type"`
				Content map[string]json.RawMessage `json:"content"`
			} `json:"data"`
		} `json:"items"`
	} `json:"vaults"`
}

// protonKind names a Proton Pass item type.
func protonKind(t string) string {
	switch strings.ToLower(strings.TrimSpace(t)) {
	case "login", "":
		return "login"
	case "note":
		return "note"
	case "creditcard":
		return "card"
	case "identity":
		return "identity"
	case "alias":
		return "alias"
	}
	return strings.ToLower(t)
}

// protonHidden are the content members of Proton Pass items kept hidden.
var protonHidden = map[string]bool{"number": true, "verificationNumber": true, "pin": true, "socialSecurityNumber": true, "passportNumber": true, "licenseNumber": true}

func parseProtonPass(b *builder, data []byte) error {
	var d protonData
	if err := json.Unmarshal(data, &d); err != nil {
		return formatError(ProtonPass, "not JSON, or cut short: %s", jsonErr(err))
	}
	if d.Encrypted {
		return formatError(ProtonPass, "a PGP-encrypted export: export again without encryption")
	}
	if d.Vaults == nil {
		return formatError(ProtonPass, "no \"vaults\": not a Proton Pass JSON export")
	}
	ids := make([]string, 0, len(*d.Vaults))
	for id := range *d.Vaults {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		v := (*d.Vaults)[id]
		for _, x := range v.Items {
			kind := protonKind(x.Data.Type)
			name := x.Data.Metadata.Name
			if x.State == 2 {
				b.skip(name, kind, "in Proton Pass's trash")
				continue
			}
			it := item{kind: kind, name: name, notes: x.Data.Metadata.Note, folder: v.Name, created: unixTime(x.CreateTime)}
			c := x.Data.Content
			str := func(k string) string {
				var s string
				json.Unmarshal(c[k], &s)
				delete(c, k)
				return s
			}
			if kind == "login" {
				it.username = str("itemUsername")
				email := str("itemEmail")
				if it.username == "" {
					it.username = email
				} else if email != it.username {
					it.field("Email", email, false)
				}
				it.password = str("password")
				it.totp = str("totpUri")
				var urls []string
				json.Unmarshal(c["urls"], &urls)
				delete(c, "urls")
				it.urls = urls
				var passkeys []json.RawMessage
				if json.Unmarshal(c["passkeys"], &passkeys) == nil && len(passkeys) > 0 {
					b.lost(name, kind, "passkey(s) not imported (the login is)")
				}
				delete(c, "passkeys")
			}
			objectFields(&it, c, protonHidden)
			for _, f := range x.Data.ExtraFields {
				if f.Type == "totp" && it.totp == "" {
					it.totp = f.Data.Content
					continue
				}
				it.field(f.FieldName, f.Data.Content, f.Type == "hidden" || f.Type == "totp")
			}
			b.add(it)
		}
	}
	return nil
}
