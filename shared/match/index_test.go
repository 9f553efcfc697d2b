package match

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/meshpass/meshpass/shared/vault"
)

// TestIndexRanksAsRank: for random entries and pages, the index gives
// exactly what Rank gives.
func TestIndexRanksAsRank(t *testing.T) {
	hosts := []string{"example.com", "login.example.com", "a.b.example.com", "example.co.uk", "shop.example.co.uk",
		"localhost", "bank.localhost", "127.0.0.1", "[::1]", "github.io", "alice.github.io", "bob.github.io",
		"xn--bcher-kva.de", "bücher.de", "evil.io", "example.com.evil.io", "10.0.0.1"}
	sites := func(r *rand.Rand) []string {
		var out []string
		for range 1 + r.IntN(3) {
			h := hosts[r.IntN(len(hosts))]
			switch r.IntN(5) {
			case 0:
				h = "*." + h
			case 1:
				h += ":8443"
			case 2:
				h = "https://" + h + "/login"
			}
			out = append(out, h)
		}
		return out
	}
	r := rand.New(rand.NewPCG(1, 2))
	var entries []vault.Entry
	for i := range 400 {
		entries = append(entries, vault.Entry{ID: fmt.Sprint(i), Sites: sites(r), Deleted: r.IntN(20) == 0})
	}
	ix := NewIndex(entries)
	total := 0
	for _, h := range hosts {
		for _, page := range []string{"https://" + h + "/", "http://" + h + "/", "https://" + h + ":8443/x", "https://sub." + h + "/"} {
			for _, opts := range []Options{{}, {AllowHTTP: true}} {
				want, got := Rank(entries, page, opts), ix.Rank(entries, page, opts)
				if !reflect.DeepEqual(want, got) {
					t.Fatalf("%s %+v: index %d matches, Rank %d", page, opts, len(got), len(want))
				}
				total += len(got)
			}
		}
	}
	if total < 500 {
		t.Fatalf("only %d matches in all: the test pages match too little to compare", total)
	}
}
