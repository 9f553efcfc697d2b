package translog

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Vectors from and for github.com/transparency-dev/formats v0.1.1 (its
// NewSignerForCosignatureV1 and NewVerifierForCosignatureV1, checked both
// ways): the witness key of seed 00 01 … 1f, named witness.example/w1.
const (
	vecSigner   = "PRIVATE+KEY+witness.example/w1+e75f6532+BAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
	vecVerifier = "witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
	vecText     = "example.com/log\n3\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
	// Made by formats' signer (at the time it ran).
	vecTheirs = "— witness.example/w1 519lMgAAAABrDCHKPwyGbJ8zKWK1MIrmf+NGx3BwVa/aZ8nFus5tQ5+ifrY0LggfKxqmhBh80lvSudtvlmW/5f+WtRHx+xOprp4ZAg==\n"
	// Made by NewCosigner at 1700000000, which formats' verifier takes.
	vecOurs = "— witness.example/w1 519lMgAAAABlU/EA2aKg5+8+1yeuZl3lT5AOCIGAr3f25Fa4tff4ojTwlQnognOUdEuahdj1A7fVbi4DXN5m0BAWIdVrA3uP2zkZAw==\n"
)

func TestCosignatureVectors(t *testing.T) {
	c, err := NewCosigner(vecSigner, func() time.Time { return time.Unix(1700000000, 0) })
	if err != nil {
		t.Fatal(err)
	}
	if c.VerifierKey() != vecVerifier {
		t.Errorf("verifier key %s, want %s", c.VerifierKey(), vecVerifier)
	}
	line, err := c.Cosign(vecText)
	if err != nil || line != vecOurs {
		t.Fatalf("Cosign = %q, %v; want %q", line, err, vecOurs)
	}
	v, err := NewCosignatureVerifier(vecVerifier)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{vecOurs, vecTheirs} {
		n, err := note.Open([]byte(vecText+"\n"+l), note.VerifierList(v))
		if err != nil {
			t.Fatalf("%q does not verify: %v", l, err)
		}
		if _, err := CosignatureTime(n.Sigs[0]); err != nil {
			t.Fatal(err)
		}
	}
	// Another text, same signature: refused.
	if _, err := note.Open([]byte(strings.Replace(vecText, "3", "4", 1)+"\n"+vecOurs), note.VerifierList(v)); err == nil {
		t.Error("a cosignature verified for another checkpoint")
	}
}

type cosignFixture struct {
	log       note.Signer
	verifiers note.Verifiers
	cosigners []*Cosigner
	keys      []string
	tree      tlog.Tree
}

func newCosignFixture(t *testing.T, n int) *cosignFixture {
	t.Helper()
	skey, vkey, err := GenerateKey("log.test/log")
	if err != nil {
		t.Fatal(err)
	}
	f := &cosignFixture{tree: tlog.Tree{N: 7, Hash: tlog.Hash{7}}}
	f.log, _ = NewSigner(skey)
	f.verifiers, _ = NewVerifiers(vkey)
	for i := range n {
		s, v, err := GenerateWitnessKey("witness.test/w" + string(rune('a'+i)))
		if err != nil {
			t.Fatal(err)
		}
		when := time.Unix(1_800_000_000+int64(i)*60, 0)
		c, err := NewCosigner(s, func() time.Time { return when })
		if err != nil {
			t.Fatal(err)
		}
		f.cosigners, f.keys = append(f.cosigners, c), append(f.keys, v)
	}
	return f
}

// checkpoint returns the log's checkpoint cosigned by the witnesses of
// the indexes given.
func (f *cosignFixture) checkpoint(t *testing.T, by ...int) string {
	t.Helper()
	cp, err := SignCheckpoint(f.log, f.tree)
	if err != nil {
		t.Fatal(err)
	}
	text, _, _ := NoteText(cp)
	for _, i := range by {
		line, err := f.cosigners[i].Cosign(text)
		if err != nil {
			t.Fatal(err)
		}
		if cp, err = AddCosignatures(cp, line); err != nil {
			t.Fatal(err)
		}
	}
	return cp
}

func TestOpenCosigned(t *testing.T) {
	f := newCosignFixture(t, 3)
	ws, err := NewWitnesses(f.keys, 2)
	if err != nil {
		t.Fatal(err)
	}
	c, err := OpenCosigned(f.checkpoint(t, 0, 2), f.verifiers, ws)
	if err != nil {
		t.Fatal(err)
	}
	// The quorum's time is the 2nd newest: witness 0's.
	if c.Count != 2 || c.Tree != f.tree || !c.Time.Equal(time.Unix(1_800_000_000, 0)) {
		t.Errorf("OpenCosigned = %+v", c)
	}
	c, err = OpenCosigned(f.checkpoint(t, 0, 1, 2), f.verifiers, ws)
	if err != nil || c.Count != 3 || !c.Time.Equal(time.Unix(1_800_000_060, 0)) {
		t.Errorf("OpenCosigned = %+v, %v", c, err)
	}
	// One of two: ErrWitness; none: ErrWitness.
	for _, by := range [][]int{{1}, nil} {
		if _, err := OpenCosigned(f.checkpoint(t, by...), f.verifiers, ws); !errors.Is(err, ErrWitness) {
			t.Errorf("cosigned by %v: %v, want ErrWitness", by, err)
		}
	}
	// The same witness twice counts once.
	cp := f.checkpoint(t, 1)
	text, _, _ := NoteText(cp)
	f.cosigners[1].now = func() time.Time { return time.Unix(1_900_000_000, 0) }
	again, _ := f.cosigners[1].Cosign(text)
	if _, err := OpenCosigned(cp+again, f.verifiers, ws); !errors.Is(err, ErrWitness) {
		t.Errorf("one witness twice: %v, want ErrWitness", err)
	}
	// A witness outside the set does not count, and does not fail.
	other := newCosignFixture(t, 1)
	line, _ := other.cosigners[0].Cosign(text)
	if _, err := OpenCosigned(cp+line, f.verifiers, ws); !errors.Is(err, ErrWitness) {
		t.Errorf("a stranger's cosignature: %v, want ErrWitness", err)
	}
	// A forged cosignature of a pinned witness: ErrCheckpoint.
	good := []byte(f.checkpoint(t, 0, 2))
	i := len(good) - 10 // inside the last cosignature's Ed25519 signature
	if good[i] == 'A' {
		good[i] = 'B'
	} else {
		good[i] = 'A'
	}
	if _, err := OpenCosigned(string(good), f.verifiers, ws); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("a forged cosignature: %v, want ErrCheckpoint", err)
	}
	// No log signature: refused whatever the witnesses say.
	_, sigs, _ := NoteText(f.checkpoint(t, 0, 1, 2))
	only := text + "\n" + sigs[strings.Index(sigs, "\n")+1:]
	if _, err := OpenCosigned(only, f.verifiers, ws); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("cosigned but not signed by the log: %v", err)
	}
	// Without witnesses, as OpenCheckpoint.
	none, _ := NewWitnesses(nil, 0)
	if c, err := OpenCosigned(f.checkpoint(t), f.verifiers, none); err != nil || c.Tree != f.tree {
		t.Errorf("no witnesses: %+v, %v", c, err)
	}
	// Old clients (OpenCheckpoint) still read cosigned checkpoints.
	if tr, err := OpenCheckpoint(f.checkpoint(t, 0, 1), f.verifiers); err != nil || tr != f.tree {
		t.Errorf("OpenCheckpoint of a cosigned checkpoint: %v, %v", tr, err)
	}
}

func TestNewWitnesses(t *testing.T) {
	f := newCosignFixture(t, 2)
	for _, k := range []int{0, 3, -1} {
		if _, err := NewWitnesses(f.keys, k); err == nil {
			t.Errorf("quorum %d of 2 accepted", k)
		}
	}
	if _, err := NewWitnesses(nil, 1); err == nil {
		t.Error("quorum 1 of none accepted")
	}
	if _, err := NewWitnesses([]string{f.keys[0], f.keys[0]}, 1); err == nil {
		t.Error("a witness twice accepted")
	}
	if _, err := NewWitnesses([]string{"nonsense"}, 1); err == nil {
		t.Error("a malformed key accepted")
	}
}

func TestAddCosignaturesReplaces(t *testing.T) {
	f := newCosignFixture(t, 2)
	cp := f.checkpoint(t, 0, 1)
	text, _, _ := NoteText(cp)
	f.cosigners[0].now = func() time.Time { return time.Unix(1_900_000_000, 0) }
	newer, _ := f.cosigners[0].Cosign(text)
	out, err := AddCosignatures(cp, newer)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "— witness.test/wa ") != 1 || !strings.Contains(out, newer) || strings.Count(out, "\n— ") != 3 {
		t.Errorf("AddCosignatures:\n%s", out)
	}
	if _, err := AddCosignatures(cp, "not a line\n"); err == nil {
		t.Error("a malformed line accepted")
	}
}

func TestLogCode(t *testing.T) {
	a := LogCode("log.test/log", tlog.Tree{N: 7, Hash: tlog.Hash{7}})
	if !regexp.MustCompile(`^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$`).MatchString(a) {
		t.Errorf("LogCode = %q", a)
	}
	if b := LogCode("log.test/log", tlog.Tree{N: 7, Hash: tlog.Hash{8}}); b == a {
		t.Error("two trees, one code")
	}
	if b := LogCode("log.test/log", tlog.Tree{N: 7, Hash: tlog.Hash{7}}); b != a {
		t.Error("one tree, two codes")
	}
}
