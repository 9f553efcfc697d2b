// Package memo keeps the results of work done once, such as a signature
// verified, keyed by the SHA-256 of what the work was done on, in a
// bounded map that is safe for concurrent use.
package memo

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
)

// Key names what a result was computed from: a SHA-256.
type Key = [sha256.Size]byte

// Cache maps keys to values. It holds at most its bound: when full, it
// forgets the entry put first. Callers must not modify what it returns.
// The zero Cache holds nothing; make one with New.
type Cache[V any] struct {
	mu    sync.Mutex
	max   int
	order []Key
	m     map[Key]V
}

// New returns a Cache that holds at most max entries.
func New[V any](max int) *Cache[V] {
	return &Cache[V]{max: max, m: make(map[Key]V, max)}
}

// Get returns the value kept for k. A nil Cache holds nothing.
func (c *Cache[V]) Get(k Key) (V, bool) {
	if c == nil {
		var zero V
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

// Put keeps v for k, unless k already has a value (the first is kept:
// both came from the same input). On a nil Cache it does nothing.
func (c *Cache[V]) Put(k Key, v V) {
	if c == nil || c.max <= 0 {
		return
	}
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

// Len returns how many entries c holds.
func (c *Cache[V]) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// Sum returns the key of parts taken together: the SHA-256 of each
// part's length and bytes in turn, so that no two different lists of
// parts share a key.
func Sum(parts ...string) Key {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	var k Key
	h.Sum(k[:0])
	return k
}
