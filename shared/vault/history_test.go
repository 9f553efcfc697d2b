package vault

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// TestHistoryRecords: a new entry written with its earlier values (an
// import's password history) comes back from the catalog with exactly
// that History, dates included, and one head: the entry itself.
func TestHistoryRecords(t *testing.T) {
	r := newRing(t, "A")
	now := t0.Add(time.Hour)
	e := Entry{ID: "e1", Name: "Bank", Sites: []string{"bank.example"}, Username: "me", Password: "new", Created: t0.Add(-72 * time.Hour),
		History: []Change{
			{Field: "Password", Value: "old-2", Time: t0.Add(-time.Hour)},
			{Field: "Sites", Value: "old.bank.example\nbank.example", Time: t0.Add(-time.Hour)},
			{Field: "Password", Value: "old-1", Time: t0.Add(-48 * time.Hour)},
			{Field: "Fields", Value: `[{"Name":"PIN","Value":"1234","Hidden":true}]`, Time: t0.Add(-50 * time.Hour)},
		}}
	recs, err := HistoryRecords(e, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	// Three times: three history records (the two changes of one time in
	// one), then the entry.
	if len(recs) != 4 || recs[0].Chained || !recs[1].Chained || !recs[3].Chained || recs[3].Entry.History != nil {
		t.Fatalf("records %+v", recs)
	}
	s, _, err := SealBatch(r.vault, "A", 1, recs, r.epochs[1], r.devices["A"])
	if err != nil {
		t.Fatal(err)
	}
	c := NewCatalog(r)
	if _, err := c.AddBatch(s); err != nil {
		t.Fatal(err)
	}
	if heads := c.Heads("e1"); len(heads) != 1 {
		t.Fatalf("%d heads", len(heads))
	}
	got, _ := c.Entry("e1")
	want := e.History
	for i := range want {
		want[i].Writer = "A"
	}
	// Newest first; of one time, in field order.
	want[0], want[1] = want[1], want[0]
	if !reflect.DeepEqual(got.History, want) {
		t.Fatalf("history\n got %+v\nwant %+v", got.History, want)
	}
	if got.Password != "new" || got.Name != "Bank" || got.Sites[0] != "bank.example" || len(got.Fields) != 0 || !got.Updated.Equal(now) {
		t.Fatalf("entry %+v", got)
	}

	// A change that cannot be written is refused.
	for _, bad := range []Change{{Field: "Created", Value: "x"}, {Field: "Fields", Value: "not json"}, {Field: "Nope", Value: "x"}} {
		e.History = []Change{bad}
		if _, err := HistoryRecords(e, nil, now); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	// A chained record first in a batch is refused.
	recs[0].Chained = true
	if _, _, err := SealBatch(r.vault, "A", 1, recs, r.epochs[1], r.devices["A"]); !errors.Is(err, ErrMalformed) {
		t.Fatalf("chained first record: %v", err)
	}
}
