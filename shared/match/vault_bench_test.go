package match_test

import (
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/match"
	"github.com/meshpass/meshpass/shared/vault"
)

// benchRing is a vault of one device and one content key.
type benchRing struct {
	writer *keys.SigningKey
	key    []byte
}

func (r *benchRing) Vault() string { return "bench-vault" }

func (r *benchRing) Writer(d string, epoch int) (*keys.PublicKey, error) {
	if d != "A" || epoch != 1 {
		return nil, vault.ErrWriter
	}
	return r.writer.Public(), nil
}

func (r *benchRing) ContentKey(epoch int) ([]byte, error) {
	if epoch != 1 {
		return nil, vault.ErrEpoch
	}
	return r.key, nil
}

// BenchmarkDecryptMatch10000 is what a device does to fill a page from a
// vault it has not opened yet: verify and decrypt a 10,000-entry vault
// (vault format 2, in signed batches of 1,000 records, as an import or a
// snapshot writes it), merge it into entries, and rank them for the page.
// `make bench` runs it natively and in headless Chromium.
func BenchmarkDecryptMatch10000(b *testing.B) {
	writer, err := keys.GenerateSigningKey()
	if err != nil {
		b.Fatal(err)
	}
	r := &benchRing{writer: writer, key: make([]byte, vault.KeySize)}
	if _, err := rand.Read(r.key); err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var batches []*vault.Signed
	for i := 0; i < 10000; i += 1000 {
		var recs []vault.BatchRecord
		for j := i; j < i+1000; j++ {
			recs = append(recs, vault.BatchRecord{Time: t0, Entry: vault.Entry{
				ID:       fmt.Sprintf("entry-%d", j),
				Sites:    []string{fmt.Sprintf("site%dexample.com", j), fmt.Sprintf("*.shop%d.com", j)},
				Username: fmt.Sprintf("user%d@example.org", j),
				Password: fmt.Sprintf("correct-horse-%d-battery-staple", j),
				Created:  t0,
			}})
		}
		s, _, err := vault.SealBatch(r.Vault(), "A", 1, recs, r.key, writer)
		if err != nil {
			b.Fatal(err)
		}
		batches = append(batches, s)
	}
	for b.Loop() {
		c := vault.NewCatalog(r)
		for _, s := range batches {
			if _, err := c.AddBatch(s); err != nil {
				b.Fatal(err)
			}
		}
		if r := match.Rank(c.Entries(), "https://login.site4242example.com/", match.Options{}); len(r) != 1 {
			b.Fatalf("%d matches", len(r))
		}
	}
}
