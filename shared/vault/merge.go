package vault

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// field is one field of an entry as a merge sees it: its value as text
// (to compare, and to keep in history) and how to copy it.
type field struct {
	name string
	text func(*Entry) string
	copy func(dst, src *Entry)
}

var fields = []field{
	{"Name", func(e *Entry) string { return e.Name }, func(d, s *Entry) { d.Name = s.Name }},
	{"Sites", func(e *Entry) string { return strings.Join(e.Sites, "\n") }, func(d, s *Entry) { d.Sites = slices.Clone(s.Sites) }},
	{"Username", func(e *Entry) string { return e.Username }, func(d, s *Entry) { d.Username = s.Username }},
	{"Password", func(e *Entry) string { return e.Password }, func(d, s *Entry) { d.Password = s.Password }},
	{"Notes", func(e *Entry) string { return e.Notes }, func(d, s *Entry) { d.Notes = s.Notes }},
	{"TOTP", func(e *Entry) string { return e.TOTP }, func(d, s *Entry) { d.TOTP = s.TOTP }},
	{"Fields", func(e *Entry) string {
		if len(e.Fields) == 0 {
			return ""
		}
		b, _ := json.Marshal(e.Fields)
		return string(b)
	}, func(d, s *Entry) { d.Fields = slices.Clone(s.Fields) }},
	{"Folder", func(e *Entry) string { return e.Folder }, func(d, s *Entry) { d.Folder = s.Folder }},
	{"Tags", func(e *Entry) string { return strings.Join(e.Tags, "\n") }, func(d, s *Entry) { d.Tags = slices.Clone(s.Tags) }},
	{"Created", func(e *Entry) string {
		if e.Created.IsZero() {
			return ""
		}
		return e.Created.UTC().Format(time.RFC3339Nano)
	}, func(d, s *Entry) { d.Created = s.Created }},
	{"Deleted", func(e *Entry) string {
		if e.Deleted {
			return "deleted"
		}
		return ""
	}, func(d, s *Entry) { d.Deleted = s.Deleted }},
}

// merge3 merges b into a, field by field, against their common base (nil
// when they share none): a field only one side changed takes that side's
// value; a field both changed to different values takes b's (b is the
// later head; a's value stays in the records and so in history). A
// deletion does not win over a concurrent change of another field: the
// entry stays, with the change, so nothing typed disappears.
func merge3(base *Entry, a, b Entry) Entry {
	out := a.clone()
	baseText := func(f field) string {
		if base == nil {
			return ""
		}
		return f.text(base)
	}
	changed := func(e *Entry) bool {
		for _, f := range fields {
			if f.name != "Deleted" && f.text(e) != baseText(f) {
				return true
			}
		}
		return false
	}
	for _, f := range fields {
		ta, tb, t0 := f.text(&a), f.text(&b), baseText(f)
		switch {
		case ta == tb, base != nil && tb == t0:
			// keep a's
		default:
			f.copy(&out, &b)
		}
	}
	if out.Deleted && base != nil && (a.Deleted && !b.Deleted && changed(&b) || b.Deleted && !a.Deleted && changed(&a)) {
		out.Deleted = false
	}
	return out
}
