package portal

import (
	"container/heap"
	"context"
	"math"
	"sync"
	"time"

	"github.com/meshpass/meshpass/shared/mmm"
)

// scheduler admits requests to the portal's work a few at a time and, when
// they must wait, serves first those whose client address has used the
// portal least lately (service time, decayed with usageHalfLife). A flood
// from a few addresses then waits behind itself instead of in front of
// everyone else: an honest device that asks now and then finds at most
// the requests already in service ahead of it.
//
// The waiting room is bounded (maxWaiting): past that the heaviest user's
// request is refused with 503 and Retry-After, never the lighter one's, so
// one address filling it only pushes out its own requests. Rate limits (limiter) still cap
// what each address may ask; the scheduler orders what they let through.
type scheduler struct {
	slots      int
	maxWaiting int

	mu      sync.Mutex
	busy    int
	waiting waitQueue
	seq     uint64
	usage   map[string]*usage
	swept   time.Time
	now     func() time.Time
}

// usage is an address's decayed service time, in seconds, as of last.
type usage struct {
	seconds float64
	last    time.Time
}

// waiter is a request waiting for a slot.
type waiter struct {
	ip    string
	usage float64
	seq   uint64
	index int
	// ready gets nil when the request may go on, or the error it is
	// refused with (evicted by a lighter user's request).
	ready chan error
}

// usageHalfLife is how fast an address's past use is forgiven.
const usageHalfLife = 10 * time.Second

// errBusy refuses a request the waiting room has no place for.
var errBusy = mmm.Errorf(mmm.StatusServiceUnavailable, "the portal is busy with requests from addresses that asked less; retry in a few seconds")

func newScheduler(slots, maxWaiting int, now func() time.Time) *scheduler {
	if slots <= 0 {
		return nil
	}
	return &scheduler{slots: slots, maxWaiting: max(maxWaiting, 1), usage: map[string]*usage{}, now: now}
}

// admit waits until the request from ip may be served and returns the
// function to call when it is done; or it fails (errBusy, or ctx's error
// when the client gave up waiting).
func (s *scheduler) admit(ctx context.Context, ip string) (release func(), err error) {
	if s == nil {
		return func() {}, nil
	}
	s.mu.Lock()
	now := s.now()
	if s.busy < s.slots && len(s.waiting) == 0 {
		s.busy++
		s.mu.Unlock()
		return s.releaser(ip, now), nil
	}
	w := &waiter{ip: ip, usage: s.used(ip, now), seq: s.seq, ready: make(chan error, 1)}
	s.seq++
	if len(s.waiting) >= s.maxWaiting {
		// Room for the lighter user only: evict the heaviest waiter.
		heaviest := s.waiting.heaviest()
		if heaviest == nil || !heaviest.after(w) {
			s.mu.Unlock()
			return nil, errBusy
		}
		s.remove(heaviest)
		heaviest.ready <- errBusy
	}
	heap.Push(&s.waiting, w)
	s.mu.Unlock()

	select {
	case err := <-w.ready:
		if err != nil {
			return nil, err
		}
		return s.releaser(ip, s.now()), nil
	case <-ctx.Done():
		s.mu.Lock()
		if w.index >= 0 {
			s.remove(w)
			s.mu.Unlock()
			return nil, ctx.Err()
		}
		s.mu.Unlock()
		// A slot was handed over just as the client left: give it back.
		if err := <-w.ready; err == nil {
			s.releaser(ip, s.now())()
		}
		return nil, ctx.Err()
	}
}

// slotKey is the context key of a request's slot release function.
type slotKey struct{}

// withSlot returns ctx carrying release, the function that frees the
// request's slot, so that a request that goes on to wait for something
// other than the CPU (its group's commit and fsync) can give the slot to
// the next request early (yieldSlot).
func withSlot(ctx context.Context, release func()) context.Context {
	return context.WithValue(ctx, slotKey{}, release)
}

// yieldSlot frees the slot of the request ctx belongs to, if it holds one
// (releasing twice is a no-op).
func yieldSlot(ctx context.Context) {
	if release, ok := ctx.Value(slotKey{}).(func()); ok {
		release()
	}
}

// releaser returns the function that frees the slot taken at start,
// charges ip the time served and hands the slot to the lightest waiter.
func (s *scheduler) releaser(ip string, start time.Time) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			now := s.now()
			u := s.usage[ip]
			if u == nil {
				u = &usage{last: now}
				s.usage[ip] = u
			}
			u.seconds = s.used(ip, now) + now.Sub(start).Seconds()
			u.last = now
			if len(s.waiting) > 0 {
				w := heap.Pop(&s.waiting).(*waiter)
				w.ready <- nil // the slot passes to w
				return
			}
			s.busy--
			if len(s.usage) > 10000 && now.Sub(s.swept) > time.Minute {
				s.sweep(now)
			}
		})
	}
}

// used is ip's decayed usage at now; s.mu is held.
func (s *scheduler) used(ip string, now time.Time) float64 {
	u := s.usage[ip]
	if u == nil {
		return 0
	}
	return u.seconds * math.Exp2(-now.Sub(u.last).Seconds()/usageHalfLife.Seconds())
}

// sweep forgets addresses whose usage has decayed to nothing; s.mu is held.
func (s *scheduler) sweep(now time.Time) {
	s.swept = now
	for ip := range s.usage {
		if s.used(ip, now) < 1e-4 {
			delete(s.usage, ip)
		}
	}
}

// remove takes w out of the waiting room; s.mu is held.
func (s *scheduler) remove(w *waiter) {
	heap.Remove(&s.waiting, w.index)
}

// after reports whether w is served after o: more usage, or the same and
// later.
func (w *waiter) after(o *waiter) bool {
	if w.usage != o.usage {
		return w.usage > o.usage
	}
	return w.seq > o.seq
}

// waitQueue is a heap of waiters, the lightest user first.
type waitQueue []*waiter

func (q waitQueue) Len() int           { return len(q) }
func (q waitQueue) Less(i, j int) bool { return q[j].after(q[i]) }
func (q waitQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}

func (q *waitQueue) Push(x any) {
	w := x.(*waiter)
	w.index = len(*q)
	*q = append(*q, w)
}

func (q *waitQueue) Pop() any {
	old := *q
	w := old[len(old)-1]
	old[len(old)-1] = nil
	w.index = -1
	*q = old[:len(old)-1]
	return w
}

// heaviest returns the waiter served last, or nil.
func (q waitQueue) heaviest() *waiter {
	var h *waiter
	for _, w := range q {
		if h == nil || w.after(h) {
			h = w
		}
	}
	return h
}
