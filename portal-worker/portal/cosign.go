package portal

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/translog"
	"github.com/meshpass/meshpass/witness"
)

// Witness cosignatures (C2SP tlog-witness, tlog-cosignature). With
// witnesses configured, the checkpoint the portal serves carries their
// cosignatures: the checkpoint of the latest tree, as stored with the last
// append, with the witnesses' signature lines added (Store.Cosign).
//
// When: a write (Create, Publish, AppendRecords) gathers cosignatures for
// the tree it made before it answers: one round trip to the witnesses, in
// parallel, after the write is stored and outside the log's lock, so
// writes are not serialized behind the witnesses. Rounds are one at a time
// per process: writes that come while a round is out wait for it, and
// the next round cosigns the latest tree, which holds them all (their
// inclusion proofs are then made in that tree): under load a round
// serves many writes. A read serves the stored checkpoint as it is when
// its cosignatures are complete and fresh; it gathers them first only
// when they are missing (a write whose round failed, an append by another
// process) or older than CosignRefresh, so that a log without writes stays
// visibly alive (clients warn when the quorum's newest cosignatures are
// older than their freshness window, 24 h by default). A failed round is
// not retried by reads for retryAfter. The empty log is never cosigned.

// Witness is a witness the portal asks for cosignatures.
type Witness struct {
	// URL is the witness's submission prefix: the portal posts to
	// URL/add-checkpoint.
	URL string
	// VerifierKey is its cosignature verifier key
	// (translog.GenerateWitnessKey).
	VerifierKey string
}

// Defaults of the witness options.
const (
	DefaultWitnessTimeout = 5 * time.Second
	DefaultCosignRefresh  = time.Hour
	retryAfter            = 30 * time.Second
	maxRoundAttempts      = 3
)

// DefaultQuorum is the quorum of n witnesses when none is set: a
// majority, so that two branches of a forked log cannot both be cosigned
// by a quorum of honest witnesses.
func DefaultQuorum(n int) int {
	if n == 0 {
		return 0
	}
	return n/2 + 1
}

// ParseWitness reads a witness as configured: "URL=VERIFIERKEY".
func ParseWitness(s string) (Witness, error) {
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			continue
		}
		// The URL may hold '=' (in its query); the key never starts with one.
		if _, err := translog.NewCosignatureVerifier(s[i+1:]); err == nil && i > 0 {
			return Witness{URL: s[:i], VerifierKey: s[i+1:]}, nil
		}
	}
	return Witness{}, fmt.Errorf("witness %q: want URL=VERIFIERKEY (a witness verifier key, from meshpass-portal witness)", s)
}

// CheckWitnesses checks a witness configuration: each key readable, no
// two witnesses of one name, a quorum k from 1 to len(ws) (or 0: the
// default, DefaultQuorum).
func CheckWitnesses(ws []Witness, k int) error {
	var keys []string
	for _, w := range ws {
		if w.URL == "" {
			return fmt.Errorf("witness %s: no URL", w.VerifierKey)
		}
		keys = append(keys, w.VerifierKey)
	}
	if k == 0 {
		k = DefaultQuorum(len(ws))
	}
	_, err := translog.NewWitnesses(keys, k)
	return err
}

// peer is a witness as the portal reaches it.
type peer struct {
	url      string
	verifier note.Verifier
	// size is the size of the latest tree the witness is known to have
	// cosigned (-1: unknown, asked from 0).
	size atomic.Int64
}

// cosigner gathers the witnesses' cosignatures.
type cosigner struct {
	p       *portal
	set     *translog.Witnesses
	peers   []*peer
	client  *http.Client
	timeout time.Duration
	refresh time.Duration

	// round is held during a round: one at a time.
	round sync.Mutex

	mu sync.Mutex
	// checked is the last checkpoint found cosigned and fresh, and when
	// its quorum cosigned it.
	checked     string
	checkedTime time.Time
	// failed is when a round last failed for size failedSize.
	failed     time.Time
	failedSize int64
}

func newCosigner(p *portal, opts *Options) (*cosigner, error) {
	if len(opts.Witnesses) == 0 {
		return nil, nil
	}
	var keys []string
	for _, w := range opts.Witnesses {
		keys = append(keys, w.VerifierKey)
	}
	if opts.WitnessQuorum == 0 {
		opts.WitnessQuorum = DefaultQuorum(len(keys))
	}
	set, err := translog.NewWitnesses(keys, opts.WitnessQuorum)
	if err != nil {
		return nil, err
	}
	c := &cosigner{p: p, set: set, client: opts.WitnessClient, timeout: opts.WitnessTimeout, refresh: opts.CosignRefresh}
	if c.timeout <= 0 {
		c.timeout = DefaultWitnessTimeout
	}
	if c.refresh <= 0 {
		c.refresh = DefaultCosignRefresh
	}
	for _, w := range opts.Witnesses {
		v, err := translog.NewCosignatureVerifier(w.VerifierKey)
		if err != nil {
			return nil, err
		}
		pe := &peer{url: w.URL, verifier: v}
		pe.size.Store(-1)
		c.peers = append(c.peers, pe)
	}
	return c, nil
}

// quorumTime returns when the quorum of witnesses cosigned cp (the K-th
// newest of their cosignature times), reading their lines without
// verifying them (the portal wrote them after verifying them), or false
// if fewer than K cosigned it.
func (c *cosigner) quorumTime(cp string) (time.Time, bool) {
	_, sigs, err := translog.NoteText(cp)
	if err != nil {
		return time.Time{}, false
	}
	// Opened with no key, every line is an unverified signature.
	_, err = note.Open([]byte("x\n\n"+sigs), note.VerifierList())
	var unv *note.UnverifiedNoteError
	if !errors.As(err, &unv) {
		return time.Time{}, false
	}
	seen := map[string]bool{}
	var times []time.Time
	for _, s := range unv.Note.UnverifiedSigs {
		if _, ok := c.set.Verifier(s.Name, s.Hash); !ok || seen[s.Name] {
			continue
		}
		t, err := translog.CosignatureTime(s)
		if err != nil {
			continue
		}
		seen[s.Name] = true
		times = append(times, t)
	}
	if len(times) < c.set.K() {
		return time.Time{}, false
	}
	slices.SortFunc(times, func(a, b time.Time) int { return b.Compare(a) })
	return times[c.set.K()-1], true
}

// fresh reports whether cp is cosigned by the quorum within refresh.
func (c *cosigner) fresh(cp string) bool {
	c.mu.Lock()
	if cp == c.checked {
		t := c.checkedTime
		c.mu.Unlock()
		return c.p.opts.Now().Sub(t) < c.refresh
	}
	c.mu.Unlock()
	t, ok := c.quorumTime(cp)
	if !ok {
		return false
	}
	c.mu.Lock()
	c.checked, c.checkedTime = cp, t
	c.mu.Unlock()
	return c.p.opts.Now().Sub(t) < c.refresh
}

// serve returns the checkpoint a read serves for the tree of n leaves
// whose stored checkpoint is cp: cp if its cosignatures are fresh, else
// the latest checkpoint cosigned anew (or cp as it is, if a round failed
// lately or fails now).
func (c *cosigner) serve(ctx context.Context, n int64, cp string) (int64, string) {
	if n == 0 || c.fresh(cp) {
		return n, cp
	}
	c.mu.Lock()
	backoff := c.failedSize == n && c.p.opts.Now().Sub(c.failed) < retryAfter
	c.mu.Unlock()
	if backoff {
		return n, cp
	}
	m, cp2, err := c.ensure(ctx, n)
	if err != nil {
		log.Printf("portal: witnesses: %v", err)
	}
	if cp2 == "" {
		return n, cp
	}
	return m, cp2
}

// ensure returns the latest stored checkpoint, of at least min leaves,
// cosigned by the quorum and fresh, gathering cosignatures if it is not.
// When the quorum does not cosign it, it returns the error with the
// checkpoint as cosigned by fewer (or "").
func (c *cosigner) ensure(ctx context.Context, min int64) (int64, string, error) {
	c.round.Lock()
	defer c.round.Unlock()
	var lastErr error
	var lastN int64
	var lastCp string
	for attempt := 0; attempt < maxRoundAttempts; attempt++ {
		n, cp, err := c.p.store.Latest(ctx)
		if err != nil {
			return 0, "", err
		}
		if n < min {
			return 0, "", fmt.Errorf("the log holds %d leaves, not %d", n, min)
		}
		if c.fresh(cp) {
			return n, cp, nil
		}
		cp2, got, ahead, err := c.gather(ctx, n, cp)
		if err != nil {
			return 0, "", err
		}
		if got > 0 {
			if err := c.p.store.Cosign(ctx, n, cp2); err != nil {
				return 0, "", err
			}
		}
		if got >= c.set.K() {
			return n, cp2, nil
		}
		lastN, lastCp = n, cp2
		lastErr = fmt.Errorf("the checkpoint of %d leaves is cosigned by %d witnesses of %d, %d required", n, got, len(c.peers), c.set.K())
		if !ahead {
			break
		}
		// A witness saw a larger tree (another process appended): the
		// round is made again on the latest.
	}
	c.mu.Lock()
	c.failed, c.failedSize = c.p.opts.Now(), min
	c.mu.Unlock()
	return lastN, lastCp, lastErr
}

// gather asks every witness, in parallel, to cosign cp (the checkpoint of
// n leaves) and returns it with the cosignatures got added, how many
// witnesses cosigned it, and whether a witness has seen a larger tree.
func (c *cosigner) gather(ctx context.Context, n int64, cp string) (string, int, bool, error) {
	text, _, err := translog.NoteText(cp)
	if err != nil {
		return "", 0, false, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	hr := c.p.hashReader(ctx)
	lines := make([]string, len(c.peers))
	var ahead atomic.Bool
	var wg sync.WaitGroup
	for i, pe := range c.peers {
		wg.Go(func() {
			l, err := c.ask(ctx, pe, n, cp, text, hr)
			var ae *aheadError
			switch {
			case errors.As(err, &ae):
				ahead.Store(true)
			case err != nil:
				log.Printf("portal: witness %s: %v", pe.url, err)
			default:
				lines[i] = l
			}
		})
	}
	wg.Wait()
	out, got := cp, 0
	for _, l := range lines {
		if l == "" {
			continue
		}
		if out, err = translog.AddCosignatures(out, l); err != nil {
			return "", 0, false, err
		}
		got++
	}
	return out, got, ahead.Load(), nil
}

// aheadError: the witness has cosigned a larger tree than the one asked.
type aheadError struct{ size int64 }

func (e *aheadError) Error() string {
	return fmt.Sprintf("the witness has cosigned a tree of %d leaves", e.size)
}

// ask asks one witness to cosign cp, proving consistency from the tree it
// cosigned last, and returns its verified signature line.
func (c *cosigner) ask(ctx context.Context, pe *peer, n int64, cp, text string, hr tlog.HashReader) (string, error) {
	for attempt := 0; attempt < 3; attempt++ {
		old := max(pe.size.Load(), 0)
		if old > n {
			return "", &aheadError{old}
		}
		var proof []tlog.Hash
		if old > 0 && old < n {
			var err error
			if proof, err = tlog.ProveTree(n, old, hr); err != nil {
				return "", err
			}
		}
		lines, err := witness.AddCheckpoint(ctx, c.client, pe.url, old, proof, cp)
		var ce *witness.ConflictError
		if errors.As(err, &ce) {
			if ce.Size == old {
				return "", fmt.Errorf("refused the tree of %d leaves: %v", n, err)
			}
			pe.size.Store(ce.Size)
			continue
		}
		if err != nil {
			return "", err
		}
		// Keep only the witness's own line, and only if it verifies.
		for line := range splitLines(lines) {
			if _, err := note.Open([]byte(text+"\n"+line), note.VerifierList(pe.verifier)); err == nil {
				pe.size.Store(n)
				return line, nil
			}
		}
		return "", fmt.Errorf("its answer holds no valid cosignature of its key")
	}
	return "", fmt.Errorf("its latest cosigned tree kept changing")
}

// splitLines yields each line of s with its newline.
func splitLines(s string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for len(s) > 0 {
			i := 0
			for i < len(s) && s[i] != '\n' {
				i++
			}
			if i < len(s) {
				i++
			}
			if !yield(s[:i]) {
				return
			}
			s = s[i:]
		}
	}
}

// witnessed returns the log proofs of a write answered in the latest
// cosigned tree (the write's own, or a larger one holding it): with no
// witnesses, or if the round fails (the write stands; clients that
// require cosignatures refuse the answer, and the next read gathers them
// again), proofs as they are.
func (p *portal) witnessed(ctx context.Context, proofs ...*mmm.LogProof) []*mmm.LogProof {
	if p.cosign == nil || len(proofs) == 0 || proofs[0] == nil {
		return proofs
	}
	n, cp, err := p.cosign.ensure(ctx, proofs[0].TreeSize)
	if err != nil {
		log.Printf("portal: witnesses: %v", err)
		if cp == "" {
			return proofs
		}
	}
	out := make([]*mmm.LogProof, len(proofs))
	for i, pr := range proofs {
		q := *pr
		if n != pr.TreeSize {
			hashes, err := tlog.ProveRecord(n, pr.Index, p.hashReader(ctx))
			if err != nil {
				log.Printf("portal: witnesses: proving leaf %d in the tree of %d: %v", pr.Index, n, err)
				return proofs
			}
			q.TreeSize, q.Inclusion = n, translog.EncodeHashes(hashes)
		}
		q.Checkpoint = cp
		out[i] = &q
	}
	return out
}
