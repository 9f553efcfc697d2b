package vault

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SetText sets the field of e named name (as in FieldNames) from its text
// as History gives it: lists joined by newlines, custom fields as their
// JSON. Created and Deleted, which history never holds, and unknown names
// are an error, as are custom fields that are not a JSON list of fields.
func (e *Entry) SetText(name, text string) error {
	switch name {
	case "Name":
		e.Name = text
	case "Sites":
		e.Sites = splitLines(text)
	case "Username":
		e.Username = text
	case "Password":
		e.Password = text
	case "Notes":
		e.Notes = text
	case "TOTP":
		e.TOTP = text
	case "Fields":
		var fs []Field
		if text != "" {
			if err := json.Unmarshal([]byte(text), &fs); err != nil {
				return fmt.Errorf("vault: an earlier value of the custom fields is not a JSON list of fields: %v", err)
			}
		}
		e.Fields = fs
	case "Folder":
		e.Folder = text
	case "Tags":
		e.Tags = splitLines(text)
	default:
		return fmt.Errorf("vault: no field %q holds earlier values", name)
	}
	return nil
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// HistoryRecords returns the records that write a new entry e together
// with its earlier values e.History (an import's password history, or a
// meshpass export's history), so that the catalog gives e back with that
// History: for each distinct time of the changes, oldest first, one record
// holding only those earlier values (the entry's other fields empty but
// Created) dated with that time, then e itself dated now; each record
// after the first is written on the one before it (Chained), the first on
// parents. A change without a time is dated now. Changes of fields that
// history does not hold, or whose value does not parse, are an error, and
// so is a change of one field to two values at one time that cannot be told
// apart (it is kept in one more record).
func HistoryRecords(e Entry, parents []string, now time.Time) ([]BatchRecord, error) {
	hist := slices.Clone(e.History)
	e.History = nil
	for i := range hist {
		if hist[i].Time.IsZero() {
			hist[i].Time = now
		}
		hist[i].Time = hist[i].Time.UTC().Round(time.Millisecond)
	}
	// Oldest first; of equal times, History's order is newest first, so
	// keep the later one in the list first written last.
	idx := make([]int, len(hist))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Or(hist[a].Time.Compare(hist[b].Time), cmp.Compare(b, a))
	})
	var out []BatchRecord
	for _, i := range idx {
		c := hist[i]
		if c.Value == "" {
			continue
		}
		last := len(out) - 1
		if last < 0 || !out[last].Time.Equal(c.Time) || out[last].Entry.Text(c.Field) != "" {
			out = append(out, BatchRecord{Entry: Entry{ID: e.ID, Created: e.Created}, Time: c.Time, Chained: len(out) > 0})
			last++
		}
		if err := out[last].Entry.SetText(c.Field, c.Value); err != nil {
			return nil, err
		}
	}
	if len(out) > 0 {
		out[0].Parents = slices.Clone(parents)
		parents = nil
	}
	out = append(out, BatchRecord{Entry: e, Parents: parents, Time: now, Chained: len(out) > 0})
	return out, nil
}

// Text returns e's field name (as in FieldNames) as History holds it:
// lists joined by newlines, custom fields as their JSON; "" for an empty
// field or an unknown name.
func (e *Entry) Text(name string) string {
	for _, f := range fields {
		if f.name == name {
			return f.text(e)
		}
	}
	return ""
}
