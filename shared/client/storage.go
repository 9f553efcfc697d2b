package client

import (
	"fmt"
	"sync"
)

// Storage keeps the device's state: small values by key. Get returns an
// error matching ErrNotFound for a key it does not hold. Values are
// written whole; an implementation should make Put atomic.
type Storage interface {
	// Get returns the value stored under key.
	Get(key string) ([]byte, error)
	// Put stores value under key, replacing what was there.
	Put(key string, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(key string) error
}

// ManyStorage is a Storage that can write several values in one call
// (chrome.storage's set takes many): the site index, a manifest and up to
// 256 shards, is written with one PutMany where the Storage has it.
type ManyStorage interface {
	Storage
	// PutMany stores each value under its key.
	PutMany(values map[string][]byte) error
}

// putMany writes values to s, in one call if s is a ManyStorage.
func putMany(s Storage, values map[string][]byte) error {
	if m, ok := s.(ManyStorage); ok {
		return m.PutMany(values)
	}
	for k, v := range values {
		if err := s.Put(k, v); err != nil {
			return err
		}
	}
	return nil
}

// MemoryStorage is a Storage in memory, safe for concurrent use. The zero
// value is ready to use.
type MemoryStorage struct {
	mu sync.Mutex
	m  map[string][]byte
}

// NewMemoryStorage returns an empty MemoryStorage.
func NewMemoryStorage() *MemoryStorage { return &MemoryStorage{} }

// Get returns a copy of the value stored under key.
func (s *MemoryStorage) Get(key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, key)
	}
	return append([]byte(nil), v...), nil
}

// Put stores a copy of value under key.
func (s *MemoryStorage) Put(key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string][]byte{}
	}
	s.m[key] = append([]byte(nil), value...)
	return nil
}

// Delete removes key.
func (s *MemoryStorage) Delete(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

// PutMany stores a copy of each value under its key.
func (s *MemoryStorage) PutMany(values map[string][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string][]byte{}
	}
	for k, v := range values {
		s.m[k] = append([]byte(nil), v...)
	}
	return nil
}
