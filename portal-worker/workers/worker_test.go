//go:build unix && !js

package workers_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/meshpass/meshpass/portal-worker/conformance"
	"github.com/meshpass/meshpass/portal-worker/workers/workerd"
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
	w := startWorker(t, 5*time.Second)
	conformance.Run(t, conformance.Config{
		URL:           w.URL,
		Now:           time.Now,
		PendingExpiry: 5 * time.Second,
		Advance:       func(d time.Duration) { time.Sleep(d) },
	})
}

// startWorker builds the worker and starts it with a fresh log key, no rate
// limits and the given expiry of connection requests.
func startWorker(t testing.TB, expiry time.Duration) *workerd.Worker {
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
	w, err := workerd.Start(workerd.Options{
		StateDir: t.TempDir(),
		Vars: map[string]string{
			"LOG_SIGNING_KEY": skey, "LOG_VERIFIER_KEY": vkey,
			"RATE_PER_IP": "0", "RATE_PER_ACCOUNT": "0",
			"PENDING_EXPIRY_SECONDS": strings.TrimSuffix(expiry.String(), "s"),
		},
	})
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
