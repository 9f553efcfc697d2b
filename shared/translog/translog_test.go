package translog

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
)

// memLog is an in-memory log for tests: its stored hashes and leaves.
type memLog struct {
	hashes []tlog.Hash
	leaves [][]byte
	tree   tlog.Tree
}

func (m *memLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("no hash %d", x)
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

func (m *memLog) add(t *testing.T, leaf []byte) {
	t.Helper()
	n := int64(len(m.leaves))
	hs, tree, err := Append(m, n, leaf)
	if err != nil {
		t.Fatal(err)
	}
	m.hashes = append(m.hashes, hs...)
	m.leaves = append(m.leaves, leaf)
	want, err := tlog.TreeHash(n+1, m)
	if err != nil || want != tree.Hash {
		t.Fatalf("Append tree hash %v, TreeHash %v (%v)", tree.Hash, want, err)
	}
	m.tree = tree
}

func (m *memLog) proof(t *testing.T, signer note.Signer, index int64) *mmm.LogProof {
	t.Helper()
	p, err := tlog.ProveRecord(m.tree.N, index, m)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := SignCheckpoint(signer, m.tree)
	if err != nil {
		t.Fatal(err)
	}
	return &mmm.LogProof{Index: index, TreeSize: m.tree.N, Inclusion: EncodeHashes(p), Checkpoint: cp}
}

func keysFor(t *testing.T, origin string) (note.Signer, note.Verifiers) {
	t.Helper()
	skey, vkey, err := GenerateKey(origin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifiers(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func TestCheckpointText(t *testing.T) {
	tree := tlog.Tree{N: 7, Hash: tlog.RecordHash([]byte("x"))}
	text := FormatCheckpoint("example.com/log", tree)
	if !strings.HasPrefix(string(text), "example.com/log\n7\n") || strings.Count(string(text), "\n") != 3 {
		t.Fatalf("checkpoint text %q", text)
	}
	origin, got, err := ParseCheckpoint(text)
	if err != nil || origin != "example.com/log" || got != tree {
		t.Fatalf("ParseCheckpoint = %q %v %v", origin, got, err)
	}
	for _, bad := range []string{"", "\n7\nAAAA\n", "o\n-1\n" + tree.Hash.String() + "\n", "o\n07\n" + tree.Hash.String() + "\n", "o\n7\nnotbase64\n"} {
		if _, _, err := ParseCheckpoint([]byte(bad)); !errors.Is(err, ErrCheckpoint) {
			t.Errorf("ParseCheckpoint(%q) = %v", bad, err)
		}
	}
}

func TestInclusionAndConsistency(t *testing.T) {
	signer, verifiers := keysFor(t, "portal.test/log")
	var m memLog
	var checkpoints []string
	for i := range 13 {
		if _, err := LeafData(&mmm.Entry{OfflineEscrowEntry: nil}); err == nil {
			t.Fatal("LeafData accepted an empty entry")
		}
		leaf := []byte(fmt.Sprintf(`{"leaf":%d}`, i))
		m.add(t, leaf)
		cp, err := SignCheckpoint(signer, m.tree)
		if err != nil {
			t.Fatal(err)
		}
		checkpoints = append(checkpoints, cp)
		for j := int64(0); j <= int64(i); j++ {
			p := m.proof(t, signer, j)
			if err := VerifyInclusion(p, m.leaves[j], verifiers); err != nil {
				t.Fatalf("tree %d leaf %d: %v", m.tree.N, j, err)
			}
		}
	}
	for o := int64(1); o <= 13; o++ {
		for n := o; n <= 13; n++ {
			p, err := tlog.ProveTree(n, o, &m)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyConsistency(checkpoints[o-1], checkpoints[n-1], EncodeHashes(p), verifiers); err != nil {
				t.Fatalf("%d -> %d: %v", o, n, err)
			}
			if o < n {
				// Swapped: the old tree does not extend the new one.
				if err := VerifyConsistency(checkpoints[n-1], checkpoints[o-1], EncodeHashes(p), verifiers); !errors.Is(err, ErrProof) {
					t.Fatalf("%d -> %d swapped: %v", o, n, err)
				}
			}
		}
	}

	// Tampering.
	good := m.proof(t, signer, 5)
	check := func(name string, p *mmm.LogProof, leaf []byte, v note.Verifiers) {
		t.Helper()
		if err := VerifyInclusion(p, leaf, v); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	clone := func() *mmm.LogProof {
		c := *good
		c.Inclusion = append([]string(nil), good.Inclusion...)
		return &c
	}
	check("other leaf", good, m.leaves[6], verifiers)
	check("tampered leaf", good, append([]byte(nil), append(m.leaves[5], ' ')...), verifiers)
	p := clone()
	p.Index = 6
	check("other index", p, m.leaves[5], verifiers)
	p = clone()
	p.Index = -1
	check("negative index", p, m.leaves[5], verifiers)
	p = clone()
	p.TreeSize = 12
	check("other tree size", p, m.leaves[5], verifiers)
	p = clone()
	h, _ := DecodeHashes(p.Inclusion[:1])
	h[0][0] ^= 1
	p.Inclusion[0] = EncodeHashes(h)[0]
	check("tampered hash", p, m.leaves[5], verifiers)
	p = clone()
	p.Inclusion = p.Inclusion[1:]
	check("short proof", p, m.leaves[5], verifiers)
	p = clone()
	p.Inclusion[0] = "!!"
	check("bad base64", p, m.leaves[5], verifiers)
	p = clone()
	p.Checkpoint = strings.Replace(p.Checkpoint, "\n13\n", "\n12\n", 1)
	check("tampered checkpoint", p, m.leaves[5], verifiers)
	_, other := keysFor(t, "portal.test/log")
	check("wrong key", good, m.leaves[5], other)
	_, otherName := keysFor(t, "other.test/log")
	check("wrong origin", good, m.leaves[5], otherName)
	check("no verifiers", good, m.leaves[5], nil)
	check("no proof", nil, m.leaves[5], verifiers)

	// A checkpoint whose origin is not its signer's name.
	forged, err := note.Sign(&note.Note{Text: string(FormatCheckpoint("someone.else/log", m.tree))}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenCheckpoint(string(forged), verifiers); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("origin mismatch: %v", err)
	}

	// Consistency tampering.
	p1, _ := tlog.ProveTree(13, 5, &m)
	enc := EncodeHashes(p1)
	enc[0] = enc[len(enc)-1]
	if err := VerifyConsistency(checkpoints[4], checkpoints[12], enc, verifiers); !errors.Is(err, ErrProof) {
		t.Errorf("tampered consistency proof: %v", err)
	}
	if err := VerifyConsistency(checkpoints[4], checkpoints[12], EncodeHashes(p1), other); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("consistency with wrong key: %v", err)
	}
}

func TestLeafDataRoundTrip(t *testing.T) {
	p, err := profiletest.NewPerson(2)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []*mmm.Entry{{SignedPersonalProfile: p.SignedPersonal}, {SignedApplicationProfile: p.SignedPasswords}} {
		a, err := LeafData(e)
		if err != nil {
			t.Fatal(err)
		}
		var back mmm.Entry
		if err := json.Unmarshal(a, &back); err != nil {
			t.Fatal(err)
		}
		b, err := LeafData(&back)
		if err != nil || string(a) != string(b) {
			t.Fatalf("LeafData does not round-trip: %s vs %s (%v)", a, b, err)
		}
	}
}
