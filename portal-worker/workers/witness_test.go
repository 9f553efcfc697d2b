//go:build unix && !js

package workers_test

import (
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/witness"
)

// TestWitnessesWorkerd: the worker on Workers gathers its checkpoints'
// cosignatures from the witnesses WITNESSES names (fetch from the
// isolate), and Hello reports them.
func TestWitnessesWorkerd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts workerd")
	}
	if os.Getenv("MESHPASS_SKIP_WORKERD") == "1" {
		t.Skip("MESHPASS_SKIP_WORKERD=1")
	}
	var ws []*witness.Witness
	var cfg, keys []string
	for _, name := range []string{"witness.test/w1", "witness.test/w2"} {
		skey, _, err := translog.GenerateWitnessKey(name)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := translog.NewCosigner(skey, nil)
		if err != nil {
			t.Fatal(err)
		}
		w, err := witness.New(cs, nil, &witness.MemState{})
		if err != nil {
			t.Fatal(err)
		}
		w.Logf = t.Logf
		srv := httptest.NewServer(w)
		t.Cleanup(srv.Close)
		ws = append(ws, w)
		cfg = append(cfg, srv.URL+"="+w.VerifierKey())
		keys = append(keys, w.VerifierKey())
	}
	wk := startWorker(t, time.Hour, "WITNESSES", strings.Join(cfg, " "), "WITNESS_QUORUM", "2")
	var hello mmm.HelloResponse
	if err := post(wk.URL, &mmm.HelloRequest{}, &hello); err != nil {
		t.Fatal(err)
	}
	if len(hello.Witnesses) != 2 || hello.WitnessQuorum != 2 {
		t.Fatalf("Hello reports witnesses %q, quorum %d", hello.Witnesses, hello.WitnessQuorum)
	}
	origin, _, _ := strings.Cut(hello.LogKey, "+")
	for _, w := range ws {
		if err := w.AddLog(origin, hello.LogKey); err != nil {
			t.Fatal(err)
		}
	}
	p, err := profiletest.NewPerson(1)
	if err != nil {
		t.Fatal(err)
	}
	var cr mmm.CreateResponse
	if err := post(wk.URL, &mmm.CreateRequest{Account: "alice", Profile: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}}, &cr); err != nil {
		t.Fatal(err)
	}
	logv, _ := translog.NewVerifiers(hello.LogKey)
	set, _ := translog.NewWitnesses(keys, 2)
	co, err := translog.OpenCosigned(cr.Log.Checkpoint, logv, set)
	if err != nil {
		t.Fatalf("the Create's checkpoint: %v\n%s", err, cr.Log.Checkpoint)
	}
	var sr mmm.StatusResponse
	if err := post(wk.URL, &mmm.StatusRequest{}, &sr); err != nil {
		t.Fatal(err)
	}
	if c2, err := translog.OpenCosigned(sr.Checkpoint, logv, set); err != nil || c2.Tree != co.Tree {
		t.Fatalf("Status: %v %v", c2, err)
	}
}
