//go:build !js

package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshpass/meshpass/shared/client/clienttest"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/witness"
)

// swapState is a witness state that a test can replace: a witness that
// forgets what it cosigned colludes with a portal that forks its log.
type swapState struct {
	mu  sync.Mutex
	cur witness.State
}

func (s *swapState) Latest(origin string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur.Latest(origin)
}

func (s *swapState) Put(origin, cp string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur.Put(origin, cp)
}

func (s *swapState) forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur = &witness.MemState{}
}

type testWitness struct {
	w     *witness.Witness
	state *swapState
	url   string
}

// witnessedPortal starts n witnesses (httptest, on clk) and a real test
// portal whose checkpoints they cosign, k required.
func witnessedPortal(t *testing.T, n, k int, clk *clock) (*clienttest.Portal, []*testWitness) {
	t.Helper()
	var ws []*testWitness
	var cfg []clienttest.Witness
	for i := range n {
		skey, _, err := translog.GenerateWitnessKey(fmt.Sprintf("witness.test/w%d", i+1))
		must(t, err)
		cs, err := translog.NewCosigner(skey, clk.now)
		must(t, err)
		st := &swapState{cur: &witness.MemState{}}
		w, err := witness.New(cs, nil, st)
		must(t, err)
		w.Logf = t.Logf
		srv := httptest.NewServer(w)
		t.Cleanup(srv.Close)
		ws = append(ws, &testWitness{w: w, state: st, url: srv.URL})
		cfg = append(cfg, clienttest.Witness{URL: srv.URL, VerifierKey: w.VerifierKey()})
	}
	p := clienttest.NewWitnessed(t, cfg, k)
	// The portal's log key is made with it: the witnesses learn it now.
	var h mmm.HelloResponse
	must(t, (&Transport{HTTP: p.Client()}).Do(context.Background(), p.URL, &mmm.HelloRequest{}, &h))
	if len(h.Witnesses) != n || h.WitnessQuorum != k {
		t.Fatalf("Hello reports witnesses %q, quorum %d", h.Witnesses, h.WitnessQuorum)
	}
	origin, _, _ := strings.Cut(h.LogKey, "+")
	for _, w := range ws {
		must(t, w.w.AddLog(origin, h.LogKey))
	}
	return p, ws
}

// clientAt is newClient on clk.
func clientAt(t *testing.T, p *clienttest.Portal, clk *clock) *Client {
	t.Helper()
	c, err := Open(Options{Storage: NewMemoryStorage(), Transport: &Transport{HTTP: p.Client()}, Params: testParams, Now: clk.now})
	must(t, err)
	return c
}

// statusCheckpoint returns the portal's checkpoint as Status serves it.
func statusCheckpoint(t *testing.T, p *clienttest.Portal) string {
	t.Helper()
	var sr mmm.StatusResponse
	must(t, (&Transport{HTTP: p.Client()}).Do(context.Background(), p.URL, &mmm.StatusRequest{}, &sr))
	return sr.Checkpoint
}

func TestWitnessedPortal(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Now()}
	p, ws := witnessedPortal(t, 2, 2, clk)
	a := clientAt(t, p, clk)
	must(t, a.Create(ctx, p.URL, "alice", "passphrase A", "laptop"))
	if len(a.st.Witnesses) != 2 || a.st.WitnessQuorum != 2 {
		t.Fatalf("pinned witnesses %q, quorum %d", a.st.Witnesses, a.st.WitnessQuorum)
	}
	_, err := a.Add(ctx, entry("example.com", "a1", "secret1"))
	must(t, err)
	must(t, a.Sync(ctx))
	n, err := a.CheckLog(ctx)
	must(t, err)

	// The checkpoint served carries both cosignatures, which verify.
	logv, _ := translog.NewVerifiers(a.st.LogKey)
	set, _ := translog.NewWitnesses([]string{ws[0].w.VerifierKey(), ws[1].w.VerifierKey()}, 2)
	co, err := translog.OpenCosigned(statusCheckpoint(t, p), logv, set)
	must(t, err)
	if co.Tree.N != n || co.Count != 2 {
		t.Errorf("Status: a tree of %d leaves cosigned %d times; CheckLog says %d leaves", co.Tree.N, co.Count, n)
	}
	s := a.Log()
	if s.Size != n || len(s.Code) != 19 || s.Witnesses != 2 || s.Quorum != 2 || s.Stale || s.Age > time.Minute {
		t.Errorf("Log() = %+v", s)
	}
	// A second device of another account sees the same log code once it
	// has verified the same tree.
	c := clientAt(t, p, clk)
	must(t, c.Create(ctx, p.URL, "carol", "passphrase C", "laptop"))
	_, err = a.CheckLog(ctx)
	must(t, err)
	_, err = c.CheckLog(ctx)
	must(t, err)
	if sa, sc := a.Log(), c.Log(); sa.Size != sc.Size || sa.Code != sc.Code {
		t.Errorf("two devices on one log: %d %s and %d %s", sa.Size, sa.Code, sc.Size, sc.Code)
	}

	// A checkpoint stripped of one cosignature is refused.
	p.SetRewrite(func(typ string, _, resp []byte) []byte {
		if typ != "StatusRequest" {
			return nil
		}
		var sr mmm.StatusResponse
		must(t, mmm.DecodeResponse(bytes.NewReader(resp), &sr))
		i := strings.LastIndex(strings.TrimSuffix(sr.Checkpoint, "\n"), "\n")
		sr.Checkpoint = sr.Checkpoint[:i+1]
		out, _ := mmm.Encode(&sr)
		return out
	})
	_, err = a.CheckLog(ctx)
	if !errors.Is(err, ErrUnwitnessed) || !errors.Is(err, ErrLog) {
		t.Fatalf("a checkpoint with one cosignature of two: %v", err)
	}
	t.Logf("one cosignature of two: %v", err)
}

func TestWitnessedFork(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Now()}
	p, ws := witnessedPortal(t, 2, 2, clk)
	a := clientAt(t, p, clk)
	must(t, a.Create(ctx, p.URL, "alice", "passphrase A", "laptop"))
	c := clientAt(t, p, clk)
	must(t, c.Create(ctx, p.URL, "carol", "passphrase C", "laptop"))
	must(t, a.Sync(ctx))
	must(t, c.Sync(ctx))

	// The portal keeps a copy of its database and log key: its fork.
	fork := p.Fork(t)
	// Alice writes on the real log, which the witnesses cosign.
	_, err := a.Add(ctx, entry("example.com", "a1", "secret1"))
	must(t, err)
	must(t, a.Sync(ctx))
	seen := a.Log()
	t.Logf("alice sees %+v; status %q", seen, statusCheckpoint(t, p))

	// Witness 2 colludes with the portal (it forgets what it cosigned);
	// witness 1 does not.
	ws[1].state.forget()
	// The portal shows carol the fork: everything she asks is answered
	// there, where she writes too.
	c.opts.Transport = &Transport{HTTP: redirect(p, fork)}
	_, err = c.Add(ctx, entry("example.org", "c1", "secret C"))
	if err == nil || errors.Is(err, ErrPending) {
		// A write kept as pending is published at the next sync.
		err = c.Sync(ctx)
	}
	if !errors.Is(err, ErrUnwitnessed) {
		t.Fatalf("carol on the forked log (one witness of two cosigns it): %v", err)
	}
	t.Logf("carol shown the fork: %v", err)
	// Witness 1 still holds alice's tree: it refused the fork.
	st, _ := translog.NewVerifiers(a.st.LogKey)
	origin, _, _ := strings.Cut(a.st.LogKey, "+")
	latest, _ := ws[0].state.Latest(origin)
	if tree, err := translog.OpenCheckpoint(latest, st); err != nil || tree.N != seen.Size {
		t.Errorf("witness 1 holds a tree of %d leaves (%v), alice's has %d", tree.N, err, seen.Size)
	}

	// Alice is shown the fork: it does not extend what she verified.
	live := a.opts.Transport
	a.opts.Transport = &Transport{HTTP: redirect(p, fork)}
	err = a.Sync(ctx)
	if !errors.Is(err, ErrFork) || !errors.Is(err, ErrLog) {
		t.Fatalf("alice shown the fork: %v", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(seen.Size)) {
		t.Errorf("the fork error does not name the tree of %d leaves alice verified: %v", seen.Size, err)
	}
	t.Logf("alice shown the fork: %v", err)
	if got := a.Log(); got.Size != seen.Size || got.Code != seen.Code {
		t.Errorf("alice's verified log changed: %+v, was %+v", got, seen)
	}
	// Back on the real log, alice goes on.
	a.opts.Transport = live
	must(t, a.Sync(ctx))
}

// redirect returns an HTTP client that sends what is addressed to from to
// to instead: the portal at from's URL answers with another database.
func redirect(from, to *clienttest.Portal) *http.Client {
	target, _ := url.Parse(to.URL)
	base := to.Client().Transport
	if base == nil {
		base = http.DefaultTransport
	}
	return &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		if strings.HasPrefix(r.URL.String(), from.URL) {
			r = r.Clone(r.Context())
			r.URL.Scheme, r.URL.Host, r.Host = target.Scheme, target.Host, target.Host
		}
		return base.RoundTrip(r)
	})}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestWitnessedFreeze(t *testing.T) {
	ctx := context.Background()
	wclk := &clock{t: time.Now()}
	p, _ := witnessedPortal(t, 2, 2, wclk)
	aclk := &clock{t: time.Now()}
	a := clientAt(t, p, aclk)
	must(t, a.Create(ctx, p.URL, "alice", "passphrase A", "laptop"))
	_, err := a.Add(ctx, entry("example.com", "a1", "secret1"))
	must(t, err)
	must(t, a.Sync(ctx))
	if age, stale := a.Freshness(); stale || age > time.Minute {
		t.Fatalf("Freshness after a sync: %v %v", age, stale)
	}

	// The portal freezes alice's view: it replays its last answers to her
	// while the log goes on for others.
	replay := map[string][]byte{}
	for _, typ := range []string{"GetRequest", "GetRecordsRequest", "StatusRequest"} {
		if e := p.Last(typ); e != nil {
			replay[typ] = e.Response
		}
	}
	if _, err := a.CheckLog(ctx); err != nil {
		t.Fatal(err)
	}
	replay["StatusRequest"] = p.Last("StatusRequest").Response
	wclk.add(25 * time.Hour)
	aclk.add(25 * time.Hour)
	c := clientAt(t, p, wclk)
	must(t, c.Create(ctx, p.URL, "carol", "passphrase C", "laptop"))
	p.SetRewrite(func(typ string, _, _ []byte) []byte { return replay[typ] })

	// Every check passes, but the cosignatures are a day old.
	must(t, a.Sync(ctx))
	_, err = a.CheckLog(ctx)
	must(t, err)
	age, stale := a.Freshness()
	if !stale || age < 25*time.Hour {
		t.Fatalf("a frozen view after 25 h: Freshness %v %v", age, stale)
	}
	t.Logf("frozen: the witnesses last vouched %v ago", age)

	// Unfrozen, alice sees the witnesses' fresh cosignatures.
	p.SetRewrite(nil)
	must(t, a.Sync(ctx))
	if age, stale := a.Freshness(); stale || age > time.Minute {
		t.Fatalf("Freshness back on the live log: %v %v", age, stale)
	}
	// A shorter window flags it sooner.
	a.opts.Freshness = time.Second
	aclk.add(time.Minute)
	if _, stale := a.Freshness(); !stale {
		t.Error("a one-second window: not stale after a minute")
	}
}

func TestNoWitnessesLog(t *testing.T) {
	ctx := context.Background()
	p := clienttest.New(t)
	a, _ := createAlice(t, p)
	must(t, a.Sync(ctx))
	s := a.Log()
	if s.Witnesses != 0 || s.Stale || s.Age != 0 || s.Size == 0 || len(s.Code) != 19 {
		t.Errorf("Log() without witnesses = %+v", s)
	}
	if age, stale := a.Freshness(); age != 0 || stale {
		t.Errorf("Freshness without witnesses: %v %v", age, stale)
	}
}

// TestWitnessMinority: a portal asking for half of its witnesses or fewer
// is refused at first contact: two halves of honest witnesses could each
// cosign one branch of a forked log.
func TestWitnessMinority(t *testing.T) {
	clk := &clock{t: time.Now()}
	p, _ := witnessedPortal(t, 2, 1, clk)
	err := clientAt(t, p, clk).Create(context.Background(), p.URL, "alice", "passphrase A", "laptop")
	if !errors.Is(err, ErrLog) || !strings.Contains(err.Error(), "more than half") {
		t.Fatalf("1 of 2 witnesses: %v", err)
	}
}
