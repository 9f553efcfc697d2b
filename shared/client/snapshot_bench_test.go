package client

import (
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/vault"
)

// oneByOne gives a's vault a history written one record per item (as
// devices editing one entry at a time write it): n adds, n*2/5 edits, and
// n/5 entries added then deleted, in random order of edits; the items go
// to the portal 64 a request (as pending writes do), then a syncs. It
// returns the number of records.
func oneByOne(b *testing.B, a *Client, n int) int {
	b.Helper()
	ctx := context.Background()
	v, err := a.view()
	if err != nil {
		b.Fatal(err)
	}
	cat := vault.NewCatalog(v.ring)
	rng := mrand.New(mrand.NewPCG(1, 2))
	var items []json.RawMessage
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	write := func(e vault.Entry, parents []string) {
		at = at.Add(time.Second)
		out, err := a.sealRecords(v.ring, []vault.BatchRecord{{Entry: e, Parents: parents, Time: at}})
		if err != nil {
			b.Fatal(err)
		}
		v.ring.pos = -1
		if _, err := cat.AddItem(out[0]); err != nil {
			b.Fatal(err)
		}
		items = append(items, out...)
	}
	login := func(i int, pw string) vault.Entry {
		return vault.Entry{ID: fmt.Sprintf("entry-%06d", i), Name: fmt.Sprintf("Login %d", i), Sites: []string{fmt.Sprintf("site%d.com", i)},
			Username: fmt.Sprintf("user%d@example.com", i), Password: pw, Notes: "a note", Created: at}
	}
	total := n + n/5
	for i := range total {
		write(login(i, fmt.Sprintf("correct horse battery %d", i)), nil)
	}
	for range n * 2 / 5 {
		i := rng.IntN(n)
		e := login(i, fmt.Sprintf("changed %d", rng.Int()))
		write(e, cat.Heads(e.ID))
	}
	for i := n; i < total; i++ {
		e := login(i, "")
		e.Deleted = true
		write(e, cat.Heads(e.ID))
	}
	for len(items) > 0 {
		k := min(len(items), mmm.MaxRecordsPerAppend)
		var ar mmm.AppendRecordsResponse
		if err := a.do(ctx, &mmm.AppendRecordsRequest{Catalog: v.ring.Vault(), Records: items[:k]}, &ar); err != nil {
			b.Fatal(err)
		}
		items = items[k:]
	}
	if err := a.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	if got := len(must1(b, a.List)); got != n {
		b.Fatalf("%d entries, want %d", got, n)
	}
	return cat.Len()
}

// BenchmarkVault10000FirstSync reports a new device's first sync of a
// vault of 10,000 entries written one record at a time, with 4,000 edits
// and 2,000 entries added and deleted (18,000 items): the bytes it
// downloads and its time (ms), reading every item, then from a snapshot
// and the items after it; and the snapshot's publishing (ms, bytes up).
func BenchmarkVault10000FirstSync(b *testing.B) {
	ctx := context.Background()
	p := clienttest.New(b)
	s := NewMemoryStorage()
	a := newClient(b, p, s)
	a.opts.SnapshotEvery = -1
	if err := a.Create(ctx, p.URL, "alice", "passphrase A", "laptop"); err != nil {
		b.Fatal(err)
	}
	records := oneByOne(b, a, 10000)
	down := func(from int) int {
		n := 0
		for _, x := range p.Exchanges()[from:] {
			if x.Type == "GetRecordsRequest" || x.Type == "GetSnapshotRequest" {
				n += len(x.Response)
			}
		}
		return n
	}
	first := func() (time.Duration, int) {
		fresh := freshCopy(b, p, s)
		fresh.opts.SnapshotEvery = -1
		from := len(p.Exchanges())
		t0 := time.Now()
		if err := fresh.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		took := time.Since(t0)
		if got := len(must1(b, fresh.List)); got < 10000 {
			b.Fatalf("%d entries", got)
		}
		return took, down(from)
	}
	var full, snap, publish time.Duration
	var fullB, snapB, up int
	b.ResetTimer()
	for range b.N {
		d, n := first()
		full, fullB = full+d, n
		a.catalog().Snapshot = 0
		from := len(p.Exchanges())
		t0 := time.Now()
		if err := a.PublishSnapshot(ctx); err != nil {
			b.Fatal(err)
		}
		publish += time.Since(t0)
		up = 0
		for _, x := range p.Exchanges()[from:] {
			if x.Type == "PutSnapshotRequest" {
				up += len(x.Request)
			}
		}
		// A tail after the snapshot.
		for i := range 10 {
			if _, err := a.Add(ctx, vault.Entry{Sites: []string{fmt.Sprintf("tail%d.com", i)}, Username: "tail", Password: "p"}); err != nil {
				b.Fatal(err)
			}
		}
		d, n = first()
		snap, snapB = snap+d, n
		for _, e := range must1(b, a.List) {
			if e.Username == "tail" {
				if err := a.Delete(ctx, e.ID); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(records), "records")
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(float64(fullB), "all-items-down-B")
	b.ReportMetric(ms(full), "all-items-first-sync-ms")
	b.ReportMetric(float64(snapB), "snapshot-down-B")
	b.ReportMetric(ms(snap), "snapshot-first-sync-ms")
	b.ReportMetric(ms(publish), "publish-snapshot-ms")
	b.ReportMetric(float64(up), "publish-snapshot-up-B")
}
