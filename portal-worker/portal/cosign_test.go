//go:build !js

package portal_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshpass/meshpass/portal-worker/conformance"
	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/witness"
)

// testWitness is a witness on a settable clock that can be taken down.
type testWitness struct {
	w    *witness.Witness
	srv  *httptest.Server
	down atomic.Bool
	mu   sync.Mutex
	now  time.Time
	hits atomic.Int32
}

func newTestWitness(t *testing.T, name, logKey string) *testWitness {
	t.Helper()
	tw := &testWitness{now: time.Now()}
	skey, _, err := translog.GenerateWitnessKey(name)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := translog.NewCosigner(skey, func() time.Time { tw.mu.Lock(); defer tw.mu.Unlock(); return tw.now })
	if err != nil {
		t.Fatal(err)
	}
	origin, _, _ := strings.Cut(logKey, "+")
	if tw.w, err = witness.New(cs, map[string][]string{origin: {logKey}}, &witness.MemState{}); err != nil {
		t.Fatal(err)
	}
	tw.w.Logf = t.Logf
	tw.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw.hits.Add(1)
		if tw.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		tw.w.ServeHTTP(w, r)
	}))
	t.Cleanup(tw.srv.Close)
	return tw
}

func (tw *testWitness) advance(d time.Duration) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	tw.now = tw.now.Add(d)
}

func witnessedOptions(t *testing.T, k int) (portal.Options, *conformance.Clock, []*testWitness) {
	opts, c := conformance.Options(t)
	var ws []*testWitness
	for _, name := range []string{"witness.test/w1", "witness.test/w2"} {
		tw := newTestWitness(t, name, opts.VerifierKey)
		ws = append(ws, tw)
		opts.Witnesses = append(opts.Witnesses, portal.Witness{URL: tw.srv.URL, VerifierKey: tw.w.VerifierKey()})
	}
	opts.WitnessQuorum = k
	if err := portal.CheckWitnesses(opts.Witnesses, k); err != nil {
		t.Fatal(err)
	}
	return opts, c, ws
}

// TestConformanceWitnessed: the conformance suite against a portal whose
// checkpoints two witnesses cosign.
func TestConformanceWitnessed(t *testing.T) {
	opts, c, _ := witnessedOptions(t, 2)
	opts.MaxAnswer = 32 << 10
	srv := httptest.NewServer(portal.New(newStore(t), opts))
	defer srv.Close()
	conformance.Run(t, conformance.Config{URL: srv.URL, Client: srv.Client(), Now: c.Now, Advance: c.Advance, MaxAnswer: opts.MaxAnswer})
}

func ask(t *testing.T, h http.Handler, req mmm.Request, resp mmm.Response) {
	t.Helper()
	b, err := mmm.Encode(req)
	if err != nil {
		t.Fatal(err)
	}
	w := post(h, "192.0.2.1:1", b)
	if err := mmm.DecodeResponse(bytes.NewReader(w.Body.Bytes()), resp); err != nil {
		t.Fatalf("%s: %v", req.MessageType(), err)
	}
	if err := resp.Outcome().Err(); err != nil {
		t.Fatalf("%s: %v", req.MessageType(), err)
	}
}

func TestCosigning(t *testing.T) {
	opts, c, ws := witnessedOptions(t, 2)
	h := portal.New(newStore(t), opts)
	logv, _ := translog.NewVerifiers(opts.VerifierKey)
	set, _ := translog.NewWitnesses([]string{ws[0].w.VerifierKey(), ws[1].w.VerifierKey()}, 2)
	var hello mmm.HelloResponse
	ask(t, h, &mmm.HelloRequest{}, &hello)
	if len(hello.Witnesses) != 2 || hello.WitnessQuorum != 2 {
		t.Fatalf("Hello: witnesses %q, quorum %d", hello.Witnesses, hello.WitnessQuorum)
	}
	// The empty log is not cosigned: nobody is asked.
	var sr mmm.StatusResponse
	ask(t, h, &mmm.StatusRequest{}, &sr)
	if ws[0].hits.Load() != 0 {
		t.Error("the empty log's checkpoint was sent to the witnesses")
	}

	create := func(account string) *mmm.LogProof {
		p, err := profiletest.NewPerson(1)
		if err != nil {
			t.Fatal(err)
		}
		var cr mmm.CreateResponse
		ask(t, h, &mmm.CreateRequest{Account: account, Profile: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}}, &cr)
		return cr.Log
	}
	// A write answers with a checkpoint both witnesses cosigned.
	proof := create("alice")
	co, err := translog.OpenCosigned(proof.Checkpoint, logv, set)
	if err != nil || co.Count != 2 {
		t.Fatalf("Create's checkpoint: %+v %v", co, err)
	}
	// Reads serve it without asking again.
	hits := ws[0].hits.Load()
	ask(t, h, &mmm.StatusRequest{}, &sr)
	if sr.Checkpoint != proof.Checkpoint || ws[0].hits.Load() != hits {
		t.Errorf("Status asked the witnesses again (%d → %d) or served another checkpoint", hits, ws[0].hits.Load())
	}

	// A witness down: the write stands, with one cosignature.
	ws[1].down.Store(true)
	proof = create("bob")
	if co, err := translog.OpenCosigned(proof.Checkpoint, logv, set); err == nil || co == nil || co.Count != 1 {
		t.Fatalf("with a witness down: %+v %v", co, err)
	}
	// Back up: reads wait 30 s before they ask again, then the checkpoint
	// is complete.
	ws[1].down.Store(false)
	ask(t, h, &mmm.StatusRequest{}, &sr)
	if co, _ := translog.OpenCosigned(sr.Checkpoint, logv, set); co.Count != 1 {
		t.Errorf("read within the 30 s after a failed round: %d cosignatures", co.Count)
	}
	c.Advance(31 * time.Second)
	ask(t, h, &mmm.StatusRequest{}, &sr)
	if co, err := translog.OpenCosigned(sr.Checkpoint, logv, set); err != nil || co.Tree.N != proof.TreeSize {
		t.Fatalf("after the witness is back: %+v %v", co, err)
	}

	// A log without writes is cosigned anew once its cosignatures are
	// older than CosignRefresh (1 h).
	before, _ := translog.OpenCosigned(sr.Checkpoint, logv, set)
	for _, w := range ws {
		w.advance(2 * time.Hour)
	}
	c.Advance(2 * time.Hour)
	ask(t, h, &mmm.StatusRequest{}, &sr)
	after, err := translog.OpenCosigned(sr.Checkpoint, logv, set)
	if err != nil || after.Tree != before.Tree || !after.Time.After(before.Time.Add(time.Hour)) {
		t.Fatalf("refreshed: %+v (was %+v), %v", after, before, err)
	}
}
