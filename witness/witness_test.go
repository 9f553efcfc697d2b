package witness

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/meshpass/meshpass/shared/translog"
)

// memLog is an in-memory log: its stored hashes and tree.
type memLog struct {
	signer note.Signer
	hashes []tlog.Hash
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

func (m *memLog) add(t *testing.T, leaves ...string) {
	t.Helper()
	for _, l := range leaves {
		hs, tree, err := translog.Append(m, m.tree.N, []byte(l))
		if err != nil {
			t.Fatal(err)
		}
		m.hashes, m.tree = append(m.hashes, hs...), tree
	}
}

// fork returns a copy of m, which then grows on its own.
func (m *memLog) fork() *memLog {
	return &memLog{signer: m.signer, hashes: append([]tlog.Hash(nil), m.hashes...), tree: m.tree}
}

func (m *memLog) checkpoint(t *testing.T) string {
	t.Helper()
	cp, err := translog.SignCheckpoint(m.signer, m.tree)
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

func (m *memLog) proofFrom(t *testing.T, old int64) []tlog.Hash {
	t.Helper()
	if old == 0 || old == m.tree.N {
		return nil
	}
	p, err := tlog.ProveTree(m.tree.N, old, m)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const origin = "portal.test/log"

type fixture struct {
	log     *memLog
	vkey    string
	skey    string
	wkey    string
	path    string
	now     time.Time
	witness *Witness
	srv     *httptest.Server
	logged  []string
}

func newFixture(t *testing.T) *fixture {
	skey, vkey, err := translog.GenerateKey(origin)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := translog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	wkey, _, err := translog.GenerateWitnessKey("witness.test/w1")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{log: &memLog{signer: signer}, vkey: vkey, skey: skey, wkey: wkey,
		path: filepath.Join(t.TempDir(), "witness.json"), now: time.Unix(1_800_000_000, 0)}
	f.start(t)
	return f
}

// start (re)starts the witness on its state file.
func (f *fixture) start(t *testing.T) {
	t.Helper()
	if f.srv != nil {
		f.srv.Close()
	}
	state, err := OpenFileState(f.path)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := translog.NewCosigner(f.wkey, func() time.Time { return f.now })
	if err != nil {
		t.Fatal(err)
	}
	if f.witness, err = New(cs, map[string][]string{origin: {f.vkey}}, state); err != nil {
		t.Fatal(err)
	}
	f.witness.Logf = func(format string, args ...any) { f.logged = append(f.logged, fmt.Sprintf(format, args...)) }
	f.srv = httptest.NewServer(f.witness)
	t.Cleanup(f.srv.Close)
}

// add asks the witness to cosign cp with a proof from old.
func (f *fixture) add(old int64, proof []tlog.Hash, cp string) (string, error) {
	return AddCheckpoint(context.Background(), f.srv.Client(), f.srv.URL, old, proof, cp)
}

// verify checks that line cosigns cp at f.now.
func (f *fixture) verify(t *testing.T, cp, line string) {
	t.Helper()
	ws, err := translog.NewWitnesses([]string{f.witness.VerifierKey()}, 1)
	if err != nil {
		t.Fatal(err)
	}
	both, err := translog.AddCosignatures(cp, line)
	if err != nil {
		t.Fatal(err)
	}
	logv, _ := translog.NewVerifiers(f.vkey)
	c, err := translog.OpenCosigned(both, logv, ws)
	if err != nil {
		t.Fatalf("the cosignature does not verify: %v", err)
	}
	if !c.Time.Equal(f.now) {
		t.Errorf("cosigned at %v, want %v", c.Time, f.now)
	}
}

func wantStatus(t *testing.T, err error, code int) {
	t.Helper()
	var se *StatusError
	if !errors.As(err, &se) || se.Code != code {
		t.Fatalf("got %v, want a %d answer", err, code)
	}
}

func wantConflict(t *testing.T, err error, size int64) {
	t.Helper()
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Size != size {
		t.Fatalf("got %v, want a 409 naming size %d", err, size)
	}
}

func TestCosignsAConsistentLog(t *testing.T) {
	f := newFixture(t)
	f.log.add(t, "a", "b", "c")
	cp3 := f.log.checkpoint(t)
	line, err := f.add(0, nil, cp3)
	if err != nil {
		t.Fatal(err)
	}
	f.verify(t, cp3, line)

	f.log.add(t, "d", "e")
	f.now = f.now.Add(time.Minute)
	cp5 := f.log.checkpoint(t)
	line, err = f.add(3, f.log.proofFrom(t, 3), cp5)
	if err != nil {
		t.Fatal(err)
	}
	f.verify(t, cp5, line)

	// The same tree again, later: a fresh cosignature (a log without
	// writes stays visibly alive).
	f.now = f.now.Add(time.Hour)
	line, err = f.add(5, nil, cp5)
	if err != nil {
		t.Fatal(err)
	}
	f.verify(t, cp5, line)
}

func TestRefusesWrongOldSize(t *testing.T) {
	f := newFixture(t)
	f.log.add(t, "a", "b", "c", "d")
	if _, err := f.add(0, nil, f.log.checkpoint(t)); err != nil {
		t.Fatal(err)
	}
	f.log.add(t, "e")
	// A log that does not know what the witness cosigned asks from 0.
	_, err := f.add(0, nil, f.log.checkpoint(t))
	wantConflict(t, err, 4)
	_, err = f.add(2, f.log.proofFrom(t, 2), f.log.checkpoint(t))
	wantConflict(t, err, 4)
}

func TestRefusesSmallerTree(t *testing.T) {
	f := newFixture(t)
	f.log.add(t, "a", "b")
	small := f.log.fork()
	f.log.add(t, "c", "d", "e")
	if _, err := f.add(0, nil, f.log.checkpoint(t)); err != nil {
		t.Fatal(err)
	}
	// The older, smaller checkpoint: an old size larger than it, or its
	// own size (not what the witness cosigned).
	_, err := f.add(5, nil, small.checkpoint(t))
	wantStatus(t, err, http.StatusBadRequest)
	_, err = f.add(2, nil, small.checkpoint(t))
	wantConflict(t, err, 5)
}

func TestRefusesInconsistentTree(t *testing.T) {
	f := newFixture(t)
	f.log.add(t, "a", "b", "c")
	if _, err := f.add(0, nil, f.log.checkpoint(t)); err != nil {
		t.Fatal(err)
	}
	// A second database with the same log key, diverged after leaf 2.
	other := &memLog{signer: f.log.signer}
	other.add(t, "a", "b", "X", "d")
	f.log.add(t, "d")
	cosigned := f.log.checkpoint(t)
	if _, err := f.add(3, f.log.proofFrom(t, 3), cosigned); err != nil {
		t.Fatal(err)
	}
	// Same size, another tree.
	_, err := f.add(4, nil, other.checkpoint(t))
	wantStatus(t, err, http.StatusConflict)
	// A larger tree of the other branch, with its own proof from 4 (which
	// proves it extends its own tree of 4, not the cosigned one).
	other.add(t, "e", "f")
	_, err = f.add(4, other.proofFrom(t, 4), other.checkpoint(t))
	wantStatus(t, err, http.StatusUnprocessableEntity)
	if len(f.logged) != 2 || !strings.Contains(f.logged[0], "fork") || !strings.Contains(f.logged[1], "does not extend") {
		t.Errorf("logged %q, want the two refusals as evidence", f.logged)
	}
	// The witness still holds the tree it cosigned.
	latest, _ := f.witness.state.Latest(origin)
	if latest != cosigned {
		t.Errorf("state %q, want %q", latest, cosigned)
	}
}

func TestPersistsAcrossRestart(t *testing.T) {
	f := newFixture(t)
	f.log.add(t, "a", "b", "c")
	if _, err := f.add(0, nil, f.log.checkpoint(t)); err != nil {
		t.Fatal(err)
	}
	f.start(t) // a new process on the same state file
	f.log.add(t, "d")
	_, err := f.add(0, nil, f.log.checkpoint(t))
	wantConflict(t, err, 3)
	if _, err := f.add(3, f.log.proofFrom(t, 3), f.log.checkpoint(t)); err != nil {
		t.Fatal(err)
	}
	f.start(t)
	_, err = f.add(3, nil, f.log.checkpoint(t))
	wantConflict(t, err, 4)
}

func TestRefusesUnknownLogAndBadSignatures(t *testing.T) {
	f := newFixture(t)
	f.log.add(t, "a")
	// Another log.
	skey, _, _ := translog.GenerateKey("elsewhere.test/log")
	s, _ := translog.NewSigner(skey)
	other := &memLog{signer: s}
	other.add(t, "a")
	_, err := f.add(0, nil, other.checkpoint(t))
	wantStatus(t, err, http.StatusNotFound)
	// The right origin, signed by another key of the same name.
	skey, _, _ = translog.GenerateKey(origin)
	s, _ = translog.NewSigner(skey)
	impostor := &memLog{signer: s}
	impostor.add(t, "a")
	_, err = f.add(0, nil, impostor.checkpoint(t))
	wantStatus(t, err, http.StatusForbidden)
	// Garbage.
	_, err = f.add(0, nil, "not a checkpoint")
	wantStatus(t, err, http.StatusBadRequest)
	// A proof from size 0.
	_, err = f.add(0, []tlog.Hash{{1}}, f.log.checkpoint(t))
	wantStatus(t, err, http.StatusBadRequest)
}

func TestRequestFormat(t *testing.T) {
	proof := []tlog.Hash{{1}, {2}}
	body := FormatRequest(20852014, proof, "cp\n")
	old, p, cp, err := ParseRequest(body)
	if err != nil || old != 20852014 || len(p) != 2 || p[1] != proof[1] || cp != "cp\n" {
		t.Fatalf("ParseRequest(%q) = %d %v %q %v", body, old, p, cp, err)
	}
	for _, bad := range []string{"", "old\n\n", "old 01\n\n", "old -1\n\n", "old 1\nnot base64\n\n", "old 1\n"} {
		if _, _, _, err := ParseRequest([]byte(bad)); err == nil {
			t.Errorf("ParseRequest(%q) succeeded", bad)
		}
	}
}
