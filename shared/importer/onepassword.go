package importer

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/meshpass/meshpass/shared/vault"
)

// The 1PUX export: a zip holding export.data (JSON) and the attachments.
type opuxData struct {
	Accounts *[]struct {
		Vaults []struct {
			Attrs struct {
				Name string `json:"name"`
			} `json:"attrs"`
			Items []opuxItem `json:"items"`
		} `json:"vaults"`
	} `json:"accounts"`
}

type opuxItem struct {
	CreatedAt    int64  `json:"createdAt"`
	State        string `json:"state"`
	CategoryUUID string `json:"categoryUuid"`
	Details      struct {
		LoginFields []struct {
			Value       string `json:"value"`
			Name        string `json:"name"`
			FieldType   string `json:"fieldType"`
			Designation string `json:"designation"`
		} `json:"loginFields"`
		NotesPlain string `json:"notesPlain"`
		Password   string `json:"password"`
		Sections   []struct {
			Title  string `json:"title"`
			Fields []struct {
				Title string                     `json:"title"`
				ID    string                     `json:"id"`
				Value map[string]json.RawMessage `json:"value"`
			} `json:"fields"`
		} `json:"sections"`
		PasswordHistory []struct {
			Value string `json:"value"`
			Time  int64  `json:"time"`
		} `json:"passwordHistory"`
		DocumentAttributes *struct {
			FileName string `json:"fileName"`
		} `json:"documentAttributes"`
	} `json:"details"`
	Overview struct {
		Title string `json:"title"`
		URL   string `json:"url"`
		URLs  []struct {
			URL string `json:"url"`
		} `json:"urls"`
		Tags []string `json:"tags"`
	} `json:"overview"`
}

// opuxKinds names 1Password's categories.
var opuxKinds = map[string]string{
	"001": "login", "002": "card", "003": "note", "004": "identity", "005": "password", "006": "document",
	"100": "software license", "101": "bank account", "102": "database", "103": "driver license",
	"104": "outdoor license", "105": "membership", "106": "passport", "107": "rewards", "108": "social security number",
	"109": "wireless router", "110": "server", "111": "email account", "112": "api credential",
	"113": "medical record", "114": "ssh key", "115": "crypto wallet",
}

// readZipFile returns the file name of a zip archive, at most MaxInput
// bytes.
func readZipFile(f Format, data []byte, name string) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, formatError(f, "not a zip archive, or cut short: %v", err)
	}
	for _, zf := range zr.File {
		if zf.Name != name {
			continue
		}
		if zf.UncompressedSize64 > MaxInput {
			return nil, fmt.Errorf("%w: %s holds more than %d MiB", ErrTooLarge, name, MaxInput>>20)
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, formatError(f, "%s does not open: %v", name, err)
		}
		defer rc.Close()
		out, err := io.ReadAll(io.LimitReader(rc, MaxInput+1))
		if err != nil {
			return nil, formatError(f, "%s is damaged: %v", name, err)
		}
		if len(out) > MaxInput {
			return nil, fmt.Errorf("%w: %s holds more than %d MiB", ErrTooLarge, name, MaxInput>>20)
		}
		return out, nil
	}
	return nil, formatError(f, "the archive holds no %s", name)
}

func parse1PUX(b *builder, data []byte) error {
	raw, err := readZipFile(OnePassword, data, "export.data")
	if err != nil {
		return err
	}
	var d opuxData
	if err := json.Unmarshal(raw, &d); err != nil {
		return formatError(OnePassword, "export.data is not JSON, or cut short: %s", jsonErr(err))
	}
	if d.Accounts == nil {
		return formatError(OnePassword, "export.data has no \"accounts\"")
	}
	vaults := 0
	for _, a := range *d.Accounts {
		vaults += len(a.Vaults)
	}
	for _, a := range *d.Accounts {
		for _, v := range a.Vaults {
			for _, x := range v.Items {
				it := opuxToItem(b, x)
				if vaults > 1 {
					it.folder = v.Attrs.Name
				}
				if x.State == "archived" {
					it.tags = append(it.tags, "archived")
				}
				b.add(it)
			}
		}
	}
	return nil
}

func opuxToItem(b *builder, x opuxItem) item {
	kind, ok := opuxKinds[x.CategoryUUID]
	if !ok {
		kind = "category " + x.CategoryUUID
	}
	if kind == "password" {
		kind = "login"
	}
	it := item{kind: kind, name: x.Overview.Title, notes: x.Details.NotesPlain, tags: x.Overview.Tags, created: unixTime(x.CreatedAt)}
	if x.Overview.URL != "" {
		it.urls = append(it.urls, x.Overview.URL)
	}
	for _, u := range x.Overview.URLs {
		if u.URL != x.Overview.URL {
			it.urls = append(it.urls, u.URL)
		}
	}
	it.password = x.Details.Password
	for _, f := range x.Details.LoginFields {
		switch {
		case f.Designation == "username" && it.username == "":
			it.username = f.Value
		case f.Designation == "password" && it.password == "":
			it.password = f.Value
		default:
			name := f.Name
			if name == "" {
				name = f.Designation
			}
			it.field(name, f.Value, f.FieldType == "P")
		}
	}
	for _, s := range x.Details.Sections {
		for _, f := range s.Fields {
			name := f.Title
			if name == "" {
				name = f.ID
			}
			if s.Title != "" {
				name = s.Title + ": " + name
			}
			for typ, v := range f.Value {
				opuxValue(b, &it, x.Overview.Title, name, typ, v)
			}
		}
	}
	for _, p := range x.Details.PasswordHistory {
		it.history = append(it.history, vault.Change{Field: "Password", Value: p.Value, Time: unixTime(p.Time)})
	}
	if da := x.Details.DocumentAttributes; da != nil {
		b.lost(x.Overview.Title, kind, fmt.Sprintf("attached file %q not imported", da.FileName))
	}
	return it
}

// opuxValue adds a section field's value of type typ.
func opuxValue(b *builder, it *item, title, name, typ string, v json.RawMessage) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		switch typ {
		case "totp":
			if it.totp == "" {
				it.totp = s
				return
			}
			it.field(name, s, true)
		case "concealed", "creditCardNumber":
			it.field(name, s, true)
		case "url":
			it.urls = append(it.urls, s)
		default:
			it.field(name, s, false)
		}
		return
	}
	var n json.Number
	if json.Unmarshal(v, &n) == nil {
		switch typ {
		case "date":
			if i, err := n.Int64(); err == nil {
				it.field(name, unixTime(i).Format("2006-01-02"), false)
				return
			}
		case "monthYear":
			if s := n.String(); len(s) == 6 {
				it.field(name, s[4:]+"/"+s[:4], false)
				return
			}
		}
		it.field(name, n.String(), false)
		return
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(v, &obj) == nil {
		if typ == "file" {
			b.lost(title, it.kind, fmt.Sprintf("attached file in field %q not imported", name))
			return
		}
		var parts []string
		for _, k := range sortedKeys(obj) {
			var s string
			if json.Unmarshal(obj[k], &s) == nil && s != "" {
				if typ == "email" && k == "email_address" {
					parts = append([]string{s}, parts...)
					continue
				}
				parts = append(parts, k+": "+s)
			}
		}
		hidden := typ == "sshKey"
		it.field(name, strings.Join(parts, "\n"), hidden)
	}
}
