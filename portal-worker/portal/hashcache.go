package portal

import (
	"context"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// hashCacheSize is about how many stored log hashes a portal keeps in
// memory (32 bytes each, and the map's own): the hashes an inclusion or
// consistency proof reads are mostly the same few near the tree's top and
// the newest leaves.
const hashCacheSize = 1 << 16

// hashCache keeps log hashes read from the Store. A stored hash never
// changes once written (the log only grows; Store.ReadHashes says so), so
// a kept one is always right; only hashes the Store returned are kept,
// never those of a write not yet committed (translog.Overlay). It forgets
// in two generations: when the newer one is full, the older is dropped.
type hashCache struct {
	mu       sync.Mutex
	max      int
	cur, old map[int64]tlog.Hash
}

func newHashCache(max int) *hashCache {
	return &hashCache{max: max, cur: map[int64]tlog.Hash{}}
}

// put keeps h as the hash stored at index i.
func (c *hashCache) putLocked(i int64, h tlog.Hash) {
	if len(c.cur) >= c.max/2 {
		c.old, c.cur = c.cur, make(map[int64]tlog.Hash, c.max/2)
	}
	c.cur[i] = h
}

// reader returns a tlog.HashReader that answers from the cache and reads
// only the hashes it lacks from the Store, in one ReadHashes.
func (c *hashCache) reader(ctx context.Context, s Store) tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		var missing []int64
		var at []int
		c.mu.Lock()
		for k, i := range idx {
			if h, ok := c.cur[i]; ok {
				out[k] = h
			} else if h, ok := c.old[i]; ok {
				out[k] = h
				c.putLocked(i, h)
			} else {
				missing = append(missing, i)
				at = append(at, k)
			}
		}
		c.mu.Unlock()
		if len(missing) == 0 {
			return out, nil
		}
		got, err := s.ReadHashes(ctx, missing)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		for j, h := range got {
			out[at[j]] = h
			c.putLocked(missing[j], h)
		}
		c.mu.Unlock()
		return out, nil
	})
}
