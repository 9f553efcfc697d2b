package exporter

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/meshpass/meshpass/shared/vault"
)

// The Bitwarden JSON export, as Bitwarden documents it (unencrypted).
type bwFile struct {
	Encrypted bool       `json:"encrypted"`
	Folders   []bwFolder `json:"folders"`
	Items     []bwItem   `json:"items"`
}

type bwFolder struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type bwItem struct {
	ID              string       `json:"id"`
	OrganizationID  *string      `json:"organizationId"`
	FolderID        *string      `json:"folderId"`
	Type            int          `json:"type"`
	Reprompt        int          `json:"reprompt"`
	Name            string       `json:"name"`
	Notes           *string      `json:"notes"`
	Favorite        bool         `json:"favorite"`
	Fields          []bwField    `json:"fields,omitempty"`
	Login           *bwLogin     `json:"login,omitempty"`
	SecureNote      *bwNote      `json:"secureNote,omitempty"`
	PasswordHistory []bwPrevious `json:"passwordHistory,omitempty"`
	RevisionDate    time.Time    `json:"revisionDate"`
	CreationDate    time.Time    `json:"creationDate"`
	CollectionIDs   []string     `json:"collectionIds"`
}

type bwField struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Type     int    `json:"type"`
	LinkedID *int   `json:"linkedId"`
}

type bwLogin struct {
	URIs     []bwURI `json:"uris,omitempty"`
	Username *string `json:"username"`
	Password *string `json:"password"`
	TOTP     *string `json:"totp"`
}

type bwURI struct {
	Match *int   `json:"match"`
	URI   string `json:"uri"`
}

type bwNote struct {
	Type int `json:"type"`
}

type bwPrevious struct {
	LastUsedDate time.Time `json:"lastUsedDate"`
	Password     string    `json:"password"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// siteURL is the URL a site is written as: https://host[:port]; a
// wildcard "*.example.com" is https://example.com (Bitwarden's default
// match, the base domain, covers its subdomains).
func siteURL(site string) string {
	return "https://" + strings.TrimPrefix(site, "*.")
}

// BitwardenJSON returns a Bitwarden JSON export of entries: logins (or
// secure notes for entries without sites, username and password) with
// their URIs, TOTP, custom fields (hidden ones as hidden fields), folder
// and password history. Tags, which Bitwarden lacks, become a "Tags"
// field.
func BitwardenJSON(entries []vault.Entry) ([]byte, error) {
	f := bwFile{Folders: []bwFolder{}, Items: []bwItem{}}
	folders := map[string]string{}
	for _, e := range entries {
		it := bwItem{ID: e.ID, Type: 1, Name: e.Name, Notes: optional(e.Notes), RevisionDate: e.Updated.UTC(), CreationDate: e.Created.UTC()}
		if it.Name == "" {
			it.Name = firstOr(e.Sites, e.Username)
		}
		if e.Folder != "" {
			id, ok := folders[e.Folder]
			if !ok {
				id = folderID(len(folders) + 1)
				folders[e.Folder] = id
				f.Folders = append(f.Folders, bwFolder{ID: id, Name: e.Folder})
			}
			it.FolderID = &id
		}
		for _, x := range e.Fields {
			t := 0
			if x.Hidden {
				t = 1
			}
			it.Fields = append(it.Fields, bwField{Name: x.Name, Value: x.Value, Type: t})
		}
		if len(e.Tags) > 0 {
			it.Fields = append(it.Fields, bwField{Name: "Tags", Value: strings.Join(e.Tags, ", ")})
		}
		if len(e.Sites) == 0 && e.Username == "" && e.Password == "" && e.TOTP == "" {
			it.Type = 2
			it.SecureNote = &bwNote{}
		} else {
			l := &bwLogin{Username: optional(e.Username), Password: optional(e.Password), TOTP: optional(e.TOTP)}
			for _, s := range e.Sites {
				l.URIs = append(l.URIs, bwURI{URI: siteURL(s)})
			}
			it.Login = l
		}
		for _, c := range e.PasswordHistory(len(e.History)) {
			it.PasswordHistory = append(it.PasswordHistory, bwPrevious{LastUsedDate: c.Time.UTC(), Password: c.Value})
		}
		f.Items = append(f.Items, it)
	}
	return json.MarshalIndent(f, "", "  ")
}

func firstOr(list []string, or string) string {
	if len(list) > 0 {
		return list[0]
	}
	return or
}

// folderID is a stable UUID-shaped identifier for the nth folder.
func folderID(n int) string {
	s := strings.Repeat("0", 12) + itoa(n)
	return "00000000-0000-4000-8000-" + s[len(s)-12:]
}

func itoa(n int) string {
	var b []byte
	for {
		b = append(b, byte('0'+n%10))
		n /= 10
		if n == 0 {
			break
		}
	}
	slices.Reverse(b)
	return string(b)
}
