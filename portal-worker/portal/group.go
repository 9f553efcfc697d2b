package portal

import (
	"context"
	"errors"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/translog"
)

// Group commit (GroupStore): a write joins the queue, then waits for the
// log's lock. Whoever takes the lock with its own write still queued
// writes the queue's first maxGroup writes as one group, in queue order,
// in one transaction: each is placed at the log's next leaf and written
// in a savepoint, and one the Store refuses (a version conflict, a quota)
// is answered with its own error and takes no leaf, so the next write
// takes that leaf instead. After the last, one checkpoint of the grown
// tree is signed and stored, and the transaction commits (one fsync).
// Only then are the writers answered, each with the inclusion proof of
// its leaf in that tree: acknowledged means durable. A commit that fails
// writes nothing and fails the whole group.

// maxGroup is the most writes one group commit holds.
const maxGroup = 128

// queuedWrite is one write waiting for, or written by, a group commit.
type queuedWrite struct {
	w            *write
	data, escrow []byte
	// Set by the group commit, under the log's lock, before done.
	done   bool
	proofs []*mmm.LogProof
	err    error
	// first is the write's first leaf in the group being written; -1
	// when it takes none.
	first int64
}

// writeQueue is the writes waiting for a group commit.
type writeQueue struct {
	mu      sync.Mutex
	waiting []*queuedWrite
}

func (q *writeQueue) push(w *queuedWrite) {
	q.mu.Lock()
	q.waiting = append(q.waiting, w)
	q.mu.Unlock()
}

// take removes and returns the first max writes.
func (q *writeQueue) take(max int) []*queuedWrite {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := min(len(q.waiting), max)
	group := make([]*queuedWrite, n)
	copy(group, q.waiting)
	q.waiting = append(q.waiting[:0], q.waiting[n:]...)
	return group
}

// appendGrouped logs and stores w in a group commit, returning once the
// group holding it committed (or failed).
func (p *portal) appendGrouped(ctx context.Context, gs GroupStore, w *write, data, escrow []byte) ([]*mmm.LogProof, error) {
	if err := p.precheck(ctx, w); err != nil {
		return nil, err
	}
	q := &queuedWrite{w: w, data: data, escrow: escrow}
	p.queue.push(q)
	// Verified: from here the write waits for its group's commit, not for
	// the CPU, so its slot goes to the next request (fair.go) and the
	// group can grow.
	yieldSlot(ctx)
	for !p.groupRound(ctx, gs, q) {
	}
	return q.proofs, q.err
}

// groupRound takes the log's lock; if q is written by then it reports
// true, else it writes the queue's first group (which may hold q).
func (p *portal) groupRound(ctx context.Context, gs GroupStore, q *queuedWrite) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	// q is either written (done) or still queued: a group is taken and
	// finished under p.mu.
	if q.done {
		return true
	}
	group := p.queue.take(maxGroup)
	defer func() {
		// A panic answers the group's writes (ServeHTTP recovers it for
		// this one) rather than leave them waiting.
		if v := recover(); v != nil {
			for _, g := range group {
				if !g.done {
					g.proofs, g.err, g.done = nil, mmm.Errorf(mmm.StatusInternalError, "internal error"), true
				}
			}
			panic(v)
		}
	}()
	// The group outlives this request: other writers wait for it.
	p.commitGroup(context.WithoutCancel(ctx), gs, group)
	return false
}

// commitGroup writes group (under p.mu) and answers every write in it.
func (p *portal) commitGroup(ctx context.Context, gs GroupStore, group []*queuedWrite) {
	var err error
	for attempt := 0; attempt <= maxAppendAttempts; attempt++ {
		if err = p.tryGroup(ctx, gs, group); !errors.Is(err, ErrLogMoved) {
			break
		}
	}
	switch {
	case errors.Is(err, ErrLogMoved):
		err = errLogKeptMoving
	case err != nil:
		err = storeErr(err, "write")
	}
	for _, q := range group {
		if err != nil && q.err == nil {
			q.proofs, q.err = nil, err
		}
		q.done = true
	}
}

// tryGroup places group on the log as it is now and writes it in one
// transaction. ErrLogMoved (another process appended) means nothing was
// written and the group may be tried again.
func (p *portal) tryGroup(ctx context.Context, gs GroupStore, group []*queuedWrite) error {
	for _, q := range group {
		q.proofs, q.err, q.first = nil, nil, -1
	}
	n, _, err := p.store.Latest(ctx)
	if err != nil {
		return err
	}
	hr := p.hashReader(ctx)
	base := tlog.StoredHashCount(n)
	var (
		added []tlog.Hash // the stored hashes the group adds from base on
		tree  tlog.Tree
		cp    string
	)
	err = gs.AppendGroup(ctx, func(g Group) error {
		size := n
		for _, q := range group {
			a, t, err := p.build(translog.Overlay(hr, base, added), size, q.w, q.data, q.escrow)
			if err != nil {
				q.err = err
				continue
			}
			if err := g.Append(ctx, a); err != nil {
				if errors.Is(err, ErrLogMoved) {
					return err
				}
				q.err = p.appendErr(ctx, q.w, err)
				continue
			}
			q.first, size, tree = size, t.N, t
			added = append(added, a.Hashes...)
		}
		if size == n {
			return nil // nothing to write: every write was refused
		}
		if cp, err = translog.SignCheckpoint(p.opts.Signer, tree); err != nil {
			return err
		}
		return g.Checkpoint(ctx, tree.N, cp)
	})
	if err != nil {
		return err
	}
	over := translog.Overlay(hr, base, added)
	for _, q := range group {
		if q.first < 0 {
			continue
		}
		leaves := int64(1)
		if q.escrow != nil {
			leaves = 2
		}
		q.proofs, q.err = p.prove(tree, q.first, q.first+leaves, cp, over)
	}
	return nil
}
