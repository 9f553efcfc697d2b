package exporter

import (
	"bytes"
	"encoding/csv"
	"strings"

	"github.com/meshpass/meshpass/shared/vault"
)

// CSVHeader are the columns of the CSV export: Chrome's first (name, url,
// username, password, note), so that managers that read Chrome's CSV read
// it, then totp, folder, tags (comma-separated), the other sites (one a
// line) and the custom fields (one "name: value" a line).
var CSVHeader = []string{"name", "url", "username", "password", "note", "totp", "folder", "tags", "other_urls", "fields"}

// CSVData returns the CSV export of entries. Sites are written as
// https:// URLs; the password history is not in it (meshpass JSON has it).
func CSVData(entries []vault.Entry) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(CSVHeader); err != nil {
		return nil, err
	}
	for _, e := range entries {
		var urls []string
		for _, s := range e.Sites {
			urls = append(urls, siteURL(s))
		}
		url, others := "", ""
		if len(urls) > 0 {
			url, others = urls[0], strings.Join(urls[1:], "\n")
		}
		var fields []string
		for _, f := range e.Fields {
			fields = append(fields, f.Name+": "+f.Value)
		}
		if err := w.Write([]string{e.Name, url, e.Username, e.Password, e.Notes, e.TOTP, e.Folder,
			strings.Join(e.Tags, ","), others, strings.Join(fields, "\n")}); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return b.Bytes(), w.Error()
}
