package portal

import (
	"sync"

	"github.com/meshpass/meshpass/shared/profile"
)

// verifiedCacheSize is how many verified stored profiles a portal keeps.
const verifiedCacheSize = 512

// verifiedCache maps the SHA-256 of a stored entry's bytes to its verified
// personal profile. It is bounded: when full, it forgets the oldest entry.
// Callers must not modify what it returns.
type verifiedCache struct {
	mu    sync.Mutex
	max   int
	order [][32]byte
	m     map[[32]byte]*profile.Personal
}

func newVerifiedCache(max int) *verifiedCache {
	return &verifiedCache{max: max, m: make(map[[32]byte]*profile.Personal, max)}
}

func (c *verifiedCache) get(k [32]byte) (*profile.Personal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *verifiedCache) put(k [32]byte, v *profile.Personal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		return
	}
	if len(c.order) >= c.max {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	c.order = append(c.order, k)
	c.m[k] = v
}
