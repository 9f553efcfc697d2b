package importer

import (
	"strings"
)

// lastPassSecret are the fields of LastPass's typed secure notes that are
// kept hidden.
var lastPassSecret = map[string]bool{
	"number": true, "security code": true, "pin": true, "password": true, "account number": true,
	"routing number": true, "private key": true, "passphrase": true, "license key": true,
}

// lastPassKinds maps a typed note's NoteType to a kind.
var lastPassKinds = map[string]string{
	"credit card": "card", "bank account": "bank account", "address": "identity", "identity": "identity",
	"driver's license": "identity", "passport": "identity", "social security": "identity",
	"ssh key": "ssh key", "software license": "software license", "wi-fi password": "wi-fi",
	"database": "database", "server": "server", "email account": "email account",
	"insurance": "insurance", "health insurance": "insurance", "membership": "membership",
	"instant messenger": "instant messenger",
}

func parseLastPass(b *builder, data []byte) error {
	t, err := readCSV(LastPass, data, "url", "username", "password", "extra", "name", "grouping")
	if err != nil {
		return err
	}
	t.ignore("fav")
	for _, row := range t.rows {
		url := strings.TrimSpace(t.get(row, "url"))
		it := item{name: t.get(row, "name"), username: t.get(row, "username"), password: t.get(row, "password"),
			totp: t.get(row, "totp"), folder: strings.ReplaceAll(t.get(row, "grouping"), "\\", "/")}
		extra := t.get(row, "extra")
		if url == "http://sn" {
			// A secure note: its text, or a typed note's "Key:Value" lines.
			it.kind = "note"
			if rest, ok := strings.CutPrefix(extra, "NoteType:"); ok {
				typ, _, _ := strings.Cut(rest, "\n")
				typ = strings.TrimSpace(typ)
				if k, ok := lastPassKinds[strings.ToLower(typ)]; ok {
					it.kind = k
				} else {
					it.kind = strings.ToLower(typ)
				}
				lastPassTyped(&it, extra)
			} else {
				it.notes = extra
			}
		} else {
			it.urls = []string{url}
			it.notes = extra
		}
		it.fields = append(it.fields, t.extras(row)...)
		b.add(it)
	}
	return nil
}

// lastPassTyped reads a typed note: "NoteType:Credit Card\nName on
// Card:...\nNumber:...\nNotes:free text that may run over lines".
func lastPassTyped(it *item, extra string) {
	lines := strings.Split(extra, "\n")
	for i := 1; i < len(lines); i++ {
		key, value, ok := strings.Cut(lines[i], ":")
		if !ok {
			it.notes += lines[i] + "\n"
			continue
		}
		if key == "Notes" {
			it.notes += strings.Join(append([]string{value}, lines[i+1:]...), "\n")
			return
		}
		if strings.EqualFold(key, "Language") || strings.Trim(value, " ,") == "" {
			continue
		}
		it.field(key, value, lastPassSecret[strings.ToLower(key)])
	}
}
