package portal

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// settable returns a clock that stands still until add moves it.
func settable(t0 time.Time) (now func() time.Time, add func(time.Duration)) {
	var at atomic.Int64
	at.Store(t0.UnixNano())
	return func() time.Time { return time.Unix(0, at.Load()) }, func(d time.Duration) { at.Add(int64(d)) }
}

// waitFor admits ip in a goroutine and returns the channel its outcome
// arrives on: the release function, or nil and the error.
type admitted struct {
	release func()
	err     error
}

func waitFor(s *scheduler, ctx context.Context, ip string) chan admitted {
	ch := make(chan admitted, 1)
	go func() {
		r, err := s.admit(ctx, ip)
		ch <- admitted{r, err}
	}()
	return ch
}

// waiting returns once n requests wait.
func waiting(t *testing.T, s *scheduler, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		s.mu.Lock()
		got := len(s.waiting)
		s.mu.Unlock()
		if got == n {
			return
		}
	}
	t.Fatalf("%d requests never came to wait", n)
}

// TestSchedulerLightFirst: with the one slot taken, a request of an address
// that has used the portal little goes before the waiting requests of one
// that has used it a lot, whatever the order they came in.
func TestSchedulerLightFirst(t *testing.T) {
	now, add := settable(time.Unix(1e9, 0))
	s := newScheduler(1, 64, now)
	ctx := context.Background()
	// heavy uses the slot for 3 s.
	r, err := s.admit(ctx, "heavy")
	if err != nil {
		t.Fatal(err)
	}
	add(3 * time.Second)
	r()
	hold, err := s.admit(ctx, "heavy")
	if err != nil {
		t.Fatal(err)
	}
	h1 := waitFor(s, ctx, "heavy")
	waiting(t, s, 1)
	h2 := waitFor(s, ctx, "heavy")
	waiting(t, s, 2)
	light := waitFor(s, ctx, "light")
	waiting(t, s, 3)
	hold()
	got := <-light
	if got.err != nil {
		t.Fatal(got.err)
	}
	select {
	case <-h1:
		t.Fatal("a heavy user's request went with the light one's slot")
	case <-h2:
		t.Fatal("a heavy user's request went with the light one's slot")
	default:
	}
	got.release()
	a := <-h1 // then the heavy ones, in the order they came
	if a.err != nil {
		t.Fatal(a.err)
	}
	a.release()
	b := <-h2
	if b.err != nil {
		t.Fatal(b.err)
	}
	b.release()
	if s.busy != 0 {
		t.Fatalf("%d slots busy after every release", s.busy)
	}
}

// TestSchedulerBounds: a full waiting room takes a lighter user's request
// by evicting the heaviest one's, and refuses a heavier one.
func TestSchedulerBounds(t *testing.T) {
	now, add := settable(time.Unix(1e9, 0))
	s := newScheduler(1, 3, now)
	ctx := context.Background()
	for _, ip := range []string{"a", "b"} { // a used 5 s, b 1 s
		r, err := s.admit(ctx, ip)
		if err != nil {
			t.Fatal(err)
		}
		add(map[string]time.Duration{"a": 5 * time.Second, "b": time.Second}[ip])
		r()
	}
	hold, _ := s.admit(ctx, "c")
	a1 := waitFor(s, ctx, "a")
	waiting(t, s, 1)
	a2 := waitFor(s, ctx, "a")
	waiting(t, s, 2)
	b1 := waitFor(s, ctx, "b")
	waiting(t, s, 3)
	// Full: the lighter b evicts a's latest request.
	b2 := waitFor(s, ctx, "b")
	if got := <-a2; !errors.Is(got.err, errBusy) {
		t.Fatalf("the heaviest waiter was not evicted: %v", got.err)
	}
	waiting(t, s, 3)
	// The heavier a is refused outright.
	if _, err := s.admit(ctx, "a"); !errors.Is(err, errBusy) {
		t.Fatalf("a heavier request took the place of a lighter one: %v", err)
	}
	hold()
	for _, ch := range []chan admitted{b1, b2, a1} {
		got := <-ch
		if got.err != nil {
			t.Fatal(got.err)
		}
		got.release()
	}
}

// TestSchedulerCancel: a client that gives up while waiting leaves the
// waiting room, and the slots add up.
func TestSchedulerCancel(t *testing.T) {
	s := newScheduler(1, 8, time.Now)
	hold, _ := s.admit(context.Background(), "x")
	ctx, cancel := context.WithCancel(context.Background())
	w := waitFor(s, ctx, "y")
	waiting(t, s, 1)
	cancel()
	if got := <-w; !errors.Is(got.err, context.Canceled) {
		t.Fatalf("a cancelled wait: %v", got.err)
	}
	waiting(t, s, 0)
	hold()
	r, err := s.admit(context.Background(), "z")
	if err != nil || s.busy != 1 {
		t.Fatalf("after a cancel: %v, %d busy", err, s.busy)
	}
	r()
}

// TestSchedulerConcurrent: many addresses at once never get more than the
// slots, and every request is served or refused, none lost.
func TestSchedulerConcurrent(t *testing.T) {
	s := newScheduler(3, 16, time.Now)
	var inService, most, served, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ip := string(rune('a' + i%7))
			for range 50 {
				r, err := s.admit(context.Background(), ip)
				if err != nil {
					refused.Add(1)
					continue
				}
				n := inService.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(10 * time.Microsecond)
				inService.Add(-1)
				served.Add(1)
				r()
			}
		}()
	}
	wg.Wait()
	if most.Load() > 3 {
		t.Fatalf("%d requests in service at once with 3 slots", most.Load())
	}
	if served.Load()+refused.Load() != 64*50 || served.Load() == 0 {
		t.Fatalf("served %d, refused %d of %d", served.Load(), refused.Load(), 64*50)
	}
	if s.busy != 0 || len(s.waiting) != 0 {
		t.Fatalf("left: %d busy, %d waiting", s.busy, len(s.waiting))
	}
}

// TestSchedulerYield: a request that yields its slot (waiting for its
// group's commit) lets the next one in at once, and its own release later
// frees nothing twice.
func TestSchedulerYield(t *testing.T) {
	s := newScheduler(1, 8, time.Now)
	r, err := s.admit(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	ctx := withSlot(context.Background(), r)
	next := waitFor(s, context.Background(), "b")
	waiting(t, s, 1)
	yieldSlot(ctx)
	got := <-next
	if got.err != nil {
		t.Fatal(got.err)
	}
	r() // the deferred release: a no-op now
	if s.busy != 1 {
		t.Fatalf("%d slots busy, want 1 (b's)", s.busy)
	}
	got.release()
	yieldSlot(context.Background()) // no slot: nothing happens
	if s.busy != 0 {
		t.Fatalf("%d slots busy after every release", s.busy)
	}
}
