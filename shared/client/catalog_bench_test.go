package client

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/exporter"
	"github.com/meshpass/meshpass/shared/importer"
	"github.com/meshpass/meshpass/shared/match"
	"github.com/meshpass/meshpass/shared/vault"
)

// benchVault makes alice with n entries, written through the bulk API
// (AddBatch, in calls of 1,000), on a real portal.
func benchVault(b *testing.B, n int) (*clienttest.Portal, *Client, *MemoryStorage) {
	b.Helper()
	ctx := context.Background()
	p := clienttest.New(b)
	s := NewMemoryStorage()
	a := newClient(b, p, s)
	if err := a.Create(ctx, p.URL, "alice", "passphrase A", "laptop"); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i += 1000 {
		var batch []vault.Entry
		for j := i; j < min(n, i+1000); j++ {
			batch = append(batch, vault.Entry{Name: fmt.Sprintf("Login %d", j), Sites: []string{fmt.Sprintf("site%d.com", j)},
				Username: fmt.Sprintf("user%d@example.com", j), Password: fmt.Sprintf("correct horse battery %d", j), Notes: "a note"})
		}
		if _, err := a.AddBatch(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	return p, a, s
}

// freshCopy returns a device with a's keys and profiles but none of the
// catalog: its Sync is a new device's first sync.
func freshCopy(b *testing.B, p *clienttest.Portal, s *MemoryStorage) *Client {
	b.Helper()
	raw, err := s.Get(StateKey)
	if err != nil {
		b.Fatal(err)
	}
	var st state
	if err := json.Unmarshal(raw, &st); err != nil {
		b.Fatal(err)
	}
	st.Catalog = nil
	raw, _ = json.Marshal(&st)
	s2 := NewMemoryStorage()
	if err := s2.Put(StateKey, raw); err != nil {
		b.Fatal(err)
	}
	c := newClient(b, p, s2)
	if err := c.Unlock("passphrase A"); err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkVault10000 reports, for a vault of 10,000 entries: the bytes
// one add uploads and another device's sync of it downloads, a new
// device's first sync (ms), reading the stored vault after unlock (ms),
// indexing the entries' sites (ms: the first Matching, which Warm does
// after Unlock) and the entries for one site then (ms: Matching, what the
// popup lists for the page).
func BenchmarkVault10000(b *testing.B) { benchVaultOf(b, 10000) }

// BenchmarkVault50000 is BenchmarkVault10000 for 50,000 entries.
func BenchmarkVault50000(b *testing.B) {
	if testing.Short() {
		b.Skip("50,000 entries: not in -short")
	}
	benchVaultOf(b, 50000)
}

func benchVaultOf(b *testing.B, n int) {
	ctx := context.Background()
	start := time.Now()
	p, a, s := benchVault(b, n)
	b.ReportMetric(float64(time.Since(start).Milliseconds()), "create-ms")
	other := freshCopy(b, p, s)
	if err := other.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	var firstSync, load, index, list time.Duration
	var up, down int
	b.ResetTimer()
	for i := range b.N {
		if _, err := a.Add(ctx, vault.Entry{Sites: []string{fmt.Sprintf("new%d.com", i)}, Username: "new", Password: "a new password!"}); err != nil {
			b.Fatal(err)
		}
		up, _ = lastBody(p, "AppendRecordsRequest")
		if err := other.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		_, down = lastBody(p, "GetRecordsRequest")

		fresh := freshCopy(b, p, s)
		t0 := time.Now()
		if err := fresh.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		firstSync += time.Since(t0)

		reopened := newClient(b, p, fresh.opts.Storage)
		if err := reopened.Unlock("passphrase A"); err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		entries, err := reopened.List()
		if err != nil {
			b.Fatal(err)
		}
		load += time.Since(t0)
		t0 = time.Now()
		if _, r, err := reopened.Matching("https://site77.com/login", match.Options{}); err != nil || len(r) != 1 {
			b.Fatalf("%d matches: %v", len(r), err)
		}
		index += time.Since(t0)
		t0 = time.Now()
		if _, r, err := reopened.Matching("https://site78.com/login", match.Options{}); err != nil || len(r) != 1 {
			b.Fatalf("%d matches: %v", len(r), err)
		}
		list += time.Since(t0)
		if len(entries) < n {
			b.Fatalf("%d entries", len(entries))
		}
	}
	b.StopTimer()
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(float64(up), "add-up-B")
	b.ReportMetric(float64(down), "sync-down-B")
	b.ReportMetric(per(firstSync), "first-sync-ms")
	b.ReportMetric(per(load), "load-after-unlock-ms")
	b.ReportMetric(per(index), "index-sites-ms")
	b.ReportMetric(per(list), "list-site-ms")
}

// BenchmarkImportBitwarden5000 imports a Bitwarden JSON export of 5,000
// logins (made by shared/exporter) into a new vault through a real portal:
// one parse and one bulk write (AddBatch). It reports the time and the
// bytes and requests the write uploaded.
func BenchmarkImportBitwarden5000(b *testing.B) {
	var entries []vault.Entry
	for i := range 5000 {
		entries = append(entries, vault.Entry{Name: fmt.Sprintf("Login %d", i), Sites: []string{fmt.Sprintf("site%d.com", i)},
			Username: fmt.Sprintf("user%d@example.com", i), Password: fmt.Sprintf("correct horse %d", i), Notes: "imported",
			Folder: "Work", Fields: []vault.Field{{Name: "PIN", Value: fmt.Sprint(i), Hidden: true}}})
	}
	file, err := exporter.BitwardenJSON(entries)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var took time.Duration
	var up, requests int
	for range b.N {
		p := clienttest.New(b)
		a := newClient(b, p, nil)
		if err := a.Create(ctx, p.URL, "alice", "passphrase A", "laptop"); err != nil {
			b.Fatal(err)
		}
		from := len(p.Exchanges())
		t0 := time.Now()
		res, err := importer.Parse(importer.Bitwarden, file, importer.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.AddBatch(ctx, res.Entries); err != nil {
			b.Fatal(err)
		}
		took += time.Since(t0)
		for _, x := range p.Exchanges()[from:] {
			if x.Type == "AppendRecordsRequest" {
				up += len(x.Request)
				requests++
			}
		}
		if n := len(must1(b, a.List)); n != 5000 {
			b.Fatalf("%d entries", n)
		}
	}
	b.ReportMetric(float64(took.Milliseconds())/float64(b.N), "import-ms")
	b.ReportMetric(float64(up)/float64(b.N), "upload-B")
	b.ReportMetric(float64(requests)/float64(b.N), "requests")
}
