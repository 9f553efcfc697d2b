package vault

import (
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkOpen10000 is a new device's first read of a 10,000-entry vault
// record by record: verify, decrypt and merge every record (the cost a
// signed snapshot is for).
func BenchmarkOpen10000(b *testing.B) {
	r := newRing(b, "A")
	var recs []*Signed
	for i := range 10000 {
		s, _ := write(b, r, "A", fmt.Sprintf("e%05d", i), nil, t0, Entry{Sites: []string{fmt.Sprintf("site%d.example", i)}, Username: "user", Password: "correct horse battery staple"})
		recs = append(recs, s)
	}
	openEach(b, r, recs, func(c *Catalog, s *Signed) error {
		_, err := c.Add(s)
		return err
	})
}

// openEach times reading a 10,000-entry vault into a new catalog of r: add
// adds each of items to c.
func openEach[T any](b *testing.B, r *ring, items []T, add func(c *Catalog, item T) error) {
	b.Helper()
	b.ResetTimer()
	for range b.N {
		c := NewCatalog(r)
		for _, item := range items {
			if err := add(c, item); err != nil {
				b.Fatal(err)
			}
		}
		if n := len(c.Entries()); n != 10000 {
			b.Fatal(n)
		}
	}
}

// batches10000 seals 10,000 entries as 10 signed batches of 1,000 (a
// bulk write, or a snapshot) by device A of r.
func batches10000(b *testing.B, r *ring) []*Signed {
	b.Helper()
	var batches []*Signed
	for i := 0; i < 10000; i += 1000 {
		var recs []BatchRecord
		for j := i; j < i+1000; j++ {
			recs = append(recs, BatchRecord{Entry: Entry{ID: fmt.Sprintf("e%05d", j), Sites: []string{fmt.Sprintf("site%d.example", j)}, Username: "user", Password: "correct horse battery staple"}, Time: t0})
		}
		s, _, err := SealBatch(r.vault, "A", 1, recs, r.epochs[1], r.devices["A"])
		if err != nil {
			b.Fatal(err)
		}
		batches = append(batches, s)
	}
	return batches
}

// BenchmarkOpenBatch10000 is the same first read when the records come in
// signed batches of 1,000 (a bulk write, or a snapshot).
func BenchmarkOpenBatch10000(b *testing.B) {
	r := newRing(b, "A")
	openEach(b, r, batches10000(b, r), func(c *Catalog, s *Signed) error {
		_, err := c.AddBatch(s)
		return err
	})
}

// BenchmarkOpenStored10000 is a device's read of its own stored copy of a
// 10,000-entry vault in signed batches of 1,000, as after a restart of the
// extension's service worker: items already verified when they were
// stored (AddTrusted), so decrypt and merge only.
func BenchmarkOpenStored10000(b *testing.B) {
	r := newRing(b, "A")
	var items [][]byte
	for _, s := range batches10000(b, r) {
		item, err := json.Marshal(s)
		if err != nil {
			b.Fatal(err)
		}
		items = append(items, item)
	}
	openEach(b, r, items, func(c *Catalog, item []byte) error {
		_, err := c.AddTrusted(item)
		return err
	})
}
