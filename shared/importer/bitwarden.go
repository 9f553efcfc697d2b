package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/meshpass/meshpass/shared/internal/bwcrypt"
	"github.com/meshpass/meshpass/shared/vault"
)

// The Bitwarden JSON export (unencrypted), as Bitwarden documents it.
type bwFile struct {
	Encrypted         bool       `json:"encrypted"`
	PasswordProtected bool       `json:"passwordProtected"`
	Folders           []bwFolder `json:"folders"`
	Collections       []bwFolder `json:"collections"`
	Items             *[]bwItem  `json:"items"`
	Data              *string    `json:"data"`
}

type bwFolder struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type bwItem struct {
	Type            int                        `json:"type"`
	Name            string                     `json:"name"`
	Notes           string                     `json:"notes"`
	FolderID        string                     `json:"folderId"`
	CollectionIDs   []string                   `json:"collectionIds"`
	DeletedDate     string                     `json:"deletedDate"`
	CreationDate    string                     `json:"creationDate"`
	Fields          []bwField                  `json:"fields"`
	Login           *bwLogin                   `json:"login"`
	PasswordHistory []bwPrevious               `json:"passwordHistory"`
	Card            map[string]json.RawMessage `json:"card"`
	Identity        map[string]json.RawMessage `json:"identity"`
	SSHKey          map[string]json.RawMessage `json:"sshKey"`
}

type bwField struct {
	Name  string  `json:"name"`
	Value *string `json:"value"`
	Type  int     `json:"type"`
}

type bwLogin struct {
	URIs []struct {
		URI string `json:"uri"`
	} `json:"uris"`
	Username string            `json:"username"`
	Password string            `json:"password"`
	TOTP     string            `json:"totp"`
	Passkeys []json.RawMessage `json:"fido2Credentials"`
}

type bwPrevious struct {
	LastUsedDate string `json:"lastUsedDate"`
	Password     string `json:"password"`
}

// bwKinds names Bitwarden's item types.
var bwKinds = map[int]string{1: "login", 2: "note", 3: "card", 4: "identity", 5: "ssh key"}

// bwHidden are the fields of cards, identities and SSH keys kept hidden.
var bwHidden = map[string]bool{"number": true, "code": true, "ssn": true, "passportNumber": true, "licenseNumber": true, "privateKey": true}

func parseBitwarden(b *builder, data []byte, o Options) error {
	var f bwFile
	if err := json.Unmarshal(data, &f); err != nil {
		return formatError(Bitwarden, "not JSON, or cut short: %v", jsonErr(err))
	}
	if f.Encrypted && f.PasswordProtected {
		var sealed bwcrypt.File
		if err := json.Unmarshal(data, &sealed); err != nil || sealed.Data == "" {
			return formatError(Bitwarden, "a password-protected export without its data")
		}
		if o.Password == "" {
			return ErrPasswordNeeded
		}
		plain, err := sealed.Open(o.Password)
		switch {
		case errors.Is(err, bwcrypt.ErrDecrypt):
			return ErrPassword
		case errors.Is(err, bwcrypt.ErrKDF):
			return formatError(Bitwarden, "%v", err)
		case err != nil:
			return formatError(Bitwarden, "the encrypted data does not parse: %v", err)
		}
		f = bwFile{}
		if err := json.Unmarshal(plain, &f); err != nil || f.Encrypted {
			return formatError(Bitwarden, "the decrypted data is not an unencrypted export")
		}
	} else if f.Encrypted {
		return fmt.Errorf("%w: a Bitwarden export encrypted to its account's key opens only in that Bitwarden account; export again choosing \"password protected\" or unencrypted JSON", ErrUnsupported)
	}
	if f.Items == nil {
		return formatError(Bitwarden, "no \"items\": not a Bitwarden JSON export")
	}
	folders := map[string]string{}
	for _, x := range f.Folders {
		folders[x.ID] = x.Name
	}
	collections := map[string]string{}
	for _, x := range f.Collections {
		collections[x.ID] = x.Name
	}
	for _, x := range *f.Items {
		kind, ok := bwKinds[x.Type]
		if !ok {
			kind = fmt.Sprintf("type %d", x.Type)
		}
		if x.DeletedDate != "" {
			b.skip(x.Name, kind, "in Bitwarden's trash")
			continue
		}
		it := item{kind: kind, name: x.Name, notes: x.Notes, folder: folders[x.FolderID], created: parseTime(x.CreationDate)}
		for _, id := range x.CollectionIDs {
			if n := collections[id]; n != "" {
				it.tags = append(it.tags, n)
			}
		}
		if l := x.Login; l != nil {
			for _, u := range l.URIs {
				it.urls = append(it.urls, u.URI)
			}
			it.username, it.password, it.totp = l.Username, l.Password, l.TOTP
			if len(l.Passkeys) > 0 {
				b.lost(x.Name, kind, fmt.Sprintf("%d passkey(s) not imported (the login is)", len(l.Passkeys)))
			}
		}
		for _, p := range x.PasswordHistory {
			it.history = append(it.history, vault.Change{Field: "Password", Value: p.Password, Time: parseTime(p.LastUsedDate)})
		}
		for _, m := range []map[string]json.RawMessage{x.Card, x.Identity, x.SSHKey} {
			objectFields(&it, m, bwHidden)
		}
		for _, fl := range x.Fields {
			switch {
			case fl.Type == 3:
				b.lost(x.Name, kind, fmt.Sprintf("linked custom field %q not imported (it points at another field)", fl.Name))
			case fl.Value != nil:
				it.fields = append(it.fields, vault.Field{Name: fl.Name, Value: *fl.Value, Hidden: fl.Type == 1})
			}
		}
		b.add(it)
	}
	return nil
}

// objectFields adds the string and number members of a JSON object as
// custom fields, in the order of their names.
func objectFields(it *item, m map[string]json.RawMessage, hidden map[string]bool) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var v any
		if json.Unmarshal(m[k], &v) != nil {
			continue
		}
		switch v := v.(type) {
		case string:
			it.field(fieldTitle(k), v, hidden[k])
		case float64:
			it.field(fieldTitle(k), fmt.Sprint(v), hidden[k])
		}
	}
}

// fieldTitle turns "cardholderName" into "Cardholder name".
func fieldTitle(k string) string {
	var b strings.Builder
	for i, r := range k {
		switch {
		case i == 0:
			b.WriteString(strings.ToUpper(string(r)))
		case r >= 'A' && r <= 'Z':
			b.WriteByte(' ')
			b.WriteRune(r + 'a' - 'A')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// jsonErr is a JSON error without the file's content.
func jsonErr(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s is not a %s", te.Field, te.Type)
	}
	if err.Error() == "unexpected end of JSON input" {
		return "it ends too soon"
	}
	return "it does not parse"
}
