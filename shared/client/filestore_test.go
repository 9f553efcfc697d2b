//go:build !js

package client

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestFileStorage(t *testing.T) {
	s := FileStorage{Dir: filepath.Join(t.TempDir(), "home")}
	if _, err := s.Get(StateKey); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing key: %v", err)
	}
	must(t, s.Put(StateKey, []byte("one")))
	must(t, s.Put(StateKey, []byte("two")))
	b, err := s.Get(StateKey)
	if err != nil || string(b) != "two" {
		t.Fatalf("%q %v", b, err)
	}
	fi, err := os.Stat(filepath.Join(s.Dir, StateKey))
	must(t, err)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	must(t, s.Delete(StateKey))
	must(t, s.Delete(StateKey))
	if _, err := s.Get("../x"); err == nil {
		t.Fatal("path key accepted")
	}
	var _ Storage = s
	var _ Storage = NewMemoryStorage()
}
