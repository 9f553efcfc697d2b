package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/meshpass/meshpass/shared/vault"
)

// table is a CSV file read with its header.
type table struct {
	f      Format
	header []string
	cols   map[string]int
	rows   [][]string
	// used are the columns a parser reads or ignores on purpose; the
	// others become custom fields.
	used map[string]bool
}

// maxColumns bounds the columns of a CSV file.
const maxColumns = 256

// readCSV reads a CSV file whose header (compared without case and
// surrounding spaces) holds the required columns. Every row must have as
// many fields as the header.
func readCSV(f Format, data []byte, required ...string) (*table, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, formatError(f, "not UTF-8 text")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, formatError(f, "the file is empty")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, formatError(f, "the header does not parse as CSV: %v", csvErr(err))
	}
	if len(header) > maxColumns {
		return nil, formatError(f, "more than %d columns", maxColumns)
	}
	t := &table{f: f, header: header, cols: map[string]int{}, used: map[string]bool{}}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := t.cols[h]; !dup {
			t.cols[h] = i
		}
	}
	var missing []string
	for _, c := range required {
		if _, ok := t.cols[c]; !ok {
			missing = append(missing, c)
		}
		t.used[c] = true
	}
	if len(missing) > 0 {
		return nil, formatError(f, "the header lacks the column(s) %s; it is %q", strings.Join(missing, ", "), truncate(strings.Join(header, ","), 120))
	}
	for {
		line, _ := r.FieldPos(0)
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, formatError(f, "the file does not parse as CSV (cut short?): %v", csvErr(err))
		}
		if len(row) != len(header) {
			return nil, formatError(f, "the row at line %d has %d fields, the header %d", line+1, len(row), len(header))
		}
		if len(t.rows) >= MaxItems {
			return nil, fmt.Errorf("%w: more than %d rows", ErrTooLarge, MaxItems)
		}
		t.rows = append(t.rows, row)
	}
	return t, nil
}

// csvErr is a CSV error without the file's content.
func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
	}
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// get returns the value of column name in row ("" if the file has no
// such column), and marks the column read.
func (t *table) get(row []string, name string) string {
	t.used[name] = true
	if i, ok := t.cols[name]; ok {
		return row[i]
	}
	return ""
}

// ignore marks columns read on purpose without keeping them (favorites,
// icons, internal identifiers).
func (t *table) ignore(names ...string) {
	for _, n := range names {
		t.used[n] = true
	}
}

// extras returns the non-empty values of the columns no parser read, as
// custom fields named by their header.
func (t *table) extras(row []string) []vault.Field {
	var out []vault.Field
	for i, h := range t.header {
		if t.used[strings.ToLower(strings.TrimSpace(h))] || strings.TrimSpace(row[i]) == "" {
			continue
		}
		out = append(out, vault.Field{Name: strings.TrimSpace(h), Value: row[i]})
	}
	return out
}

// splitList splits a list of URLs or tags on the separators given,
// dropping empty parts.
func splitList(s string, seps string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) })
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return slices.Clip(out)
}

// nameOr returns name, else the host of the first URL.
func nameOr(name string, urls []string) string {
	if strings.TrimSpace(name) != "" || len(urls) == 0 {
		return name
	}
	u := urls[0]
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexAny(u, "/?#"); i >= 0 {
		u = u[:i]
	}
	return u
}

func parseChrome(b *builder, data []byte) error {
	t, err := readCSV(Chrome, data, "name", "url", "username", "password")
	if err != nil {
		return err
	}
	for _, row := range t.rows {
		it := item{name: t.get(row, "name"), urls: []string{t.get(row, "url")}, username: t.get(row, "username"),
			password: t.get(row, "password"), notes: t.get(row, "note")}
		it.fields = t.extras(row)
		b.add(it)
	}
	return nil
}

func parseFirefox(b *builder, data []byte) error {
	t, err := readCSV(Firefox, data, "url", "username", "password", "httprealm", "formactionorigin")
	if err != nil {
		return err
	}
	t.ignore("guid", "timelastused", "timepasswordchanged")
	for _, row := range t.rows {
		urls := []string{t.get(row, "url")}
		if fa := t.get(row, "formactionorigin"); fa != "" && fa != urls[0] {
			urls = append(urls, fa)
		}
		it := item{name: nameOr("", urls), urls: urls, username: t.get(row, "username"), password: t.get(row, "password"),
			created: parseTime(t.get(row, "timecreated"))}
		it.field("HTTP realm", t.get(row, "httprealm"), false)
		it.fields = append(it.fields, t.extras(row)...)
		b.add(it)
	}
	return nil
}

func parseSafari(b *builder, data []byte) error {
	t, err := readCSV(Safari, data, "title", "url", "username", "password")
	if err != nil {
		return err
	}
	for _, row := range t.rows {
		it := item{name: t.get(row, "title"), urls: []string{t.get(row, "url")}, username: t.get(row, "username"),
			password: t.get(row, "password"), notes: t.get(row, "notes"), totp: t.get(row, "otpauth")}
		it.fields = t.extras(row)
		b.add(it)
	}
	return nil
}

// parseFieldLines reads custom fields written one "name: value" a line
// (Bitwarden's CSV, meshpass's CSV).
func parseFieldLines(s string) []vault.Field {
	var out []vault.Field
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ": ")
		if !ok {
			name, value, _ = strings.Cut(line, ":")
		}
		out = append(out, vault.Field{Name: name, Value: value})
	}
	return out
}

func parseBitwardenCSV(b *builder, data []byte) error {
	t, err := readCSV(BitwardenCSV, data, "type", "name", "login_uri", "login_username", "login_password")
	if err != nil {
		return err
	}
	t.ignore("favorite", "reprompt", "collections")
	for _, row := range t.rows {
		kind := strings.ToLower(strings.TrimSpace(t.get(row, "type")))
		if kind == "" {
			kind = "login"
		}
		it := item{kind: kind, name: t.get(row, "name"), folder: t.get(row, "folder"), notes: t.get(row, "notes"),
			urls: splitList(t.get(row, "login_uri"), ",\n"), username: t.get(row, "login_username"),
			password: t.get(row, "login_password"), totp: t.get(row, "login_totp")}
		it.fields = append(parseFieldLines(t.get(row, "fields")), t.extras(row)...)
		b.add(it)
	}
	return nil
}

func parse1PasswordCSV(b *builder, data []byte) error {
	t, err := readCSV(OnePassCSV, data, "title", "url", "username", "password")
	if err != nil {
		return err
	}
	t.ignore("favorite")
	for _, row := range t.rows {
		it := item{name: t.get(row, "title"), urls: splitList(t.get(row, "url"), ",\n"), username: t.get(row, "username"),
			password: t.get(row, "password"), totp: t.get(row, "otpauth"), notes: t.get(row, "notes"),
			tags: splitList(t.get(row, "tags"), ",;")}
		if strings.EqualFold(strings.TrimSpace(t.get(row, "archived")), "true") {
			it.tags = append(it.tags, "archived")
		}
		it.fields = t.extras(row)
		b.add(it)
	}
	return nil
}

func parseProtonPassCSV(b *builder, data []byte) error {
	t, err := readCSV(ProtonPassCSV, data, "type", "name", "url", "username", "password")
	if err != nil {
		return err
	}
	t.ignore("modifytime")
	for _, row := range t.rows {
		it := item{kind: protonKind(t.get(row, "type")), name: t.get(row, "name"), urls: splitList(t.get(row, "url"), ",\n"),
			username: t.get(row, "username"), password: t.get(row, "password"), notes: t.get(row, "note"),
			totp: t.get(row, "totp"), folder: t.get(row, "vault"), created: parseTime(t.get(row, "createtime"))}
		email := t.get(row, "email")
		if it.username == "" {
			it.username = email
		} else if email != it.username {
			it.field("Email", email, false)
		}
		it.fields = append(it.fields, t.extras(row)...)
		b.add(it)
	}
	return nil
}

func parseDashlane(b *builder, data []byte) error {
	t, err := readCSV(Dashlane, data, "username", "title", "password", "url")
	if err != nil {
		return err
	}
	for _, row := range t.rows {
		it := item{name: t.get(row, "title"), urls: []string{t.get(row, "url")}, username: t.get(row, "username"),
			password: t.get(row, "password"), notes: t.get(row, "note"), folder: t.get(row, "category")}
		it.totp = t.get(row, "otpsecret")
		if u := t.get(row, "otpurl"); u != "" {
			it.totp = u
		}
		it.field("Username 2", t.get(row, "username2"), false)
		it.field("Username 3", t.get(row, "username3"), false)
		it.fields = append(it.fields, t.extras(row)...)
		b.add(it)
	}
	return nil
}

func parseKeePassXCCSV(b *builder, data []byte) error {
	t, err := readCSV(KeePassXCCSV, data, "group", "title", "username", "password", "url", "notes")
	if err != nil {
		return err
	}
	t.ignore("icon", "last modified")
	for _, row := range t.rows {
		if g := groupPath(t.get(row, "group")); g == "Recycle Bin" || strings.HasPrefix(g, "Recycle Bin/") {
			b.skip(t.get(row, "title"), "login", "in the recycle bin")
			continue
		}
		it := item{name: t.get(row, "title"), urls: []string{t.get(row, "url")}, username: t.get(row, "username"),
			password: t.get(row, "password"), notes: t.get(row, "notes"), totp: t.get(row, "totp"),
			folder: groupPath(t.get(row, "group")), created: parseTime(t.get(row, "created"))}
		it.fields = t.extras(row)
		b.add(it)
	}
	return nil
}

// groupPath is a KeePass group path without its root group ("Root/Bank"
// is "Bank").
func groupPath(g string) string {
	_, rest, ok := strings.Cut(g, "/")
	if !ok {
		return ""
	}
	return rest
}

func parseGenericCSV(b *builder, data []byte) error {
	t, err := readCSV(GenericCSV, data, "name", "url", "username", "password", "note", "totp", "folder", "tags", "other_urls", "fields")
	if err != nil {
		return err
	}
	for _, row := range t.rows {
		it := item{name: t.get(row, "name"), urls: append([]string{t.get(row, "url")}, splitList(t.get(row, "other_urls"), "\n")...),
			username: t.get(row, "username"), password: t.get(row, "password"), notes: t.get(row, "note"),
			totp: t.get(row, "totp"), folder: t.get(row, "folder"), tags: splitList(t.get(row, "tags"), ",")}
		it.fields = append(parseFieldLines(t.get(row, "fields")), t.extras(row)...)
		b.add(it)
	}
	return nil
}
