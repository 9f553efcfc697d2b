package vault

import (
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
	b.ResetTimer()
	for range b.N {
		c := NewCatalog(r)
		for _, s := range recs {
			if _, err := c.Add(s); err != nil {
				b.Fatal(err)
			}
		}
		if n := len(c.Entries()); n != 10000 {
			b.Fatal(n)
		}
	}
}

// BenchmarkOpenBatch10000 is the same first read when the records come in
// signed batches of 1,000 (a bulk write, or a snapshot).
func BenchmarkOpenBatch10000(b *testing.B) {
	r := newRing(b, "A")
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
	b.ResetTimer()
	for range b.N {
		c := NewCatalog(r)
		for _, s := range batches {
			if _, err := c.AddBatch(s); err != nil {
				b.Fatal(err)
			}
		}
		if n := len(c.Entries()); n != 10000 {
			b.Fatal(n)
		}
	}
}
