package client

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/vault"
)

// TestAddBatchHistory: entries added with History (an import's earlier
// passwords) have that history on this device and on another, dated as
// given, even when one entry's history does not fit in one batch; an
// unwritable change refuses the whole batch.
func TestAddBatchHistory(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	t1 := time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)
	small := entry("bank.example", "me", "current")
	small.History = []vault.Change{
		{Field: "Password", Value: "older", Time: t1},
		{Field: "Password", Value: "oldest", Time: t1.Add(-24 * time.Hour)},
	}
	// 60 earlier passwords of 4 KB: more than one batch (~200 KB).
	big := entry("big.example", "me", "current big")
	for i := range 60 {
		big.History = append(big.History, vault.Change{Field: "Password", Value: fmt.Sprintf("%02d", i) + strings.Repeat("x", 4096), Time: t1.Add(-time.Duration(i) * time.Hour)})
	}
	bad := entry("bad.example", "me", "x")
	bad.History = []vault.Change{{Field: "Fields", Value: "{not json", Time: t1}}
	if _, err := a.AddBatch(ctx, []vault.Entry{entry("ok.example", "me", "y"), bad}); err == nil || !strings.Contains(err.Error(), "entry 2") {
		t.Fatalf("unwritable history: %v", err)
	}
	wantN(t, a, 1)
	added, err := a.AddBatch(ctx, []vault.Entry{small, big})
	must(t, err)
	if len(added) != 2 || added[0].History != nil {
		t.Fatalf("added %+v", added)
	}
	b := connect(t, p, a)
	for _, c := range []*Client{a, b} {
		got, err := c.Entry(added[0].ID)
		must(t, err)
		h := got.PasswordHistory(10)
		if got.Password != "current" || len(h) != 2 || h[0].Value != "older" || !h[0].Time.Equal(t1) || h[1].Value != "oldest" || !h[1].Time.Equal(t1.Add(-24*time.Hour)) {
			t.Fatalf("entry %+v, history %+v", got, h)
		}
		got, err = c.Entry(added[1].ID)
		must(t, err)
		h = got.PasswordHistory(100)
		if got.Password != "current big" || len(h) != 60 || !strings.HasPrefix(h[0].Value, "00") || !strings.HasPrefix(h[59].Value, "59") {
			t.Fatalf("big entry: password %q, %d earlier", got.Password, len(h))
		}
	}
	// Edits go on from the entry as imported.
	must(t, a.Edit(ctx, added[0].ID, func(e *vault.Entry) { e.Password = "newest" }))
	got, err := a.Entry(added[0].ID)
	must(t, err)
	if h := got.PasswordHistory(10); got.Password != "newest" || len(h) != 3 || h[0].Value != "current" || got.Username != "me" {
		t.Fatalf("after an edit: %+v", got)
	}
}
