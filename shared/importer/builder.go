package importer

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/shared/totp"
	"github.com/meshpass/meshpass/shared/vault"
)

// Names of the custom fields the importer makes.
const (
	// FieldURL holds a URL that is not a web site, or a web site's whole
	// URL when it has a path, query or fragment (the site is its host).
	FieldURL = "URL"
	// FieldOneTimeCode holds a one-time code secret that is neither an
	// otpauth URI nor a base32 secret (a Steam secret, say).
	FieldOneTimeCode = "One-time code"
)

// item is what a parser reads of one item of a file.
type item struct {
	// kind is "login" (if empty), "note", "card", "identity", ...
	kind                                          string
	name, username, password, notes, totp, folder string
	urls, tags                                    []string
	fields                                        []vault.Field
	// history are earlier values (passwords, and for a meshpass export
	// any field), any order.
	history []vault.Change
	created time.Time
}

// field appends a custom field if its value is not empty.
func (it *item) field(name, value string, hidden bool) {
	if strings.TrimSpace(value) == "" {
		return
	}
	it.fields = append(it.fields, vault.Field{Name: name, Value: value, Hidden: hidden})
}

// builder turns items into entries, merging duplicates.
type builder struct {
	format  Format
	p       Preview
	entries []vault.Entry
	index   map[string]int
	err     error
}

func newBuilder(f Format) *builder {
	return &builder{format: f, p: Preview{Format: f, Kinds: map[string]int{}}, index: map[string]int{}}
}

// counted counts an item of kind; false once past MaxItems (b.err set).
func (b *builder) counted(kind string) bool {
	if b.err != nil {
		return false
	}
	if b.p.Items >= MaxItems {
		b.err = fmt.Errorf("%w: more than %d items", ErrTooLarge, MaxItems)
		return false
	}
	b.p.Items++
	b.p.Kinds[kind]++
	return true
}

// skip lists an item left out.
func (b *builder) skip(name, kind, reason string) {
	if b.counted(kind) {
		b.p.Skipped = append(b.p.Skipped, Skipped{Item: name, Kind: kind, Reason: reason})
	}
}

// lost lists a part of an item that cannot be kept (the item itself is).
func (b *builder) lost(name, kind, reason string) {
	b.p.Skipped = append(b.p.Skipped, Skipped{Item: name, Kind: kind, Reason: reason})
}

func (b *builder) add(it item) {
	if it.kind == "" {
		it.kind = "login"
	}
	if !b.counted(it.kind) {
		return
	}
	e := vault.Entry{
		Name: strings.TrimSpace(it.name), Username: it.username, Password: it.password,
		Notes: it.notes, Folder: strings.TrimSpace(it.folder), Created: it.created,
	}
	for _, t := range it.tags {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(e.Tags, t) {
			e.Tags = append(e.Tags, t)
		}
	}
	if it.kind != "login" {
		if !slices.Contains(e.Tags, it.kind) {
			e.Tags = append(e.Tags, it.kind)
		}
		b.p.note("items that are not logins kept as entries without a site, tagged with their kind")
	}
	for _, u := range it.urls {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if site, err := policy.CheckSite(u); err == nil {
			if !slices.Contains(e.Sites, site) {
				e.Sites = append(e.Sites, site)
			}
			// A site is a host: the rest of the URL (a login page's
			// path, a query) is kept whole in a visible field.
			if hasPath(u) && !slices.Contains(it.fields, vault.Field{Name: FieldURL, Value: u}) {
				it.fields = append(it.fields, vault.Field{Name: FieldURL, Value: u})
				b.p.note("URLs with a path, query or fragment kept whole in a custom field \"URL\" (the site is their host)")
			}
			continue
		}
		it.fields = append(it.fields, vault.Field{Name: FieldURL, Value: u})
		b.p.note("URLs that are not web sites kept in a custom field \"URL\"")
	}
	e.TOTP = b.normalizeTOTP(&it)
	for _, f := range it.fields {
		f.Name = strings.TrimSpace(f.Name)
		if f.Name == "" && f.Value == "" {
			continue
		}
		if f.Name == "" {
			f.Name = "Field"
		}
		e.Fields = append(e.Fields, f)
	}
	e.History = b.history(it.name, it.kind, it.history, &e)
	name := displayName(e)
	if e.Name == "" && len(e.Sites) == 0 && e.Username == "" && e.Password == "" && e.Notes == "" && e.TOTP == "" && len(e.Fields) == 0 {
		b.p.Skipped = append(b.p.Skipped, Skipped{Item: "(no name)", Kind: it.kind, Reason: "empty: no name, URL, username, password, notes or fields"})
		return
	}
	if n := entrySize(e); n > MaxEntryBytes {
		b.p.Skipped = append(b.p.Skipped, Skipped{Item: name, Kind: it.kind, Reason: fmt.Sprintf("too large: %d KiB, more than %d KiB", n>>10, MaxEntryBytes>>10)})
		return
	}
	b.merge(e)
}

// hasPath reports whether web URL u says more than its scheme, host and
// port: a path other than "/", a query or a fragment.
func hasPath(u string) bool {
	if !strings.Contains(u, "://") {
		u = "https://" + u
	}
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	return (p.Path != "" && p.Path != "/") || p.RawQuery != "" || p.Fragment != ""
}

// normalizeTOTP returns the otpauth URI of an item's one-time code
// secret: an otpauth URI the vault accepts as it is, a bare base32 secret
// made a URI; anything else goes to a hidden custom field.
func (b *builder) normalizeTOTP(it *item) string {
	raw := strings.TrimSpace(it.totp)
	if raw == "" {
		return ""
	}
	if strings.HasPrefix(strings.ToLower(raw), "otpauth://") {
		if uri, err := policy.CheckTOTP(raw); err == nil {
			return uri
		}
	} else if uri, err := totp.URI(raw, strings.TrimSpace(it.name), it.username); err == nil && len(uri) <= policy.MaxTOTP {
		b.p.note("one-time code secrets given bare made otpauth:// URIs")
		return uri
	}
	it.fields = append(it.fields, vault.Field{Name: FieldOneTimeCode, Value: raw, Hidden: true})
	b.p.note("one-time code secrets meshpass cannot read kept in the hidden custom field \"One-time code\"")
	return ""
}

// history returns an item's earlier values as the entry's History:
// newest first, each value once per field, none equal to the entry's
// current value of its field, at most MaxHistory (the oldest beyond are
// listed as left out).
func (b *builder) history(name, kind string, h []vault.Change, e *vault.Entry) []vault.Change {
	if len(h) == 0 {
		return nil
	}
	h = slices.Clone(h)
	slices.SortStableFunc(h, func(a, b vault.Change) int { return b.Time.Compare(a.Time) })
	var out []vault.Change
	seen := map[[2]string]bool{}
	var check vault.Entry
	for _, c := range h {
		if c.Value == "" || seen[[2]string{c.Field, c.Value}] || c.Value == e.Text(c.Field) {
			continue
		}
		if err := check.SetText(c.Field, c.Value); err != nil {
			b.lost(name, kind, fmt.Sprintf("an earlier value not imported: %v", err))
			continue
		}
		seen[[2]string{c.Field, c.Value}] = true
		c.Writer = ""
		c.Time = c.Time.UTC()
		out = append(out, c)
	}
	if len(out) > MaxHistory {
		b.lost(name, kind, fmt.Sprintf("%d earlier values beyond the newest %d not imported", len(out)-MaxHistory, MaxHistory))
		out = out[:MaxHistory]
	}
	if len(out) > 0 {
		b.p.note("earlier passwords (and other earlier values) kept in the entry's history, with their dates")
	}
	return out
}

func entrySize(e vault.Entry) int {
	n := len(e.Name) + len(e.Username) + len(e.Password) + len(e.Notes) + len(e.TOTP) + len(e.Folder)
	for _, s := range e.Sites {
		n += len(s)
	}
	for _, s := range e.Tags {
		n += len(s)
	}
	for _, f := range e.Fields {
		n += len(f.Name) + len(f.Value)
	}
	for _, c := range e.History {
		n += len(c.Value)
	}
	return n
}

// dupKeys are the keys under which e is a duplicate: one per site (with
// username and password), or for an entry without a site its name,
// username, password, notes and one-time code.
func dupKeys(e vault.Entry) []string {
	if len(e.Sites) == 0 {
		return []string{strings.Join([]string{"n", e.Name, e.Username, e.Password, e.Notes, e.TOTP}, "\x00")}
	}
	var out []string
	for _, s := range e.Sites {
		out = append(out, strings.Join([]string{"s", s, e.Username, e.Password}, "\x00"))
	}
	return out
}

// merge adds e, or merges it into the entry it duplicates.
func (b *builder) merge(e vault.Entry) {
	keys := dupKeys(e)
	at := -1
	for _, k := range keys {
		if i, ok := b.index[k]; ok {
			at = i
			break
		}
	}
	if at < 0 {
		b.entries = append(b.entries, e)
		at = len(b.entries) - 1
	} else {
		b.p.Merged++
		d := &b.entries[at]
		for _, s := range e.Sites {
			if !slices.Contains(d.Sites, s) {
				d.Sites = append(d.Sites, s)
			}
		}
		for _, t := range e.Tags {
			if !slices.Contains(d.Tags, t) {
				d.Tags = append(d.Tags, t)
			}
		}
		for _, f := range e.Fields {
			if !slices.Contains(d.Fields, f) {
				d.Fields = append(d.Fields, f)
			}
		}
		if e.Notes != "" && !strings.Contains(d.Notes, e.Notes) {
			if d.Notes != "" {
				d.Notes += "\n\n"
			}
			d.Notes += e.Notes
		}
		if d.Name == "" {
			d.Name = e.Name
		} else if e.Name != "" && e.Name != d.Name && !slices.Contains(d.Fields, vault.Field{Name: "Also named", Value: e.Name}) {
			d.Fields = append(d.Fields, vault.Field{Name: "Also named", Value: e.Name})
		}
		if d.TOTP == "" {
			d.TOTP = e.TOTP
		} else if e.TOTP != "" && e.TOTP != d.TOTP {
			d.Fields = append(d.Fields, vault.Field{Name: FieldOneTimeCode, Value: e.TOTP, Hidden: true})
		}
		for _, c := range e.History {
			if !slices.ContainsFunc(d.History, func(x vault.Change) bool { return x.Field == c.Field && x.Value == c.Value }) {
				d.History = append(d.History, c)
			}
		}
		slices.SortStableFunc(d.History, func(a, b vault.Change) int { return b.Time.Compare(a.Time) })
		if len(d.History) > MaxHistory {
			b.lost(displayName(*d), "login", fmt.Sprintf("%d earlier values beyond the newest %d not imported", len(d.History)-MaxHistory, MaxHistory))
			d.History = d.History[:MaxHistory]
		}
		if d.Created.IsZero() || (!e.Created.IsZero() && e.Created.Before(d.Created)) {
			d.Created = e.Created
		}
	}
	for _, k := range dupKeys(b.entries[at]) {
		b.index[k] = at
	}
}

func (b *builder) result() *Result {
	b.p.Entries = len(b.entries)
	b.p.finish()
	return &Result{Entries: b.entries, Preview: b.p}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
