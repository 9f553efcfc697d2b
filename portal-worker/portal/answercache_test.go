//go:build !js

package portal

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/translog"
)

// The Get answer built from the stored leaf bytes is byte for byte the
// answer built from the decoded entries.
func TestRawGetResponse(t *testing.T) {
	p, err := profiletest.NewPerson(2)
	if err != nil {
		t.Fatal(err)
	}
	entries := []mmm.Entry{{SignedPersonalProfile: p.SignedPersonal}, {SignedApplicationProfile: p.SignedPasswords}}
	proofs := []*mmm.LogProof{{Index: 3, TreeSize: 9, Inclusion: []string{"a", "b"}, Checkpoint: "cp <&>\n"}, {Index: 8, TreeSize: 9, Checkpoint: "cp"}}
	raw := &rawGetResponse{Proofs: proofs, Next: 2}
	for i := range entries {
		leaf, err := translog.LeafData(&entries[i])
		if err != nil {
			t.Fatal(err)
		}
		raw.Entries = append(raw.Entries, leaf)
	}
	got, err := encodeGet(raw)
	if err != nil {
		t.Fatal(err)
	}
	want, err := mmm.Encode(&mmm.GetResponse{Status: mmm.Status{Status: mmm.StatusOK, StatusDescription: mmm.DescriptionOK}, Entries: entries, Proofs: proofs, Next: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("raw answer differs:\n%s\nwant\n%s", got, want)
	}
	// A stored leaf that is not JSON is not served.
	raw.Entries[0] = []byte(`{"SignedPersonalProfile":`)
	if _, err := encodeGet(raw); err == nil {
		t.Fatal("a broken leaf was encoded")
	}
}

// Answers are kept up to the byte bound, oldest forgotten first; the key
// changes with every input of the answer.
func TestAnswerCache(t *testing.T) {
	c := newAnswerCache(80)
	e := []*Entry{{Index: 1, Data: []byte("x")}}
	k1, k2, k3 := getAnswerKey(0, 5, "cp", e), getAnswerKey(0, 6, "cp", e), getAnswerKey(1, 5, "cp", e)
	if k1 == k2 || k1 == k3 || k1 == getAnswerKey(0, 5, "cp2", e) || k1 == getAnswerKey(0, 5, "cp", []*Entry{{Index: 2, Data: []byte("x")}}) ||
		k1 == getAnswerKey(0, 5, "cp", []*Entry{{Index: 1, Data: []byte("xy")}}) || k1 == getAnswerKey(0, 5, "cp", append(e, e[0])) {
		t.Fatal("different answers share a key")
	}
	c.put(k1, make([]byte, 10))
	c.put(k2, make([]byte, 10))
	c.put(k3, make([]byte, 70)) // over max/8: not kept
	if _, ok := c.get(k3); ok {
		t.Fatal("an answer over an eighth of the cache was kept")
	}
	for i := range 8 {
		c.put(getAnswerKey(i+2, 5, "cp", e), make([]byte, 10))
	}
	if _, ok := c.get(k1); ok {
		t.Fatal("the oldest answer was not forgotten")
	}
	if c.bytes > 80 {
		t.Fatalf("%d bytes kept, bound 80", c.bytes)
	}
}

// countingStore counts ReadHashes calls and the hashes asked for.
type countingStore struct {
	Store
	calls, asked int
	hashes       []tlog.Hash
}

func (s *countingStore) ReadHashes(_ context.Context, idx []int64) ([]tlog.Hash, error) {
	s.calls++
	s.asked += len(idx)
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x >= int64(len(s.hashes)) {
			return nil, errors.New("not stored")
		}
		out[i] = s.hashes[x]
	}
	return out, nil
}

// The hash cache reads each hash from the store once, while it is kept,
// and passes the store's errors on.
func TestHashCache(t *testing.T) {
	s := &countingStore{}
	for i := range 100 {
		s.hashes = append(s.hashes, tlog.Hash{byte(i)})
	}
	c := newHashCache(8)
	r := c.reader(context.Background(), s)
	got, err := r.ReadHashes([]int64{1, 2, 3})
	if err != nil || got[2] != s.hashes[3] {
		t.Fatal(got, err)
	}
	if got, err = r.ReadHashes([]int64{3, 2, 4}); err != nil || got[0] != s.hashes[3] || got[2] != s.hashes[4] {
		t.Fatal(got, err)
	}
	if s.calls != 2 || s.asked != 4 {
		t.Fatalf("%d reads of %d hashes, want 2 of 4", s.calls, s.asked)
	}
	if _, err := r.ReadHashes([]int64{500}); err == nil {
		t.Fatal("a missing hash was read")
	}
	for i := range int64(20) {
		r.ReadHashes([]int64{10 + i})
	}
	if len(c.cur)+len(c.old) > 8 {
		t.Fatalf("%d hashes kept, bound 8", len(c.cur)+len(c.old))
	}
}

// accountStore answers Account from a map, counting the calls.
type accountStore struct {
	Store
	calls int
	m     map[string]string
}

func (s *accountStore) Account(_ context.Context, name string) (string, error) {
	s.calls++
	if id, ok := s.m[name]; ok {
		return id, nil
	}
	return "", ErrNotFound
}

// The account cache keeps found accounts only, up to its bound.
func TestAccountCache(t *testing.T) {
	s := &accountStore{m: map[string]string{"a": "A", "b": "B", "c": "C"}}
	c := newAccountCache(2)
	ctx := context.Background()
	for range 2 {
		if id, err := c.profileOf(ctx, s, "a"); err != nil || id != "A" {
			t.Fatal(id, err)
		}
	}
	if s.calls != 1 {
		t.Fatalf("%d reads of a kept account", s.calls)
	}
	if _, err := c.profileOf(ctx, s, "new"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	s.m["new"] = "N" // created since: found at once
	if id, err := c.profileOf(ctx, s, "new"); err != nil || id != "N" {
		t.Fatal(id, err)
	}
	c.profileOf(ctx, s, "b")
	if len(c.m) > 2 {
		t.Fatalf("%d accounts kept, bound 2", len(c.m))
	}
}
