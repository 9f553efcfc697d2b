package conformance

import (
	"sync"
	"testing"
	"time"

	"github.com/meshpass/meshpass/portal-worker/portal"
	"github.com/meshpass/meshpass/shared/translog"
)

// Clock is a settable clock for a portal under test.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Options returns portal options with a fresh log key and a Clock set to
// now, for a portal under test.
func Options(t testing.TB) (portal.Options, *Clock) {
	t.Helper()
	skey, vkey, err := translog.GenerateKey("portal.test/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := translog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	c := &Clock{t: time.Now()}
	return portal.Options{Signer: signer, VerifierKey: vkey, Now: c.Now}, c
}
