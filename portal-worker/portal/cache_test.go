//go:build !js

package portal

import (
	"testing"

	"github.com/meshpass/meshpass/shared/profile"
)

func TestVerifiedCacheBounded(t *testing.T) {
	c := newVerifiedCache(2)
	a, b, d := [32]byte{1}, [32]byte{2}, [32]byte{3}
	pa, pb, pd := &profile.Personal{}, &profile.Personal{}, &profile.Personal{}
	c.put(a, pa)
	c.put(b, pb)
	c.put(a, pd) // already there: kept as is
	if v, ok := c.get(a); !ok || v != pa {
		t.Fatal("a lost or replaced")
	}
	c.put(d, pd) // evicts the oldest, a
	if _, ok := c.get(a); ok {
		t.Error("a still cached past the bound")
	}
	if v, ok := c.get(b); !ok || v != pb {
		t.Error("b lost")
	}
	if v, ok := c.get(d); !ok || v != pd {
		t.Error("d lost")
	}
}
