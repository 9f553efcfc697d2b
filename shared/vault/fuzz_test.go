package vault

import (
	"encoding/json"
	"testing"
)

// FuzzAdd: whatever a portal sends as a record or a batch, the catalog
// refuses it with an error or adds it; it never panics, and a refused
// record leaves nothing behind.
func FuzzAdd(f *testing.F) {
	r := newRing(f, "A")
	s, _ := write(f, r, "A", "e1", nil, t0, Entry{Username: "alice", Password: "pw"})
	b, _, err := SealBatch(r.vault, "A", 1, []BatchRecord{{Entry: Entry{ID: "e2", Password: "x"}, Time: t0}}, r.epochs[1], r.devices["A"])
	if err != nil {
		f.Fatal(err)
	}
	for _, x := range []*Signed{s, b} {
		raw, _ := json.Marshal(x)
		f.Add(raw)
	}
	f.Add([]byte(`{"protected":"e30","payload":"e30","signature":""}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var sd Signed
		if json.Unmarshal(raw, &sd) != nil {
			return
		}
		c := NewCatalog(r)
		if _, err := c.Add(&sd); err != nil && c.Len() != 0 {
			t.Fatal("a refused record was kept")
		}
		c2 := NewCatalog(r)
		if _, err := c2.AddBatch(&sd); err != nil && c2.Len() != 0 {
			t.Fatal("a refused batch was kept")
		}
		for _, id := range c.IDs() {
			c.Entry(id)
		}
	})
}
