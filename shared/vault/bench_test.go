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
