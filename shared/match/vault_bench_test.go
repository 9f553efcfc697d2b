package match_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/meshpass/meshpass/shared/jwe"
	"github.com/meshpass/meshpass/shared/keys"
	"github.com/meshpass/meshpass/shared/match"
	"github.com/meshpass/meshpass/shared/profile"
)

// BenchmarkDecryptMatch10000 is what a device does to fill a page: decrypt
// a password profile of 10,000 entries, decode it, and rank the entries for
// the page. `make bench` runs it natively and in headless Chromium.
func BenchmarkDecryptMatch10000(b *testing.B) {
	key, err := keys.GenerateDecryptionKey()
	if err != nil {
		b.Fatal(err)
	}
	escrow, _ := keys.GenerateDecryptionKey()
	data := profile.PasswordData{}
	for i := range 10000 {
		data.Entries = append(data.Entries, profile.PasswordEntry{
			Id:       fmt.Sprintf("entry-%d", i),
			Sites:    []string{fmt.Sprintf("site%dexample.com", i), fmt.Sprintf("*.shop%d.com", i)},
			Username: fmt.Sprintf("user%d@example.org", i),
			Password: fmt.Sprintf("correct-horse-%d-battery-staple", i),
		})
	}
	plain, err := json.Marshal(&data)
	if err != nil {
		b.Fatal(err)
	}
	enc, err := jwe.Encrypt(plain, []*keys.PublicKey{key.Public(), escrow.Public()})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(plain)), "vault-bytes")
	for b.Loop() {
		out, err := enc.Decrypt(key)
		if err != nil {
			b.Fatal(err)
		}
		var got profile.PasswordData
		if err := json.Unmarshal(out, &got); err != nil {
			b.Fatal(err)
		}
		if r := match.Rank(got.Entries, "https://login.site4242example.com/", match.Options{}); len(r) != 1 {
			b.Fatalf("%d matches", len(r))
		}
	}
}
