package portal

import (
	"context"
	"sync"
)

// accountCacheSize is how many account names a portal keeps the profile
// Identifier of.
const accountCacheSize = 1 << 14

// accountCache keeps which personal profile an account names, as read
// from the Store. An account, once created, is never renamed, moved to
// another profile or removed (the Store only inserts accounts), so a kept
// answer stays right; only found accounts are kept, never "not found".
// When full it forgets the oldest.
type accountCache struct {
	mu    sync.Mutex
	max   int
	order []string
	m     map[string]string
}

func newAccountCache(max int) *accountCache {
	return &accountCache{max: max, m: map[string]string{}}
}

// profileOf returns the Identifier of the personal profile of account
// (folded), from the cache or the Store.
func (c *accountCache) profileOf(ctx context.Context, s Store, account string) (string, error) {
	c.mu.Lock()
	id, ok := c.m[account]
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	id, err := s.Account(ctx, account)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[account]; !ok {
		if len(c.order) >= c.max {
			delete(c.m, c.order[0])
			c.order = c.order[1:]
		}
		c.order = append(c.order, account)
		c.m[account] = id
	}
	return id, nil
}
