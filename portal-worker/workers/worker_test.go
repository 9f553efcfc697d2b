//go:build unix && !js

package workers_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/meshpass/meshpass/portal-worker/conformance"
	"github.com/meshpass/meshpass/portal-worker/workers/workerd"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/translog"
)

// TestConformanceWorkerd runs the conformance suite against the worker
// build (js/wasm) in local workerd through wrangler dev, on a local D1
// database with the migrations applied by wrangler.
func TestConformanceWorkerd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts workerd")
	}
	if os.Getenv("MESHPASS_SKIP_WORKERD") == "1" {
		t.Skip("MESHPASS_SKIP_WORKERD=1")
	}
	const maxAnswer = 32 << 10
	w := startWorker(t, 5*time.Second, "MAX_ANSWER", fmt.Sprint(maxAnswer))
	conformance.Run(t, conformance.Config{
		URL:           w.URL,
		Now:           time.Now,
		PendingExpiry: 5 * time.Second,
		Advance:       func(d time.Duration) { time.Sleep(d) },
		MaxAnswer:     maxAnswer,
	})
}

// TestSignUpClosedWorkerd: the SIGN_UP setting on Workers.
func TestSignUpClosedWorkerd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts workerd")
	}
	if os.Getenv("MESHPASS_SKIP_WORKERD") == "1" {
		t.Skip("MESHPASS_SKIP_WORKERD=1")
	}
	w := startWorker(t, 5*time.Second, "SIGN_UP", "closed")
	var hello mmm.HelloResponse
	if err := post(w.URL, &mmm.HelloRequest{}, &hello); err != nil || hello.SignUp != mmm.SignUpClosed {
		t.Fatalf("Hello: %+v %v", hello, err)
	}
	p, err := profiletest.NewPerson(1)
	if err != nil {
		t.Fatal(err)
	}
	err = post(w.URL, &mmm.CreateRequest{Account: "alice", Profile: mmm.Entry{SignedPersonalProfile: p.SignedPersonal}}, &mmm.CreateResponse{})
	if mmm.StatusOf(err) != mmm.StatusForbidden {
		t.Fatalf("Create with sign-ups closed: %v", err)
	}
}

func post(base string, req mmm.Request, resp mmm.Response) error {
	body, err := mmm.Encode(req)
	if err != nil {
		return err
	}
	r, err := http.Post(base+mmm.Path, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer r.Body.Close()
	if err := mmm.DecodeResponse(r.Body, resp); err != nil {
		return err
	}
	return resp.Outcome().Err()
}

// startWorker builds the worker and starts it with a fresh log key, no rate
// limits, the given expiry of connection requests and other vars (name,
// value, …).
func startWorker(t testing.TB, expiry time.Duration, vars ...string) *workerd.Worker {
	t.Helper()
	root, err := workerd.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if err := workerd.Build(root); err != nil {
		t.Fatal(err)
	}
	skey, vkey, err := translog.GenerateKey("workerd.test/log")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"LOG_SIGNING_KEY": skey, "LOG_VERIFIER_KEY": vkey,
		"RATE_PER_IP": "0", "RATE_PER_ACCOUNT": "0", "CREATES_PER_HOUR": "0",
		"PENDING_EXPIRY_SECONDS": strings.TrimSuffix(expiry.String(), "s"),
	}
	for i := 0; i+1 < len(vars); i += 2 {
		env[vars[i]] = vars[i+1]
	}
	w, err := workerd.Start(workerd.Options{StateDir: t.TempDir(), Vars: env})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		w.Stop()
		if t.Failed() {
			t.Logf("wrangler log:\n%s", w.Log())
		}
	})
	return w
}
